"""Settings: one frozen dataclass, from defaults, then the config file, then env, then flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from memories.errors import ConfigError
from memories.model import MemoryKind

GEOCODERS = ("offline", "nominatim")
ASPECTS = ("16:9", "9:16", "1:1")
ENCODER_CHOICES = ("auto", "nvenc", "qsv", "vaapi", "amf", "libx264")
"""Recap videos' H.264 encoders by name (memories/render/encoders.py defines each)."""
DEFAULT_RESTYLE_MODEL = "stabilityai/sd-turbo"
"""A fast img2img model (1-4 steps): a restyle in seconds on a consumer GPU."""


def default_workers() -> int:
    """Worker processes: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run may be told. Config-file keys have the same names as these fields."""

    library: Path = field(default_factory=lambda: Path.home() / "Memories")
    workers: int = field(default_factory=default_workers)
    home: tuple[float, float] | None = None
    """Where the user lives; inferred from the photos when not set (`home = "45.76,4.84"`)."""
    trip_distance_km: float = 100.0
    """Days spent farther than this from home make a trip."""
    max_photos: int = 24
    """The most photos one memory shows."""
    geocoder: str = "offline"
    """`offline` (GeoNames data on this machine) or `nominatim` (online, opt-in)."""
    faces: bool = True
    """Look for faces and group them into people; false never computes any face data."""
    face_device: str = "auto"
    """What finds faces: `auto` (torch on the GPU, else torch on the CPU, else dlib), `cuda`,
    `cpu` (torch on the CPU) or `dlib` (dlib alone)."""
    video: bool = True
    """Make a recap video for each memory."""
    videos_per_run: int = 10
    """Recap videos made in one run at most, newest memories first; the others are made by
    the next runs (a video takes a minute or two on two cores: a whole library's first build
    would otherwise take days)."""
    size: int = 2048
    """Long edge of collages, in pixels."""
    layout: str | None = None
    """A collage layout for every memory (mosaic, hero, grid, prints, or your own)."""
    aspect: str = "16:9"
    """Recap videos' shape: 16:9, 9:16 (phones) or 1:1 (feeds)."""
    look: str = "gentle"
    """Recap videos' look: gentle, lively, or your own."""
    music: Path | None = None
    """A music file, or a folder to pick one from for each recap video."""
    encoder: str = "auto"
    """Recap videos' H.264 encoder: auto (a GPU's when one works here, else libx264), nvenc,
    qsv, vaapi, amf or libx264."""
    kinds: frozenset[MemoryKind] | None = None
    """The kinds of memory to make (`kinds = ["event", "trip", "birthday"]`); None for all.
    A kind left out is never planned, and its folders are removed."""
    language: str = "en"
    """The language of titles, dates, cards and gallery pages (`language = "de"`; one of
    memories.language.SUPPORTED) [default: the system's (LANG), else English]."""
    language_note: str | None = None
    """Why the outputs are in English although the system names another language (one
    memories does not speak); not a setting."""
    restyle_model: str = DEFAULT_RESTYLE_MODEL
    """AI restyles' img2img model: a local folder, or a Hugging Face id already in its cache."""
    keep_location: bool = False
    """Outputs (collages, covers, videos, restyles, memory.json) carry where the photos were
    taken; by default they carry no GPS."""
    templates: Path | None = None
    """A folder of your own `collage/` layouts and `video/` looks [default: the config
    file's folder]."""
    cluster: str | None = None
    """A Dask scheduler of your own machines (`tls://nas.local:8786`) whose workers analyse
    new photos and draw memories."""
    path_map: tuple[str, ...] = ()
    """Where the cluster's workers see folders of this machine (`"/volume1/photo=/mnt/photo"`,
    a list in the config file)."""
    cluster_certificate: Path | None = None
    """The folder holding the cluster's certificate [default: `cluster/` beside the config
    file]."""


def config_file_path(environ: Mapping[str, str]) -> Path:
    """`$MEMORIES_CONFIG`, else `$XDG_CONFIG_HOME/memories/config.toml` (`~/.config/...`)."""
    if explicit := environ.get("MEMORIES_CONFIG"):
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "memories" / "config.toml"


