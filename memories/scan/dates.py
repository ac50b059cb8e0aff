"""Turn the many ways a file records when it was taken into one datetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_EXIF_DATETIME = re.compile(
    r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})", re.ASCII
)
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$", re.ASCII)

# A date in a file name: IMG_20240614_153012, PXL_20240614_153012345, 20240614_153012,
# IMG-20240614-WA0001, Screenshot_2024-06-14-15-30-12, "Screenshot 2024-06-14 at 15.30.12",
# "2024-06-14 15.30.12" (Dropbox), signal-2024-06-14-153012, telegram_2020-01-30_09-57-18,
# 1990_06_16_07_30_00, 201801261147521000 (milliseconds and more), IMG_..._BURST20190216172030,
# MVIMG_20190215_193501 ... Years from 1970 may be written without separators; earlier ones
# (scans of old prints, from the first photograph in 1826 on) only with them, so that a
# camera's running number (P1830215.JPG) is never read as a date.
_TIME_PART = r"(?:[-_ T.]*(?:at[ _])?([01]\d|2[0-3])[-_.:h]?([0-5]\d)[-_.:m]?([0-5]\d)(\d{1,6})?)?"
_FILENAME_DATE = re.compile(
    r"(?<!\d)(?:"
    r"(19[7-9]\d|2\d\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])" + _TIME_PART + r"|"
    r"(18[2-9]\d|19[0-6]\d)[-_.](0[1-9]|1[0-2])[-_.](0[1-9]|[12]\d|3[01])" + _TIME_PART + r")"
    r"(?!\d)",
    re.ASCII,
)
FIRST_PHOTOGRAPH_YEAR = 1826

DATE_ONLY_HOUR = 12
"""A name that gives only the day (WhatsApp's IMG-20240614-WA0001) is placed at midday."""


def parse_utc_offset(text: str | None) -> timezone | None:
    """`+09:00`, `-0500` -> a timezone; anything else -> None."""
    if not text:
        return None
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def parse_exif_datetime(
    value: str | None, subsec: str | None = None, offset: str | None = None
) -> datetime | None:
    """An EXIF `YYYY:MM:DD HH:MM:SS` with its sub-seconds and offset; placeholders -> None."""
    if not value:
        return None
    match = _EXIF_DATETIME.search(value)
    if not match:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        taken_at = datetime(year, month, day, hour, minute, second)
    except ValueError:  # 0000:00:00 00:00:00, month 13, ...
        return None
    if taken_at.year < FIRST_PHOTOGRAPH_YEAR:
        return None
    digits = "".join(ch for ch in (subsec or "") if ch in "0123456789")[:6]
    if digits:
        taken_at = taken_at.replace(microsecond=int(digits.ljust(6, "0")))
    tz = parse_utc_offset(offset)
    return taken_at.replace(tzinfo=tz) if tz else taken_at


def date_from_filename(name: str) -> datetime | None:
    """The date (and time, when there is one) a phone or app wrote into a file name."""
    for match in _FILENAME_DATE.finditer(name):
        groups = match.groups()
        year, month, day, hour, minute, second, fraction = groups[:7] if groups[0] else groups[7:]
        if int(year) > datetime.now().year + 1:
            continue
        try:
            if hour is None:
                return datetime(int(year), int(month), int(day), DATE_ONLY_HOUR)
            microsecond = int(fraction.ljust(6, "0")) if fraction else 0
            return datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond
            )
        except ValueError:
            continue
    return None


def from_timestamp_utc(seconds: float) -> datetime | None:
    """A POSIX timestamp as an aware UTC datetime; None for 0 and absurd values."""
    if not seconds or seconds < 0 or seconds > 4_102_444_800:  # after 2100
        return None
    return datetime.fromtimestamp(seconds, UTC)


def from_mtime(mtime_ns: int) -> datetime:
    """A file's modification time in this machine's local time, with its offset."""
    return datetime.fromtimestamp(mtime_ns / 1e9).astimezone()
