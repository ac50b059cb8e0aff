"""Hostile and broken input through a full build: every file is either used or skipped
with a reason, the run goes on to the gallery, and the exit code says some were skipped."""

from __future__ import annotations

import io
import os
import struct
import zlib
from datetime import date
from pathlib import Path

import pytest
from conftest import exif_bytes
from PIL import Image
from test_build import scene as photo_like
from typer.testing import CliRunner

from memories import pipeline
from memories.cli import app
from memories.config import load_settings
from memories.render.outputs import RENDERING


@pytest.fixture
def config(quick_renders):
    return quick_renders("size = 384\nworkers = 1\n")


def jpeg(image: Image.Image, **exif_tags) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif_bytes(**exif_tags) if exif_tags else b"")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header declaring a huge image, with almost no data: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\x00" * 64)
    idat = struct.pack(">I", len(data)) + b"IDAT" + data
    idat += struct.pack(">I", zlib.crc32(b"IDAT" + data))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + end


def hostile_album(folder: Path) -> dict[str, str]:
    """Good photos of one afternoon, and beside them every kind of trouble. Returns the
    troubles by file name, with what must happen: `skipped` or `used`."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(4):
        (folder / f"IMG_good_{n}.jpg").write_bytes(
            jpeg(photo_like(n), taken_at=f"2024:06:14 14:{10 * n:02d}:00", gps=(45.764, 4.8357))
        )
    good = (folder / "IMG_good_0.jpg").read_bytes()
    troubles: dict[str, tuple[bytes, str]] = {
        "truncated.jpg": (good[: len(good) // 3], "skipped"),
        "zero.jpg": (b"", "skipped"),
        "not-an-image.jpg": (b"<html>hello</html>" * 20, "skipped"),
        "bomb.png": (png_claiming(100_000, 100_000), "skipped"),
        "png-named.jpg": (_saved(photo_like(7), "PNG"), "used"),
        "cmyk.jpg": (_saved(photo_like(8).convert("CMYK"), "JPEG"), "used"),
        "sixteen-bit.png": (_saved(Image.new("I;16", (200, 150), 40000), "PNG"), "used"),
        "palette-alpha.png": (_palette_with_transparency(photo_like(9)), "used"),
        "garbage-exif.jpg": (_garbage_exif(good), "used"),
        "gps-nonsense.jpg": (
            jpeg(photo_like(10), taken_at="2024:06:14 15:00:00", gps=(200.0, 500.0)), "used"
        ),
        "year-zero.jpg": (jpeg(photo_like(11), taken_at="0000:00:00 00:00:00"), "used"),
        "year-9999.jpg": (jpeg(photo_like(12), taken_at="9999:12:31 23:59:59"), "used"),
        "x" * 240 + ".jpg": (jpeg(photo_like(13), taken_at="2024:06:14 15:10:00"), "used"),
    }
    truncated_png = _saved(photo_like(14), "PNG")
    troubles["truncated.png"] = (truncated_png[: len(truncated_png) // 2], "skipped")
    animation = io.BytesIO()
    frames = [photo_like(20 + n).resize((64, 48)) for n in range(3)]
    frames[0].save(animation, "GIF", save_all=True, append_images=frames[1:])
    troubles["animated.gif"] = (animation.getvalue(), "used")
    webp = io.BytesIO()
    frames[0].save(webp, "WEBP", save_all=True, append_images=frames[1:])
    troubles["animated.webp"] = (webp.getvalue(), "used")
    for name, (content, _) in troubles.items():
        (folder / name).write_bytes(content)
    odd = os.fsencode(folder) + b"/caf\xe9-\xff.jpg"  # not UTF-8
    with open(odd, "wb") as file:
        file.write(jpeg(photo_like(15), taken_at="2024:06:14 15:20:00"))
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    return {name: outcome for name, (_, outcome) in troubles.items()}


def _saved(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


def _palette_with_transparency(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("P").save(out, "PNG", transparency=0)
    return out.getvalue()


def _garbage_exif(jpeg_bytes: bytes) -> bytes:
    """An APP1 Exif segment whose IFD offsets point far outside it."""
    body = b"Exif\x00\x00MM\x00*\xff\xff\xff\xf0" + os.urandom(64)
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return jpeg_bytes[:2] + segment + jpeg_bytes[2:]


def test_a_build_over_hostile_files_skips_the_bad_ones_and_finishes(config, tmp_path):
    album = tmp_path / "photos"
    troubles = hostile_album(album)
    library = tmp_path / "Memories"
    result = CliRunner().invoke(app, ["build", str(album), "-l", str(library),
                                      "--today", "2025-06-14"])  # fmt: skip
    assert result.exit_code == 1, result.output
    for name, outcome in troubles.items():
        shown = name if len(name) < 60 else name[:20]
        listed = any(shown in line and ": " in line for line in result.stdout.splitlines()
                     if line.startswith("  "))  # fmt: skip
        assert listed == (outcome == "skipped"), f"{name}: expected {outcome}\n{result.stdout}"
    assert "cafe" not in result.stdout  # the odd name is shown, replaced, not dropped or crashed
    assert (library / "index.html").is_file()
    assert list(library.glob("2024-06-14-*/collage.jpg")), "the good photos made their memory"


def test_a_photo_deleted_between_scan_and_render_fails_its_memory_not_the_run(
    config, tmp_path, monkeypatch
):
    album = tmp_path / "photos"
    hostile_album(album)
    settings = load_settings(os.environ, library=tmp_path / "Memories")
    doomed = album / "IMG_good_2.jpg"

    def delete_when_rendering_starts(stage: str, done: int, total: int | None) -> None:
        if stage == RENDERING and doomed.exists():
            doomed.unlink()

    report = pipeline.build([album], settings, today=date(2025, 6, 14),
                            progress=delete_when_rendering_starts)  # fmt: skip
    assert report.rendered is not None
    assert {failed.path for failed in report.rendered.failed} == {doomed}, "its memories fail"
    assert report.rendered.gallery is not None and report.rendered.gallery.is_file()
