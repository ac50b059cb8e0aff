"""One photo made of several files or parts: Live Photos, motion photos, RAW+JPEG, and JPEGs
with what old cameras and phones put after the image."""

from __future__ import annotations

import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image
from test_capture import with_segments, xmp_segment

from memories import pipeline
from memories.catalog import Catalog
from memories.cli.reports import describe
from memories.model import FileEntry, Motion, Photo, PhotoKind, Skipped
from memories.scan.index import scan_folders
from memories.scan.metadata import read_media
from memories.scan.overview import overview

CONTENT_ID = "4C0F1F3A-8E8A-4B5E-9B53-2D0A5F1A7C11"


def read(path: Path) -> Photo | Skipped:
    stat = path.stat()
    return read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns))


def _ffmpeg(*args: str) -> None:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True, timeout=60
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=64x48:d=2:r=10", "-c:v", "libx264",
            "-pix_fmt", "yuv420p", "-metadata", "creation_time=2024-06-14T13:30:12Z",
            str(path))  # fmt: skip
    return path


def live_clip(clip: Path, target: Path, content_id: str | None = CONTENT_ID) -> Path:
    tags = ["-movflags", "use_metadata_tags",
            "-metadata", "com.apple.quicktime.creationdate=2024-06-14T15:30:12+0200"]  # fmt: skip
    if content_id:
        tags += ["-metadata", f"com.apple.quicktime.content.identifier={content_id}"]
    target.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg("-i", str(clip), "-c", "copy", *tags, str(target))
    return target


def apple_maker_note(content_id: str) -> bytes:
    value = content_id.encode() + b"\x00"
    ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x0011, 2, len(value), 14 + 2 + 12 + 4)
    return b"Apple iOS\x00\x00\x01MM" + ifd + b"\x00\x00\x00\x00" + value


def live_still(make_photo, name: str, content_id: str = CONTENT_ID, **tags) -> Path:
    path = make_photo(name, exif=False)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 13"
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003], exif_ifd[0x9011] = "2024:06:14 15:30:12", "+02:00"
    exif_ifd[0x927C] = apple_maker_note(content_id)
    Image.open(path).save(path, exif=exif.tobytes())
    return path


def scanned(folder: Path, library: Path) -> list[Photo]:
    with Catalog.open(library / "catalog.sqlite") as catalog:
        scan_folders([folder], catalog, exclude=None, workers=1)
        return catalog.photos([folder])


# Live Photos --------------------------------------------------------------------------------


def test_the_still_carries_its_content_identifier(make_photo):
    photo = read(live_still(make_photo, "IMG_0001.JPG"))
    assert isinstance(photo, Photo)
    assert photo.content_id == CONTENT_ID


def test_the_clip_carries_the_same_identifier(clip, tmp_path):
    video = read(live_clip(clip, tmp_path / "IMG_0001.MOV"))
    assert isinstance(video, Photo)
    assert video.content_id == CONTENT_ID


def test_a_live_photo_is_one_photo_with_its_clip(make_photo, clip, tmp_path):
    still = live_still(make_photo, "IMG_0001.JPG")
    mov = live_clip(clip, still.with_name("IMG_0001.MOV"))
    photos = {photo.path_text: photo for photo in scanned(still.parent, tmp_path / "lib")}
    assert photos[str(mov)].companion_of == photos[str(still)].content_hash
    assert photos[str(still)].motion == Motion(str(mov))


def test_a_moved_clip_still_pairs_by_its_identifier(make_photo, clip, tmp_path):
    still = live_still(make_photo, "IMG_0001.JPG")
    mov = live_clip(clip, still.parent / "videos" / "exported.mov")
    photos = {photo.path_text: photo for photo in scanned(still.parent, tmp_path / "lib")}
    assert photos[str(mov)].companion_of == photos[str(still)].content_hash


def test_a_still_and_short_clip_of_one_name_pair_without_identifiers(make_photo, clip, tmp_path):
    still = make_photo("IMG_0002.jpg", taken_at="2024:06:14 15:30:12", offset="+02:00")
    mov = live_clip(clip, still.with_name("IMG_0002.MOV"), content_id=None)
    photos = {photo.path_text: photo for photo in scanned(still.parent, tmp_path / "lib")}
    assert photos[str(mov)].companion_of == photos[str(still)].content_hash


def test_a_lone_clip_is_an_ordinary_video(make_photo, clip, tmp_path):
    make_photo("IMG_0003.jpg", taken_at="2024:06:14 15:30:12", offset="+02:00")
    mov = live_clip(clip, tmp_path / "photos" / "IMG_0004.MOV")
    photos = {photo.path_text: photo for photo in scanned(mov.parent, tmp_path / "lib")}
    assert photos[str(mov)].companion_of is None
    assert photos[str(mov)].kind is PhotoKind.VIDEO


