"""AI restyles on the user's own machine: diffusers image-to-image with a style from
`templates/styles/*.toml`, the model from a local folder or the Hugging Face cache (fetched
only when asked), a fixed seed, each face checked to still be its person (with the same face
models as the people stage), and an AI-made label inside every file.

torch and diffusers (the `ai` extra) are imported only here, and only when a restyle runs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image

from memories.config import DEFAULT_RESTYLE_MODEL
from memories.errors import RestyleUnavailable
from memories.render.files import save_jpeg
from memories.render.location import Point

SAME_PERSON = 0.6
"""The face model's own same-person distance."""
STRENGTH_STEPS = (1.0, 0.7, 0.45)
"""Shares of the style's strength tried in turn while a face stops being its person."""
AI_MADE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

FaceBox = tuple[int, int, int, int]


@dataclass(frozen=True, kw_only=True)
class Style:
    """A restyle, as its TOML file gives it (memories/templates/styles/)."""

    name: str
    description: str = ""
    prompt: str
    negative_prompt: str = ""
    strength: float = 0.5
    """How far from the photo the picture may go: 0 keeps it, 1 ignores it."""
    steps: int = 4
    guidance: float = 0.0
    """Classifier-free guidance; 0 for distilled models such as SD-Turbo."""
    size: int = 512
    """Long edge, in pixels, that the model works at."""

    def __post_init__(self) -> None:
        if not (0 < self.strength <= 1 and self.steps >= 1 and 64 <= self.size <= 2048):
            raise ValueError("strength must be in (0, 1], steps at least 1, size 64-2048")


@dataclass(frozen=True)
class Picture:
    """A photo to restyle, upright, with the boxes of its faces in its own pixels."""

    image: Image.Image
    faces: tuple[FaceBox, ...] = ()


@dataclass(frozen=True)
class Restyled:
    """A restyled picture and how it was made."""

    image: Image.Image
    style: str
    model: str
    seed: int
    strength: float
    identity: str
    """`kept` (every face is still its person), `lost` (even at the lowest strength
    tried), or `no faces`."""

    def record(self) -> dict[str, Any]:
        """What memory.json says of it."""
        return {"ai_made": True, "model": self.model, "style": self.style, "seed": self.seed,
                "strength": round(self.strength, 3), "identity": self.identity}  # fmt: skip


def pick_device() -> tuple[str, Any, str | None]:
    """CUDA, then Apple's MPS, then the CPU (with a warning): the device, the dtype (fp16 on
    a GPU) and the warning."""
    torch = _import("torch")
    if torch.cuda.is_available():
        return "cuda", torch.float16, None
    if torch.backends.mps.is_available():
        return "mps", torch.float16, None
    return "cpu", torch.float32, "no GPU: restyling on the CPU works but is slow"


