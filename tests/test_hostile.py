"""Hostile and broken input through a full build: every file is either used or skipped
with a reason, the run goes on to the gallery, and the exit code says some were skipped."""

from __future__ import annotations

import io
import json
import math
import os
import re
import sqlite3
import struct
import subprocess
import sys
import zlib
from datetime import date
from pathlib import Path

import pytest
from conftest import exif_bytes
from faces import GRACE, scene
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from test_build import scene as photo_like
from test_gallery import Elements
from test_video import write_clip
from typer.testing import CliRunner

from memories import pipeline
from memories.analyze.faces import find_faces_many
from memories.analyze.quality import measure_many
from memories.cli import app
from memories.cli.common import printable
from memories.config import load_settings
from memories.errors import UnreadablePhoto
from memories.model import FileEntry, Quality, Skipped
from memories.render.framing import centre_of_interest
from memories.render.outputs import RENDERING
from memories.scan.images import decode_displayed
from memories.scan.metadata import enable_plugin, read_media

TODAY = ("--today", "2025-06-14")


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
        "\x1b]0;owned\x07\x1b[2J.jpg": (good[:100], "skipped"),  # retitles, clears a terminal
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
    heic = _saved(photo_like(16), "HEIF")
    troubles["truncated.heic"] = (heic[: len(heic) // 2], "skipped")
    troubles["good.heic"] = (heic, "used")
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
    if image_format == "HEIF":
        enable_plugin("HEIF")
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
        shown = printable(name if len(name) < 60 else name[:20])
        listed = any(shown in line and ": " in line for line in result.stdout.splitlines()
                     if line.startswith("  "))  # fmt: skip
        assert listed == (outcome == "skipped"), f"{name}: expected {outcome}\n{result.stdout}"
    assert "cafe" not in result.stdout  # the odd name is shown, replaced, not dropped or crashed
    assert "\x1b" not in result.stdout, "a file name cannot drive the terminal"
    assert (library / "index.html").is_file()
    assert list(library.glob("2024-06-14-*/collage.jpg")), "the good photos made their memory"


def test_unreadable_files_and_folders_are_skipped_with_a_reason(config, tmp_path):
    """A real refusal by the OS. Root reads everything, so as root the build runs in a user
    namespace where the files' owner is a stranger."""
    album = tmp_path / "photos"
    hostile_album(album)
    locked_file, locked_folder = album / "IMG_good_3.jpg", album / "private"
    locked_folder.mkdir()
    (locked_folder / "IMG_1.jpg").write_bytes(locked_file.read_bytes())
    command = [sys.executable, "-m", "memories", "build", str(album), "-l",
               str(tmp_path / "Memories"), *TODAY, "--no-faces"]  # fmt: skip
    if os.geteuid() == 0:
        if subprocess.run(["unshare", "-r", "true"], capture_output=True).returncode != 0:
            pytest.skip("as root, needs `unshare -r` to be refused a read")
        command = ["unshare", "-r", *command]
        for path in (locked_file, locked_folder):
            os.chown(path, 54321, 54321)
    os.chmod(locked_file, 0)
    os.chmod(locked_folder, 0)
    try:
        built = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(),
                               timeout=300)  # fmt: skip
    finally:
        os.chmod(locked_folder, 0o755)
    assert built.returncode == 1, built.stderr
    assert f"{locked_file}: permission denied" in built.stdout
    assert f"{locked_folder}: folder cannot be read: Permission denied" in built.stdout
    assert (tmp_path / "Memories" / "index.html").is_file()


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


# Fuzzing: mutated JPEGs through every analysis -------------------------------------------

_SEED: list[bytes] = []


def seed_jpeg() -> bytes:
    """A small photo with a face, a date and GPS: every analysis has something to find."""
    if not _SEED:
        image = scene(GRACE, size=(240, 180), width=120, at=(60, 20))
        _SEED.append(jpeg(image, taken_at="2024:06:14 15:00:00", gps=(45.764, 4.8357)))
    return _SEED[0]


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's NaN from a degenerate photo
@settings(max_examples=40, deadline=None)
@given(
    flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=12),
    cut=st.integers(0, 1 << 20),
)
def test_mutated_jpegs_through_every_analysis_raise_only_our_own_error(
    tmp_path_factory, flips, cut
):
    data = bytearray(seed_jpeg())
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path_factory.mktemp("fuzz") / "mutant.jpg"
    path.write_bytes(bytes(data[: max(1, len(data) - cut % (len(data) // 2))]))
    stat = path.stat()
    photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
    if isinstance(photo, Skipped):
        assert photo.reason
        return
    (quality,) = measure_many([photo])
    assert isinstance(quality, Quality | UnreadablePhoto)
    if isinstance(quality, Quality):
        assert all(math.isfinite(v) for v in (quality.sharpness, quality.brightness))
    (faces,) = find_faces_many([photo])
    assert isinstance(faces, list | UnreadablePhoto)
    try:  # what rendering does with it: decode upright in sRGB, find what to frame
        centre_of_interest(decode_displayed(photo, "RGB", 256, srgb=True))
    except UnreadablePhoto as error:
        assert error.reason


def test_a_photo_two_pixels_wide_is_measured_as_without_detail(tmp_path):
    path = tmp_path / "sliver.jpg"
    path.write_bytes(jpeg(Image.new("RGB", (2, 300), "grey"), taken_at="2024:06:14 15:00:00"))
    stat = path.stat()
    photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
    assert not isinstance(photo, Skipped)
    (quality,) = measure_many([photo])
    assert isinstance(quality, Quality) and quality.sharpness == 0.0


# Injection: names that try to escape -----------------------------------------------------

HOSTILE_NAME = "<script>alert('x')</script> ../../etc $(touch PWNED) `touch PWNED`;\nRobert');--"
HOSTILE_FILES = ('<img src=x onerror=alert(1)>.jpg', "$(touch PWNED); echo.jpg",
                 "a\"b'c\n&amp;.jpg", "..;touch PWNED #.jpg", "-rf --help.jpg", "-i x.jpg",
                 "%s%n%x.jpg", "\u202egpj.exe.jpg")


def test_hostile_names_cannot_escape_the_gallery_a_slug_or_a_command(
    config, no_network, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a command run through a shell would touch PWNED here
    album = tmp_path / "photos"
    album.mkdir()
    for day, name in enumerate(HOSTILE_FILES):
        image = scene(GRACE, at=(20 * day, 40))
        (album / name).write_bytes(jpeg(image, taken_at=f"2024:06:1{day // 3} 1{day}:00:00",
                                        gps=(45.764, 4.8357)))  # fmt: skip
    clip = write_clip(album / "$(touch PWNED);clip.mp4")
    os.utime(clip, (1718370000, 1718370000))  # 14 June 2024, with the photos
    library, present = tmp_path / "Memories", set(tmp_path.iterdir())
    run = CliRunner().invoke
    assert run(app, ["build", str(album), "-l", str(library), *TODAY]).exit_code == 0
    (person,) = json.loads(run(app, ["people", "-l", str(library), "--json"]).stdout)
    for unprintable in ("Gr\udce2ce", "\x1b]0;owned\x07Grace"):  # Latin-1 bytes; a title
        named = run(app, ["people", "name", str(person["id"]), unprintable, "-l", str(library)])
        assert named.exit_code == 2 and "printable UTF-8" in named.stderr
    named = run(app, ["people", "name", str(person["id"]), HOSTILE_NAME, "-l", str(library)])
    assert named.exit_code == 0, named.output
    with sqlite3.connect(library / ".memories" / "catalog.sqlite") as catalog:
        hostile_place = {"city": "<b onmouseover=alert(1)>Lyon</b>", "region": "../..",
                         "country": "'; DROP TABLE photos;--", "country_code": "FR",
                         "latitude": 45.764, "longitude": 4.836}  # fmt: skip
        catalog.execute("INSERT INTO geocode_cache VALUES ('nominatim', 45.764, 4.836, ?)",
                        (json.dumps(hostile_place),))  # fmt: skip
    built = run(app, ["build", str(album), "-l", str(library), *TODAY, "--geocoder", "nominatim"])
    assert built.exit_code == 0, built.output

    assert not list(tmp_path.rglob("PWNED")), "no name reached a shell"
    assert set(tmp_path.iterdir()) - present == {library}, "nothing written outside it"
    folders = [path for path in library.iterdir() if path.is_dir() and path.name[0] != "."]
    assert folders and all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", p.name) for p in folders)
    assert any(p.name.startswith("person-script-alert-x-script-etc-touch") for p in folders)
    records = [json.loads(p.read_text()) for p in library.glob("*/memory.json")]
    name = " ".join(HOSTILE_NAME.split())  # as `people name` keeps it: on one line
    assert any(r["title"].startswith(name) for r in records), "the name, unchanged"
    assert any(r["place"] == hostile_place["city"] for r in records)
    assert list(library.glob("*/recap.mp4")), "the clip's name went to ffmpeg as one argument"
    for page in library.rglob("*.html"):
        parsed = Elements(page.read_text("utf-8"))
        assert len(parsed.scripts) == (page == library / "index.html"), page
        assert not [n for _, attrs in parsed.tags for n in attrs if n.startswith("on")], page
    shown = Elements((library / "index.html").read_text("utf-8")).texts
    assert any(name in text for text in shown), "shown as text, escaped once"
    people = json.loads(run(app, ["people", "-l", str(library), "--json"]).stdout)
    assert people[0]["name"] == name, "no SQL ran"