def test_a_live_photo_whose_clip_is_damaged_is_a_still(make_photo, clip, tmp_path):
    still = live_still(make_photo, "IMG_0001.JPG")
    mov = live_clip(clip, still.with_name("IMG_0001.MOV"))
    mov.write_bytes(mov.read_bytes()[: mov.stat().st_size // 3])
    photos = {photo.path_text: photo for photo in scanned(still.parent, tmp_path / "lib")}
    assert str(mov) not in photos
    assert photos[str(still)].motion is None


def test_a_live_photo_counts_once_in_the_timeline(make_photo, clip, tmp_path, settings):
    still = live_still(make_photo, "IMG_0001.JPG")
    live_clip(clip, still.with_name("IMG_0001.MOV"))
    pipeline.scan([still.parent], settings)
    photos = pipeline.catalogued_photos(settings, [still.parent])
    plan = pipeline.plan(settings, today=date(2025, 1, 1), photo_folders=[still.parent])
    assert len(photos) == 2
    assert [photo.path_text for photo in plan.timeline.photos] == [str(still)]
    seen = overview(photos)
    assert (seen.count, seen.kinds, seen.companions) == (1, {PhotoKind.PHOTO: 1}, 1)
    line = describe(seen)
    assert "1 photo;" in line and "1 file (Live Photo clips, RAWs) shown through" in line


# Motion photos ------------------------------------------------------------------------------


def test_google_motion_photo_says_where_its_video_is(make_photo, clip):
    path = make_photo("PXL_20240614_133012000.MP.jpg", taken_at="2024:06:14 15:30:12")
    video = clip.read_bytes()
    description = (
        '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" '
        f'GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" '
        f'GCamera:MicroVideoOffset="{len(video)}"/>'
    )
    assert_motion_photo(path, description, video)


def assert_motion_photo(path: Path, description: str, video: bytes) -> None:
    """The JPEG at `path`, given this XMP and the video appended, reads with that clip."""
    with_segments(path, xmp_segment(description))
    still_size = path.stat().st_size
    path.write_bytes(path.read_bytes() + video)
    photo = read(path)
    assert isinstance(photo, Photo)
    assert photo.motion == Motion(str(path), still_size, len(video))


def test_motion_photo_format_with_a_container_directory(make_photo, clip):
    path = make_photo("PXL_20240614_133013000.MP.jpg", taken_at="2024:06:14 15:30:13")
    video = clip.read_bytes()
    description = (
        '<rdf:Description xmlns:Camera="http://ns.google.com/photos/1.0/camera/" '
        'xmlns:Container="http://ns.google.com/photos/1.0/container/" '
        'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" Camera:MotionPhoto="1">'
        "<Container:Directory><rdf:Seq>"
        '<rdf:li><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/></rdf:li>'
        f'<rdf:li><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" '
        f'Item:Length="{len(video)}"/></rdf:li>'
        "</rdf:Seq></Container:Directory></rdf:Description>"
    )
    assert_motion_photo(path, description, video)


@pytest.mark.parametrize("marker", [b"", b"MotionPhoto_Data"])
def test_a_video_appended_without_xmp_is_found(make_photo, clip, marker):
    path = make_photo("20240614_153012.jpg", taken_at="2024:06:14 15:30:12")
    start = path.stat().st_size + len(marker)
    path.write_bytes(path.read_bytes() + marker + clip.read_bytes() + b"SEFT-trailer")
    photo = read(path)
    assert isinstance(photo, Photo)
    assert photo.motion is not None and photo.motion.offset == start


def test_motion_photos_are_stored_with_their_clip(make_photo, clip, tmp_path):
    path = make_photo("20240614_153012.jpg", taken_at="2024:06:14 15:30:12")
    start = path.stat().st_size
    path.write_bytes(path.read_bytes() + clip.read_bytes())
    (photo,) = scanned(path.parent, tmp_path / "lib")
    assert photo.motion == Motion(str(path), start, clip.stat().st_size)


# What follows the image ---------------------------------------------------------------------


@pytest.mark.parametrize("padding", [b"\x00" * 300_000, b"\xff" * 2 + b"\x00" * 200_000,
                                     b"vendor data " * 10_000])  # fmt: skip
def test_old_camera_padding_after_the_image_keeps_the_photo(make_photo, padding):
    path = make_photo("DSC00001.JPG", taken_at="2003:08:01 10:00:00", size=(640, 480))
    path.write_bytes(path.read_bytes() + padding)
    photo = read(path)
    assert isinstance(photo, Photo), photo


def test_a_really_truncated_jpeg_is_skipped_even_with_padding_after(make_photo):
    image = Image.effect_noise((640, 480), 64).convert("RGB")
    path = make_photo("DSC00002.JPG", image=image)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x00" * 100_000)
    result = read(path)
    assert isinstance(result, Skipped)
    assert "truncated" in result.reason


def test_multi_picture_files_keep_their_first_picture(make_photo):
    path = make_photo("stereo.jpg", taken_at="2010:01:01 10:00:00")
    second = make_photo("other.jpg").read_bytes()
    path.write_bytes(path.read_bytes() + second[: len(second) // 2])
    assert isinstance(read(path), Photo)


# RAW + JPEG ---------------------------------------------------------------------------------


def test_a_raw_beside_its_jpeg_belongs_to_it(make_photo, tmp_path):
    jpeg = make_photo("DSC_0001.JPG", taken_at="2024:06:14 15:30:12")
    raw = jpeg.with_name("DSC_0001.NEF")
    raw.write_bytes(_tiny_raw(jpeg))
    photos = {photo.path_text: photo for photo in scanned(jpeg.parent, tmp_path / "lib")}
    if str(raw) not in photos:
        pytest.skip("tiny raw not readable: " + str(_skipped(jpeg.parent, tmp_path)))
    assert photos[str(raw)].format == "RAW"
    assert photos[str(raw)].companion_of == photos[str(jpeg)].content_hash
    assert photos[str(jpeg)].companion_of is None


def _skipped(folder: Path, tmp_path: Path) -> list:
    with Catalog.open(tmp_path / "lib" / "catalog.sqlite") as catalog:
        return catalog.skipped([folder])


def _tiny_raw(jpeg: Path, xmp: bytes | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    """A TIFF-structured raw file: IFD0 with the camera, date, a JPEG preview, and XMP."""
    preview = jpeg.read_bytes()
    make, model, date = b"NIKON\x00", b"D750\x00", b"2024:06:14 15:30:12\x00"
    entries = [  # tag, type, count, value (inline) or data
        (0x00FE, 4, 1, 1), (0x0100, 4, 1, size[0]), (0x0101, 4, 1, size[1]), (0x0103, 3, 1, 6),
        (0x010F, 2, len(make), make), (0x0110, 2, len(model), model), (0x0112, 3, 1, 1),
        (0x0132, 2, len(date), date), (0x0201, 4, 1, "preview"), (0x0202, 4, 1, len(preview)),
    ]  # fmt: skip
    if xmp:
        entries.append((0x02BC, 7, len(xmp), xmp))
    header = b"II*\x00" + struct.pack("<I", 8)
    data_start = 8 + 2 + 12 * len(entries) + 4
    data, table = b"", b""
    preview_offset = data_start + sum(len(v) for *_, v in entries if isinstance(v, bytes))
    for tag, kind, count, value in entries:
        if isinstance(value, bytes):
            table += struct.pack("<HHII", tag, kind, count, data_start + len(data))
            data += value
        elif value == "preview":
            table += struct.pack("<HHII", tag, kind, count, preview_offset)
        elif kind == 3:
            table += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            table += struct.pack("<HHII", tag, kind, count, value)
    ifd = struct.pack("<H", len(entries)) + table + b"\x00\x00\x00\x00"
    return header + ifd + data + preview


def test_build_leaves_the_clip_out_of_memories(make_photo, clip, tmp_path, settings):
    still = live_still(make_photo, "IMG_0001.JPG")
    mov = live_clip(clip, still.with_name("IMG_0001.MOV"))
    shutil.copy(still, still.with_name("IMG_0005.JPG"))
    pipeline.scan([still.parent], settings)
    plan = pipeline.plan(settings, today=date(2025, 1, 1), photo_folders=[still.parent])
    shown = {photo.path_text for memory in plan.memories for photo in memory.photos}
    assert str(mov) not in shown


def test_scan_json_names_a_live_photos_clip_and_its_photo(make_photo, clip, tmp_path):
    import json

    from test_cli import run

    still = live_still(make_photo, "IMG_0001.JPG")
    mov = live_clip(clip, still.parent / "moved" / "IMG_0001.MOV")
    records = {
        record["path"]: record
        for record in json.loads(run("scan", still.parent, "-l", tmp_path / "lib", "--json").stdout)
    }
    assert records[str(mov)]["companion_of"] == str(still)
    assert records[str(still)]["motion"] == {"path": str(mov), "offset": 0, "length": None}
    assert records[str(still)]["companion_of"] is None