class Restyler:
    """A loaded img2img pipeline and the way it is run: batches, seeds, identity retries."""

    def __init__(
        self,
        model: str = DEFAULT_RESTYLE_MODEL,
        *,
        allow_download: bool = False,
        batch_size: int = 4,
        device: str | None = None,
        announce: Callable[[str], None] = lambda message: None,
    ) -> None:
        diffusers = _import("diffusers")
        torch = _import("torch")
        transformers = _import("transformers")
        transformers.logging.set_verbosity_error()
        transformers.utils.logging.disable_progress_bar()
        diffusers.utils.logging.set_verbosity_error()
        diffusers.utils.logging.disable_progress_bar()
        chosen, dtype, warning = pick_device()
        if device is not None:
            chosen, dtype = device, torch.float16 if device != "cpu" else torch.float32
        elif warning:
            announce(warning)
        if allow_download and not Path(model).is_dir():
            announce(f"Downloading the model {model} from Hugging Face if it is not cached "
                     "(several GB, once)")  # fmt: skip
        try:
            with warnings.catch_warnings():  # library deprecation notes are not for the user
                warnings.simplefilter("ignore")
                pipeline = diffusers.AutoPipelineForImage2Image.from_pretrained(
                    model, torch_dtype=dtype, local_files_only=not allow_download
                )
        except (OSError, ValueError) as error:
            if allow_download:
                raise RestyleUnavailable(f"cannot load the model {model!r}: {error}") from None
            raise RestyleUnavailable(
                f"the model {model!r} is not on this machine (a local folder, or the Hugging "
                "Face cache); pass --allow-download to fetch it"
            ) from None
        pipeline.set_progress_bar_config(disable=True)
        self.pipeline = pipeline.to(chosen)
        self.model = model
        self.device = chosen
        self.batch_size = batch_size
        self.notes: list[str] = []
        """What happened that the user should hear of (a smaller batch after running out
        of memory)."""

    def restyle(
        self, pictures: Sequence[Picture], style: Style, *, seed: int = 0
    ) -> list[Restyled]:
        """Each picture in the style; faces that stop being their person are tried again at
        a lower strength. The same picture, style and seed give the same result, in any
        batch."""
        inputs = [prepared(picture.image, style.size) for picture in pictures]
        results: list[Restyled | None] = [None] * len(pictures)
        todo = list(range(len(pictures)))
        for share in STRENGTH_STEPS:
            strength = style.strength * share
            images = self._run([inputs[i] for i in todo], style, strength, seed)
            still_todo = []
            for index, image in zip(todo, images, strict=True):
                verdict = identity(pictures[index], inputs[index], image)
                results[index] = Restyled(image, style.name, self.model, seed, strength, verdict)
                if verdict == "lost":
                    still_todo.append(index)
            todo = still_todo
            if not todo:
                break
        return [result for result in results if result is not None]

    def _run(
        self, images: Sequence[Image.Image], style: Style, strength: float, seed: int
    ) -> list[Image.Image]:
        """Through the pipeline in batches of the current size, halving it when the GPU runs
        out of memory."""
        done: dict[int, Image.Image] = {}
        by_shape: dict[tuple[int, int], list[int]] = {}
        for index, image in enumerate(images):  # a batch must share one shape
            by_shape.setdefault(image.size, []).append(index)
        for indexes in by_shape.values():
            start = 0
            while start < len(indexes):
                batch = indexes[start : start + self.batch_size]
                try:
                    made = self._call([images[i] for i in batch], style, strength, seed)
                except Exception as error:  # torch's OutOfMemoryError, or a RuntimeError saying so
                    if "out of memory" not in str(error).lower():
                        raise
                    self._halve_batch()
                    continue
                done.update(zip(batch, made, strict=True))
                start += len(batch)
        return [done[index] for index in range(len(images))]

    def _halve_batch(self) -> None:
        if self.batch_size == 1:
            raise RestyleUnavailable(
                "the GPU ran out of memory even for one photo at a time; try a style with a "
                "smaller size"
            ) from None
        self.batch_size = max(1, self.batch_size // 2)
        self.notes.append(f"GPU memory was short: went on {self.batch_size} at a time")
        _empty_cache()

    def _call(
        self, batch: Sequence[Image.Image], style: Style, strength: float, seed: int
    ) -> list[Image.Image]:
        torch = _import("torch")
        # one generator per picture, so that a picture's result does not depend on its batch
        generators = [torch.Generator("cpu").manual_seed(seed) for _ in batch]
        steps = max(style.steps, math.ceil(1 / strength))  # img2img runs steps * strength
        output = self.pipeline(
            prompt=[style.prompt] * len(batch),
            negative_prompt=[style.negative_prompt] * len(batch) if style.guidance > 1 else None,
            image=list(batch),
            strength=strength,
            num_inference_steps=steps,
            guidance_scale=style.guidance,
            generator=generators,
            output_type="pil",
        )
        return [image.convert("RGB") for image in output.images]


def prepared(image: Image.Image, size: int) -> Image.Image:
    """The photo at the model's size: long edge `size`, both sides multiples of 8."""
    scale = size / max(image.size)
    width = max(8, round(image.width * scale / 8) * 8)
    height = max(8, round(image.height * scale / 8) * 8)
    return image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)


def identity(picture: Picture, before: Image.Image, after: Image.Image) -> str:
    """Whether each face is still its person: encodings at the same place, before and after,
    within the face model's same-person distance."""
    if not picture.faces:
        return "no faces"
    from memories.analyze.faces import encodings_at

    scale = before.width / picture.image.width
    boxes = [tuple(round(value * scale) for value in box) for box in picture.faces]
    resized = after.resize(before.size) if after.size != before.size else after
    originals = encodings_at(np.asarray(before), boxes)  # type: ignore[arg-type]
    restyled = encodings_at(np.asarray(resized), boxes)  # type: ignore[arg-type]
    distances = [float(np.linalg.norm(a - b)) for a, b in zip(originals, restyled, strict=True)]
    return "kept" if max(distances) < SAME_PERSON else "lost"


def save_labelled(
    restyled: Restyled,
    path: Path,
    image: Image.Image | None = None,
    *,
    location: Point | None = None,
) -> None:
    """A JPEG that says inside itself that it is AI-made (IPTC DigitalSourceType in XMP),
    with the model, style, seed and strength; no other metadata but GPS when a `location`
    is given (`--keep-location`). `image` saves another picture made from it (a collage of
    restyles) under the same label."""
    save_jpeg(image or restyled.image, path, 92, location=location, xmp=labelled_xmp(restyled))


def labelled_xmp(restyled: Restyled) -> bytes:
    note = (f"AI restyle ({restyled.style}) by memories with {restyled.model}, "
            f"seed {restyled.seed}, strength {restyled.strength:.2f}")  # fmt: skip
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f"Iptc4xmpExt:DigitalSourceType={quoteattr(AI_MADE)} "
        'xmp:CreatorTool="memories">'
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{_text(note)}</rdf:li>'
        "</rdf:Alt></dc:description>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RestyleUnavailable(
            f"AI restyles need {module}, which is not installed: pip install -e '.[ai]' "
            "(install torch for your GPU first)"
        ) from None


def _empty_cache() -> None:
    torch = _import("torch")
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
