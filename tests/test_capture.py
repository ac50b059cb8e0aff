"""When a photo was taken: every place a file keeps its capture time, the order they are
tried in, and the zone of each (file, GPS, neighbours, home, system)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from memories.model import DateSource, FileEntry, Photo, PhotoKind, Skipped, ZoneSource
from memories.plan.zones import resolve_zones
from memories.scan.capture import Candidate, choose_capture
from memories.scan.iptc import read_iptc_date
from memories.scan.metadata import read_media
from memories.scan.xmp import parse_xmp_date, read_xmp_facts

PARIS_SUMMER = timezone(timedelta(hours=2))
LYON = (45.764, 4.8357)
MTIME = datetime(2030, 1, 1, tzinfo=UTC)


def read(path: Path, sidecar: Path | None = None) -> Photo | Skipped:
    stat = path.stat()
    return read_media(FileEntry(str(path), stat.st_size, stat.st_mtime_ns, sidecar))


def read_photo(path: Path) -> Photo:
    result = read(path)
    assert isinstance(result, Photo), result
    return result


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(path: Path, *segments: bytes) -> Path:
    """The JPEG at `path` with these APPn segments put right after its start marker."""
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"".join(segments) + data[2:])
    return path


def xmp_segment(body: str) -> bytes:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    )
    return segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode())


def iptc_segment(day: bytes, clock: bytes | None = None) -> bytes:
    datasets = b"\x1c\x02\x37" + struct.pack(">H", len(day)) + day
    if clock is not None:
        datasets += b"\x1c\x02\x3c" + struct.pack(">H", len(clock)) + clock
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(datasets))
    resource += datasets + (b"\x00" if len(datasets) % 2 else b"")
    return segment(0xED, b"Photoshop 3.0\x00" + resource)


# The order -------------------------------------------------------------------------------


def test_xmp_capture_date_beats_the_export_time_in_exif_datetime(make_photo):
    path = make_photo("export.jpg", file_datetime="2021:10:29 13:42:00")
    description = (
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmp:CreateDate="2021-10-27T10:43:46+02:00"/>'
    )
    photo = read_photo(with_segments(path, xmp_segment(description)))
    assert photo.taken_at == datetime(2021, 10, 27, 10, 43, 46, tzinfo=PARIS_SUMMER)
    assert photo.taken_at_source is DateSource.XMP
    assert photo.zone_source is ZoneSource.FILE


def test_xmp_date_as_an_element(make_photo):
    description = (
        '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/">'
        "<exif:DateTimeOriginal>2019-05-12T19:06:51.25</exif:DateTimeOriginal></rdf:Description>"
    )
    photo = read_photo(with_segments(make_photo("lr.jpg"), xmp_segment(description)))
    assert photo.taken_at == datetime(2019, 5, 12, 19, 6, 51, 250000)


def test_iptc_date_and_time_with_offset(make_photo):
    path = with_segments(make_photo("news.jpg"), iptc_segment(b"20170713", b"170100+0000"))
    photo = read_photo(path)
    assert photo.taken_at == datetime(2017, 7, 13, 17, 1, tzinfo=UTC)
    assert photo.taken_at_source is DateSource.IPTC


def test_iptc_day_alone_is_midday():
    app13 = iptc_segment(b"20111028")[4:]
    assert read_iptc_date(app13) == datetime(2011, 10, 28, 12)


def test_create_date_in_ifd0_is_a_capture_date(make_photo):
    exif = Image.Exif()
    exif[0x9004] = "2011:07:19 11:36:38"  # some cameras write it in IFD0
    exif[0x0132] = "2020:05:15 10:25:45"
    path = Path(make_photo("ifd0.jpg", exif=False))
    Image.open(path).save(path, exif=exif.tobytes())
    photo = read_photo(path)
    assert photo.taken_at == datetime(2011, 7, 19, 11, 36, 38)
    assert photo.taken_at_source is DateSource.EXIF


def test_a_date_in_the_name_beats_the_file_datetime(make_photo):
    photo = read_photo(make_photo("IMG_20190609_125732.jpg", file_datetime="2020:01:01 10:00:00"))
    assert photo.taken_at == datetime(2019, 6, 9, 12, 57, 32)
    assert photo.taken_at_source is DateSource.FILENAME


def test_file_datetime_is_the_last_date_before_mtime(make_photo):
    photo = read_photo(make_photo("IMG_1234.jpg", file_datetime="2020:01:01 10:00:00"))
    assert photo.taken_at == datetime(2020, 1, 1, 10)
    assert photo.taken_at_source is DateSource.MODIFIED


def test_gps_time_alone_is_an_instant_placed_in_the_zone_of_its_position(make_photo):
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (45.0, 45.0, 50.0), "E", (4.0, 50.0, 8.0)
    gps[7], gps[29] = (16.0, 52.0, 46.0), "2020:06:16"
    path = Path(make_photo("gps.jpg", exif=False))
    Image.open(path).save(path, exif=exif.tobytes())
    photo = read_photo(path)
    assert photo.taken_at == datetime(2020, 6, 16, 18, 52, 46, tzinfo=PARIS_SUMMER)
    assert photo.taken_at_source is DateSource.GPS
    assert photo.zone_source is ZoneSource.GPS


def test_wall_clock_without_offset_takes_the_zone_of_its_gps(make_photo):
    summer = read_photo(make_photo("a.jpg", taken_at="2024:06:14 15:30:12", gps=LYON))
    winter = read_photo(make_photo("b.jpg", taken_at="2024:01:14 15:30:12", gps=LYON))
    assert summer.taken_at.isoformat() == "2024-06-14T15:30:12+02:00"
    assert winter.taken_at.isoformat() == "2024-01-14T15:30:12+01:00"
    assert summer.zone_source is ZoneSource.GPS


def test_the_file_offset_wins_over_the_gps_zone(make_photo):
    photo = read_photo(
        make_photo("p.jpg", taken_at="2024:06:14 15:30:12", offset="+09:00", gps=LYON)
    )
    assert photo.taken_at.isoformat() == "2024-06-14T15:30:12+09:00"
    assert photo.zone_source is ZoneSource.FILE


def test_without_offset_or_gps_the_zone_is_left_open(make_photo):
    photo = read_photo(make_photo("p.jpg", taken_at="2024:06:14 15:30:12"))
    assert photo.taken_at == datetime(2024, 6, 14, 15, 30, 12)
    assert photo.zone_source is None


def test_takeout_sidecar_wins_and_its_instant_is_placed_in_the_zone_of_its_place(make_photo):
    path = make_photo("IMG_1.jpg", taken_at="2019:12:09 18:59:32")
    sidecar = path.with_name("IMG_1.jpg.json")
    sidecar.write_text(
        '{"title": "IMG_1.jpg", "photoTakenTime": {"timestamp": "1423073935"},'
        ' "geoData": {"latitude": 45.764, "longitude": 4.8357}}'
    )
    photo = read(path, sidecar)
    assert isinstance(photo, Photo)
    assert photo.taken_at_source is DateSource.SIDECAR
    assert photo.taken_at.isoformat() == "2015-02-04T19:18:55+01:00"
    assert photo.zone_source is ZoneSource.GPS
    assert photo.gps == LYON
    assert photo.sidecar == str(sidecar)


def test_a_foreign_sidecar_is_ignored(make_photo):
    path = make_photo("IMG_2.jpg", taken_at="2022:12:16 16:06:47")
    sidecar = path.with_name("IMG_2.jpg.json")
    sidecar.write_text('{"test": "data"}')
    photo = read(path, sidecar)
    assert isinstance(photo, Photo)
    assert photo.taken_at_source is DateSource.EXIF
    assert photo.sidecar is None


def test_a_scan_notes_each_sidecar_it_ignored(make_photo, tmp_path):
    from memories.catalog import Catalog
    from memories.scan.index import scan_folders

    path = make_photo("IMG_3.jpg", taken_at="2022:12:16 16:06:47")
    path.with_name("IMG_3.jpg.json").write_text('{"test": "data"}')
    with Catalog.open(tmp_path / "catalog.sqlite") as catalog:
        report = scan_folders([path.parent], catalog, exclude=None, workers=1)
    assert report.warnings == [
        f"{path}.json: ignored (not a Google Takeout sidecar); its photo is read from its own "
        "metadata"
    ]
    assert report.exit_status == 0


# Choosing, as data ------------------------------------------------------------------------


def no_zone() -> None:
    return None


def test_sidecar_instant_takes_the_offset_of_the_same_moment_in_the_file():
    instant = datetime(2015, 2, 4, 18, 18, 55, tzinfo=UTC)
    exif = Candidate(datetime(2015, 2, 4, 19, 18, 55), DateSource.EXIF)
    capture = choose_capture(instant, [exif], [], MTIME, no_zone)
    assert capture.taken_at.isoformat() == "2015-02-04T19:18:55+01:00"
    assert (capture.source, capture.zone) == (DateSource.SIDECAR, ZoneSource.FILE)


def test_sidecar_that_disagrees_with_the_file_wins_and_stays_an_instant_without_a_zone():
    instant = datetime(2015, 2, 4, 18, 18, 55, tzinfo=UTC)
    exif = Candidate(datetime(2019, 12, 9, 18, 59, 32), DateSource.EXIF)
    capture = choose_capture(instant, [exif], [], MTIME, no_zone)
    assert capture.taken_at == instant
    assert capture.zone is None


def test_a_wall_clock_borrows_the_zone_of_another_date_of_the_same_moment():
    exif = Candidate(datetime(2005, 8, 3, 18, 59, 18), DateSource.EXIF)
    xmp = Candidate(datetime(2005, 8, 3, 18, 59, 18, tzinfo=timezone(-timedelta(hours=4))),
                    DateSource.XMP)  # fmt: skip
    capture = choose_capture(None, [exif, xmp], [], MTIME, no_zone)
    assert capture.taken_at.isoformat() == "2005-08-03T18:59:18-04:00"
    assert (capture.source, capture.zone) == (DateSource.EXIF, ZoneSource.FILE)


def test_an_iptc_offset_is_not_lent_to_the_exif_wall_clock():
    # editors write IPTC TimeCreated with +0000 when they do not know the zone
    exif = Candidate(datetime(2013, 11, 26, 15, 53, 55), DateSource.EXIF)
    iptc = Candidate(datetime(2013, 11, 26, 15, 53, 55, tzinfo=UTC), DateSource.IPTC)
    johannesburg = timezone(timedelta(hours=2))
    capture = choose_capture(None, [exif, iptc], [], MTIME, lambda: johannesburg)
    assert capture.taken_at.isoformat() == "2013-11-26T15:53:55+02:00"
    assert capture.zone is ZoneSource.GPS


def test_nothing_but_the_mtime():
    capture = choose_capture(None, [Candidate(None, DateSource.EXIF)], [], MTIME, no_zone)
    assert (capture.taken_at, capture.source) == (MTIME, DateSource.MTIME)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-10-27T10:43:46+02:00", datetime(2021, 10, 27, 10, 43, 46, tzinfo=PARIS_SUMMER)),
        ("2019:05:12 19:06:51", datetime(2019, 5, 12, 19, 6, 51)),
        ("2020-05-11T14:18:35Z", datetime(2020, 5, 11, 14, 18, 35, tzinfo=UTC)),
        ("2011-10-28", datetime(2011, 10, 28, 12)),
        ("0000-00-00T00:00:00", None),
        ("yesterday", None),
    ],
)
def test_xmp_date_forms(text, expected):
    assert parse_xmp_date(text) == expected


@pytest.mark.parametrize(
    "packet", [b"", b"<not xml", b"\x00" * 40, b"<?xml version='1.0'?><a>" + b"<b>" * 50]
)
def test_broken_xmp_says_nothing(packet):
    assert read_xmp_facts(packet).taken_at is None


# Zones from the photos around ---------------------------------------------------------------


def dated(name: str, taken_at: datetime, zone: ZoneSource | None) -> Photo:
    return Photo(name, name, "JPEG", PhotoKind.PHOTO, 4, 3, 1, taken_at, DateSource.EXIF, None,
                 None, zone_source=zone)  # fmt: skip


def test_a_camera_without_a_clock_zone_borrows_the_phone_beside_it():
    tokyo = timezone(timedelta(hours=9))
    phone = dated("phone", datetime(2024, 4, 3, 10, 0, tzinfo=tokyo), ZoneSource.FILE)
    camera = dated("camera", datetime(2024, 4, 3, 10, 20), None)
    _, resolved = resolve_zones([phone, camera])
    assert resolved.taken_at == datetime(2024, 4, 3, 10, 20, tzinfo=tokyo)
    assert resolved.zone_source is ZoneSource.NEIGHBOURS


def test_an_instant_without_zone_gets_the_wall_clock_of_its_neighbours():
    phone = dated("phone", datetime(2024, 6, 14, 19, 55, tzinfo=PARIS_SUMMER), ZoneSource.GPS)
    video = dated("video", datetime(2024, 6, 14, 18, 0, tzinfo=UTC), None)
    _, resolved = resolve_zones([phone, video])
    assert resolved.taken_at.isoformat() == "2024-06-14T20:00:00+02:00"


def test_far_neighbours_do_not_lend_their_zone_the_home_does():
    tokyo = timezone(timedelta(hours=9))
    phone = dated("phone", datetime(2024, 4, 3, 10, 0, tzinfo=tokyo), ZoneSource.FILE)
    camera = dated("camera", datetime(2024, 7, 1, 10, 0), None)
    _, resolved = resolve_zones([phone, camera], ZoneInfo("Europe/Paris"))
    assert resolved.taken_at.isoformat() == "2024-07-01T10:00:00+02:00"
    assert resolved.zone_source is ZoneSource.HOME


def test_last_resort_is_this_machines_zone():
    (resolved,) = resolve_zones([dated("camera", datetime(2024, 7, 1, 10, 0), None)])
    assert resolved.zone_source is ZoneSource.SYSTEM
    assert resolved.taken_at.replace(tzinfo=None) == datetime(2024, 7, 1, 10, 0)
    assert resolved.taken_at.tzinfo is not None


# Hostile input ------------------------------------------------------------------------------


@given(st.binary(max_size=600))
@settings(max_examples=300, deadline=None)
def test_any_xmp_or_iptc_bytes_give_facts_or_nothing(data):
    read_xmp_facts(b"http://ns.adobe.com/xap/1.0/\x00" + data)
    read_iptc_date(b"Photoshop 3.0\x00" + data)
    read_iptc_date(b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + data)


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_xmp_date_text_is_a_date_or_nothing(text):
    parsed = parse_xmp_date(text)
    assert parsed is None or parsed.year >= 1826


@given(
    st.datetimes(min_value=datetime(1826, 1, 2), max_value=datetime(2099, 12, 30)),
    st.datetimes(min_value=datetime(1826, 1, 2), max_value=datetime(2099, 12, 30)),
)
@settings(max_examples=200, deadline=None)
def test_choosing_a_capture_from_any_dates_never_fails(wall_clock, instant):
    capture = choose_capture(
        instant.replace(tzinfo=UTC), [Candidate(wall_clock, DateSource.EXIF)], [], MTIME, no_zone
    )
    assert capture.source is DateSource.SIDECAR
    (resolved,) = resolve_zones([dated("x", wall_clock, None)], ZoneInfo("Pacific/Chatham"))
    assert resolved.taken_at.tzinfo is not None
