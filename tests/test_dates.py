from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memories.scan.dates import (
    DATE_ONLY_HOUR,
    date_from_filename,
    parse_exif_datetime,
    parse_utc_offset,
)


def test_exif_datetime_with_subseconds_and_offset():
    taken_at = parse_exif_datetime("2024:06:14 15:30:12", "045", "+09:00")
    assert taken_at == datetime(2024, 6, 14, 15, 30, 12, 45000, tzinfo=timezone(timedelta(hours=9)))
    assert taken_at.isoformat() == "2024-06-14T15:30:12.045000+09:00"


def test_exif_datetime_without_offset_is_naive_wall_clock():
    assert parse_exif_datetime("2024:06:14 15:30:12") == datetime(2024, 6, 14, 15, 30, 12)


@pytest.mark.parametrize(
    "placeholder",
    ["0000:00:00 00:00:00", "    :  :     :  :  ", "", "2024:13:01 00:00:00", "garbage"],
)
def test_placeholder_dates_are_missing(placeholder):
    assert parse_exif_datetime(placeholder) is None


@pytest.mark.parametrize(
    ("text", "hours"), [("+09:00", 9), ("-05:00", -5), ("+0530", 5.5), ("+00:00", 0)]
)
def test_utc_offsets(text, hours):
    assert parse_utc_offset(text) == timezone(timedelta(hours=hours))


@pytest.mark.parametrize("text", [None, "", "   :  ", "+25:00", "nine"])
def test_bad_offsets_are_ignored(text):
    assert parse_utc_offset(text) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IMG_20240614_153012.jpg", datetime(2024, 6, 14, 15, 30, 12)),
        ("PXL_20240614_153012345.jpg", datetime(2024, 6, 14, 15, 30, 12, 345000)),
        ("PXL_20240614_153012345.MP.jpg", datetime(2024, 6, 14, 15, 30, 12, 345000)),
        ("20240614_153012.jpg", datetime(2024, 6, 14, 15, 30, 12)),
        ("VID_20240614_153012.mp4", datetime(2024, 6, 14, 15, 30, 12)),
        ("IMG-20240614-WA0001.jpg", datetime(2024, 6, 14, DATE_ONLY_HOUR)),
        ("Screenshot_2024-06-14-15-30-12.png", datetime(2024, 6, 14, 15, 30, 12)),
        ("Screenshot_20240614-153012_Chrome.jpg", datetime(2024, 6, 14, 15, 30, 12)),
        ("Screenshot 2024-06-14 at 15.30.12.png", datetime(2024, 6, 14, 15, 30, 12)),
        ("2024-06-14 15.30.12.jpg", datetime(2024, 6, 14, 15, 30, 12)),
        ("signal-2024-06-14-153012.jpg", datetime(2024, 6, 14, 15, 30, 12)),
        ("photo_2024-06-14_15-30-12.jpg", datetime(2024, 6, 14, 15, 30, 12)),
    ],
)
def test_dates_in_file_names(name, expected):
    assert date_from_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    ["IMG_1234.JPG", "DSCF0412.JPG", "holiday.jpg", "IMG_20241341_000000.jpg", "123456789012.jpg"],
)
def test_names_without_a_date(name):
    assert date_from_filename(name) is None


@given(st.text(max_size=60))
def test_any_file_name_gives_a_valid_date_or_none(name):
    result = date_from_filename(name)
    assert result is None or 1970 <= result.year <= 2099


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)))
def test_exif_datetime_round_trip(moment):
    text = moment.strftime("%Y:%m:%d %H:%M:%S")
    assert parse_exif_datetime(text) == moment.replace(microsecond=0)
