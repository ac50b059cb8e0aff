"""Tiny generated photo folders: JPEGs and friends with exactly the EXIF a test needs."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from memories.config import Settings
from memories.model import FileEntry, Photo
from memories.scan.metadata import read_media

DEVDATA = Path(__file__).resolve().parents[2] / "shared" / "devdata"
PEERS = DEVDATA / "peers"


def peers_expected(name: str) -> dict:
    """What other photo tools' tests expect of the file `name` under devdata/peers."""
    entries = json.loads((PEERS / "expected.json").read_text())
    return next(entry for entry in entries if entry["file"] == name)

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10000))


def exif_bytes(
    *,
    taken_at: str | None = None,
    subsec: str | None = None,
    offset: str | None = None,
    digitized: str | None = None,
    file_datetime: str | None = None,
    gps: tuple[float, float] | None = None,
    gps_refs: tuple[str, str] | None = None,
    orientation: int | None = None,
    make: str | None = "Google",
    model: str | None = "Pixel 8",
) -> bytes:
    """An EXIF block with just the given tags, as a camera would write them."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if orientation is not None:
        exif[0x0112] = orientation
    if file_datetime:
        exif[0x0132] = file_datetime
    exif_ifd = exif.get_ifd(_EXIF_IFD)
    if taken_at:
        exif_ifd[0x9003] = taken_at
    if digitized:
        exif_ifd[0x9004] = digitized
    if offset:
        exif_ifd[0x9011] = offset
    if subsec:
        exif_ifd[0x9291] = subsec
    if gps is not None:
        latitude, longitude = gps
        refs = gps_refs or ("N" if latitude >= 0 else "S", "E" if longitude >= 0 else "W")
        gps_ifd = exif.get_ifd(_GPS_IFD)
        gps_ifd[1], gps_ifd[2] = refs[0], _dms(latitude)
        gps_ifd[3], gps_ifd[4] = refs[1], _dms(longitude)
    return exif.tobytes()


PhotoMaker = Callable[..., Path]


@pytest.fixture
def make_photo(tmp_path: Path) -> PhotoMaker:
    """Write a small image under `tmp_path/photos` (or `folder`) and return its path.

    `size` is the stored (not displayed) size of a flat `color`, unless an `image` is given;
    EXIF keywords are those of `exif_bytes`; `exif=False` writes none at all.
    """

    def make(
        name: str = "IMG_0001.jpg",
        *,
        folder: Path | None = None,
        size: tuple[int, int] = (64, 48),
        color: tuple[int, int, int] = (200, 120, 40),
        image_format: str | None = None,
        exif: bool = True,
        image: Image.Image | None = None,
        **exif_tags: object,
    ) -> Path:
        path = (folder or tmp_path / "photos") / name
        path.parent.mkdir(parents=True, exist_ok=True)
        image = image or Image.new("RGB", size, color)
        options: dict[str, object] = {}
        if exif:
            options["exif"] = exif_bytes(**exif_tags)  # type: ignore[arg-type]
        image.save(path, format=image_format or _format_for(path), **options)
        return path

    return make


def _format_for(path: Path) -> str:
    return {".png": "PNG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF", ".gif": "GIF"}.get(
        path.suffix.lower(), "JPEG"
    )


@pytest.fixture
def photos_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(library=tmp_path / "Memories", workers=1)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config or writes to ~/Memories."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))
    monkeypatch.delenv("MEMORIES_LIBRARY", raising=False)
    monkeypatch.delenv("MEMORIES_CONFIG", raising=False)
    monkeypatch.delenv("MEMORIES_DEBUG", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no test may reach Hugging Face
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home" / ".cache" / "huggingface"))


TINY_LOOK = """
description = "small and quick"
fps = 6
short_edge = 72
title_seconds = 1.0
end_seconds = 1.0
crossfade = 0.3
max_photo_seconds = 1.5
clip_seconds = 1.0
"""


@pytest.fixture
def quick_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Point the config file at a video look of the user's own that renders small, quick
    videos (which also proves such looks are found), plus any other settings; returns the
    config folder."""

    def configure(settings: str = "", *, short_edge: int = 72) -> Path:
        folder = tmp_path / "config"
        (folder / "video").mkdir(parents=True, exist_ok=True)
        look = TINY_LOOK.replace("short_edge = 72", f"short_edge = {short_edge}")
        (folder / "video" / "tiny.toml").write_text(look)
        (folder / "config.toml").write_text('look = "tiny"\n' + settings)
        monkeypatch.setenv("MEMORIES_CONFIG", str(folder / "config.toml"))
        return folder

    return configure


def snapshot(folder: Path) -> dict[Path, tuple[bytes, int, int]]:
    """Bytes, mtime and permissions of every file under `folder`, to prove nothing changed."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            state[path] = (path.read_bytes(), stat.st_mtime_ns, stat.st_mode)
    return state


def set_mtime(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))


class NetworkUsed(AssertionError):
    """Something tried to reach the network."""


@pytest.fixture
def no_network(monkeypatch):
    """Every connection and name lookup fails loudly, as on a machine with no network."""

    def refuse(*args, **kwargs):
        raise NetworkUsed(f"network use: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)


def catalogued(path: Path) -> Photo:
    """A file as the scan records it."""
    stat = path.stat()
    photo = read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))
    assert isinstance(photo, Photo)
    return photo
