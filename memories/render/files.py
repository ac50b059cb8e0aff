"""Writing outputs so that no one ever sees half a file: everything is written under a
`.partial` name beside its final one and renamed into place when complete."""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PIL import Image

from memories.render.location import Point, gps_exif
from memories.scan.images import srgb_profile

PARTIAL = ".partial"
JPEG_QUALITY = 90


def write_atomically(path: Path, write: Callable[[Path], object], *, suffix: str = "") -> None:
    """Call `write(partial_path)`, then rename the result to `path`. `suffix` is kept at the
    end of the partial name for writers that pick a format from it (`.mp4` for ffmpeg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # the pid keeps apart a writer (ffmpeg) orphaned by a killed run and the next run's
    partial = path.with_name(f"{path.name}{PARTIAL}-{os.getpid()}{suffix}")
    try:
        write(partial)
        partial.replace(path)
    except OSError as error:
        raise _naming(error, path) from error
    finally:
        partial.unlink(missing_ok=True)


def _naming(error: OSError, path: Path) -> OSError:
    """The error, saying which output it was writing. An encoder in another process (ffmpeg)
    reports a full disk only in words, over a broken pipe: it becomes ENOSPC."""
    if "No space left on device" in str(error):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    if error.errno is not None and error.filename is None:
        return OSError(error.errno, error.strerror, str(path))
    return error


def save_jpeg(
    image: Image.Image,
    path: Path,
    quality: int = JPEG_QUALITY,
    *,
    location: Point | None = None,
    xmp: bytes | None = None,
) -> None:
    """An sRGB JPEG with no metadata but its colour profile (no camera serial, no maker
    notes), GPS only when a `location` is given (`--keep-location`), and an `xmp` packet when
    given (the AI label)."""
    extra = {"xmp": xmp} if xmp is not None else {}
    encoded = io.BytesIO()
    image.convert("RGB").save(
        encoded,
        "JPEG",
        quality=quality,
        icc_profile=srgb_profile(),
        exif=gps_exif(location) if location is not None else b"",
        **extra,
    )
    # Written from memory by Python, which fails on a short write; Pillow's own file writer
    # ignores one, and so on a full disk leaves a cut-short JPEG without an error.
    write_atomically(path, lambda partial: partial.write_bytes(encoded.getvalue()))


def save_text(text: str, path: Path) -> None:
    """Written only when it differs from what is there, so re-runs leave pages untouched."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def save_json(data: Any, path: Path) -> None:
    """ASCII JSON: a file name that is not UTF-8 survives as escapes and reads back whole."""
    save_text(json.dumps(data, indent=2) + "\n", path)


def leftover_partials(folder: Path) -> Iterator[Path]:
    """Partial files an interrupted run left behind (never visible under a final name): not
    those a process still running on this machine is writing (a share being made)."""
    if folder.is_dir():
        yield from (path for path in folder.rglob(f"*{PARTIAL}*")
                    if path.is_file() and not _writer_running(path))  # fmt: skip


def _writer_running(partial: Path) -> bool:
    """Whether the process a partial file is named after (`NAME.partial-PID`) still runs."""
    digits = partial.name.split(PARTIAL + "-", 1)[-1].split(".")[0]
    if not digits.isdigit() or int(digits) == os.getpid():
        return False
    try:
        os.kill(int(digits), 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's process
        return True
    return True
