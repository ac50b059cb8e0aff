"""Read the IPTC capture date (DateCreated + TimeCreated) from a JPEG's Photoshop APP13 block.

News and stock workflows, and many desktop editors, keep the capture time in IPTC: a day
`CCYYMMDD` and a time `HHMMSS+HHMM` in record 2, inside Photoshop's image resource 0x0404.
"""

from __future__ import annotations

import struct
from datetime import datetime

from memories.scan.dates import DATE_ONLY_HOUR, parse_utc_offset

PHOTOSHOP_SIGNATURE = b"Photoshop 3.0\x00"
"""How a JPEG's APP13 segment holding Photoshop image resources begins."""

_IPTC_RESOURCE = 0x0404
_DATE_CREATED, _TIME_CREATED = 55, 60
_DIGITAL_DATE, _DIGITAL_TIME = 62, 63


def read_iptc_date(app13: bytes | None) -> datetime | None:
    """The capture date and time the IPTC block gives (aware when it has the offset)."""
    if not app13 or not app13.startswith(PHOTOSHOP_SIGNATURE):
        return None
    try:
        record = _iptc_record(memoryview(app13)[len(PHOTOSHOP_SIGNATURE) :])
    except (struct.error, IndexError):
        return None
    return _date(record.get(_DATE_CREATED), record.get(_TIME_CREATED)) or _date(
        record.get(_DIGITAL_DATE), record.get(_DIGITAL_TIME)
    )


def _iptc_record(resources: memoryview) -> dict[int, bytes]:
    """The datasets of IPTC record 2 (application), by number: first occurrence of each."""
    position = 0
    while position + 12 <= len(resources):
        if resources[position : position + 4] != b"8BIM":
            return {}
        (resource,) = struct.unpack_from(">H", resources, position + 4)
        name_length = resources[position + 6]
        name_end = position + 7 + name_length + ((name_length + 1) % 2)  # padded to even
        (size,) = struct.unpack_from(">I", resources, name_end)
        data = resources[name_end + 4 : name_end + 4 + size]
        if resource == _IPTC_RESOURCE:
            return _datasets(data)
        position = name_end + 4 + size + (size % 2)
    return {}


def _datasets(data: memoryview) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    position = 0
    while position + 5 <= len(data) and data[position] == 0x1C:
        record, dataset = data[position + 1], data[position + 2]
        (length,) = struct.unpack_from(">H", data, position + 3)
        if length & 0x8000:  # an extended dataset: never a date
            return found
        value = bytes(data[position + 5 : position + 5 + length])
        if record == 2:
            found.setdefault(dataset, value)
        position += 5 + length
    return found


def _date(day: bytes | None, clock: bytes | None) -> datetime | None:
    """`20170713` and `170100+0000` -> 2017-07-13 17:01:00+00:00; a day alone -> midday."""
    text = (day or b"").decode("ascii", "replace").strip()
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return None
    time_text = (clock or b"").decode("ascii", "replace").strip()
    hour, minute, second = DATE_ONLY_HOUR, 0, 0
    zone = None
    if len(time_text) >= 6 and time_text[:6].isascii() and time_text[:6].isdigit():
        hour, minute, second = int(time_text[:2]), int(time_text[2:4]), int(time_text[4:6])
        zone = parse_utc_offset(time_text[6:]) if len(time_text) > 6 else None
    try:
        taken_at = datetime(int(text[:4]), int(text[4:6]), int(text[6:]), hour, minute, second)
    except ValueError:
        return None
    if taken_at.year < 1826:
        return None
    return taken_at.replace(tzinfo=zone) if zone else taken_at