def load_settings(environ: Mapping[str, str], **flags: Any) -> Settings:
    """Defaults, overridden by the config file, then by `MEMORIES_LIBRARY`, then by flags
    (a flag left at None does not override)."""
    config_file = config_file_path(environ)
    settings = replace(Settings(), templates=config_file.parent,
                       cluster_certificate=config_file.parent / "cluster")  # fmt: skip
    from memories.language import choose_language

    given = _read_config_file(config_file)
    settings = _apply(settings, given)
    if library := environ.get("MEMORIES_LIBRARY"):
        settings = replace(settings, library=Path(library).expanduser())
    flags = {key: value for key, value in flags.items() if value is not None}
    settings = _apply(settings, flags)
    if "language" not in given and "language" not in flags:
        language, note = choose_language(None, environ)
        settings = replace(settings, language=language, language_note=note)
    return settings


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the config file {path}: {error}") from None


def _apply(settings: Settings, values: Mapping[str, Any]) -> Settings:
    known = set(_PARSERS)
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} (known: {', '.join(sorted(known))})")
        try:
            changes[key] = _PARSERS[key](value)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{key}: {error}") from None
    return replace(settings, **changes)


def _library(value: Any) -> Path:
    return Path(str(value)).expanduser().absolute()


def _positive_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, not {value!r}")
    return value


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"must be a number above 0, not {value!r}")
    return float(value)


def _home(value: Any) -> tuple[float, float]:
    if isinstance(value, tuple):
        return value
    try:
        latitude, longitude = (float(part) for part in str(value).split(","))
    except ValueError:
        raise ValueError(f'must be "latitude,longitude", not {value!r}') from None
    if not (abs(latitude) <= 90 and abs(longitude) <= 180):
        raise ValueError(f"{value!r} is not a place on Earth")
    return (latitude, longitude)


def _geocoder(value: Any) -> str:
    if value not in GEOCODERS:
        raise ValueError(f"must be one of {', '.join(GEOCODERS)}, not {value!r}")
    return str(value)


def _face_device(value: Any) -> str:
    from memories.analyze.faces import ENGINE_CHOICES

    if value not in ENGINE_CHOICES:
        raise ValueError(f"must be one of {', '.join(ENGINE_CHOICES)}, not {value!r}")
    return str(value)


def _aspect(value: Any) -> str:
    if value not in ASPECTS:
        raise ValueError(f"must be one of {', '.join(ASPECTS)}, not {value!r}")
    return str(value)


def _encoder(value: Any) -> str:
    if value not in ENCODER_CHOICES:
        raise ValueError(f"must be one of {', '.join(ENCODER_CHOICES)}, not {value!r}")
    return str(value)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"must be a name, not {value!r}")
    return value


def _existing_path(value: Any) -> Path:
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise ValueError(f"{path} does not exist")
    return path.absolute()


def _cluster(value: Any) -> str:
    from memories.cluster.security import parse_address

    if not isinstance(value, str):
        raise ValueError(f"must be a scheduler address (tls://HOST:PORT), not {value!r}")
    return parse_address(value).url


def _path_map(value: Any) -> tuple[str, ...]:
    from memories.cluster.paths import PathMap

    entries = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(entry, str) for entry in entries):
        raise ValueError(f'must be "FOLDER=FOLDER ON THE WORKERS" entries, not {value!r}')
    PathMap.parse(entries)
    return entries


def _kinds(value: Any) -> frozenset[MemoryKind]:
    names = (value,) if isinstance(value, str) else tuple(value)
    known = {kind.value for kind in MemoryKind}
    if unknown := [name for name in names if name not in known]:
        raise ValueError(f"unknown kinds {', '.join(map(repr, unknown))} "
                         f"(there are: {', '.join(sorted(known))})")  # fmt: skip
    return frozenset(MemoryKind(name) for name in names)


def _language(value: Any) -> str:
    from memories.language import language

    if not isinstance(value, str):
        raise ValueError(f"must be a language code, not {value!r}")
    return language(value.lower()).code


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "library": _library,
    "workers": _positive_int,
    "home": _home,
    "trip_distance_km": _positive_number,
    "max_photos": _positive_int,
    "geocoder": _geocoder,
    "faces": _boolean,
    "face_device": _face_device,
    "video": _boolean,
    "videos_per_run": _positive_int,
    "keep_location": _boolean,
    "size": _positive_int,
    "layout": _name,
    "aspect": _aspect,
    "look": _name,
    "music": _existing_path,
    "encoder": _encoder,
    "kinds": _kinds,
    "language": _language,
    "templates": _library,
    "restyle_model": _name,
    "cluster": _cluster,
    "path_map": _path_map,
    "cluster_certificate": _library,
}
