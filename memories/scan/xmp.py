"""Read the XMP facts we use from an XMP packet: capture dates, and where a motion photo's clip is.

Editors (Lightroom, Photoshop, phone galleries) keep the capture time in XMP when they rewrite
EXIF, and Google's and Samsung's motion photos say in XMP where the video appended to the
image starts. The packet is real XML, parsed as such (the standard library's parser, which
refuses entity expansion attacks), so attribute and element forms read alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

from memories.scan.dates import DATE_ONLY_HOUR, parse_utc_offset

_EXIF = "http://ns.adobe.com/exif/1.0/"
_XMP = "http://ns.adobe.com/xap/1.0/"
_PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
_CAMERA = "http://ns.google.com/photos/1.0/camera/"
_ITEM = "http://ns.google.com/photos/1.0/container/item/"

XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"
"""How a JPEG's APP1 segment holding XMP begins."""

_MAX_PACKET_BYTES = 1024 * 1024

# The capture dates, most specific first: Lightroom and Photoshop write exif:DateTimeOriginal
# when the camera gave one; xmp:CreateDate and photoshop:DateCreated otherwise.
_CAPTURE_DATES = ((_EXIF, "DateTimeOriginal"), (_XMP, "CreateDate"), (_PHOTOSHOP, "DateCreated"))

_ISO_DATE = re.compile(
    r"^\s*(\d{4})[-:](\d{2})[-:](\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$",
    re.ASCII,
)


@dataclass(frozen=True, slots=True)
class XmpFacts:
    taken_at: datetime | None = None
    """Wall clock, aware when the packet gives the zone."""
    motion_clip: tuple[int, int] | None = None
    """A motion photo's video: how many bytes from the end of the file it starts, and its
    length."""


def read_xmp_facts(packet: bytes | None) -> XmpFacts:
    """What the packet says; nothing when it is absent or not well-formed XML."""
    if not packet:
        return XmpFacts()
    if packet.startswith(XMP_SIGNATURE):
        packet = packet[len(XMP_SIGNATURE) :]
    try:
        root = ElementTree.fromstring(packet[:_MAX_PACKET_BYTES].strip(b"\x00 \r\n\t"))
    except (ElementTree.ParseError, ValueError):
        return XmpFacts()
    values: dict[str, str] = {}
    items: list[dict[str, str]] = []
    for element in root.iter():
        if element.text and element.text.strip() and element.tag not in values:
            values[element.tag] = element.text.strip()
        for name, value in element.attrib.items():
            values.setdefault(name, value)
        item = {
            name[len(_ITEM) + 2 :]: value
            for name, value in element.attrib.items()
            if name.startswith("{" + _ITEM)
        }
        if item:
            items.append(item)
    taken_at = None
    for namespace, name in _CAPTURE_DATES:
        taken_at = taken_at or parse_xmp_date(values.get(f"{{{namespace}}}{name}"))
    return XmpFacts(taken_at=taken_at, motion_clip=_motion_clip(values, items))


def parse_xmp_date(text: str | None) -> datetime | None:
    """`2021-10-27T10:43:46+02:00`, `2019:05:12 19:06:51.25`, `2011-10-28` (a day: midday)."""
    match = _ISO_DATE.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        taken_at = datetime(
            int(year), int(month), int(day),
            int(hour) if hour else DATE_ONLY_HOUR, int(minute or 0), int(second or 0),
            int(fraction.ljust(6, "0")) if fraction else 0,
        )  # fmt: skip
    except ValueError:
        return None
    if taken_at.year < 1826:
        return None
    if zone == "Z":
        return taken_at.replace(tzinfo=UTC)
    offset = parse_utc_offset(zone) if zone and hour else None
    return taken_at.replace(tzinfo=offset) if offset else taken_at


def _motion_clip(values: dict[str, str], items: list[dict[str, str]]) -> tuple[int, int] | None:
    """(bytes from the end of the file where the video starts, its length): Google's
    MicroVideo (the video runs to the end), or the Motion Photo container directory, whose
    items after the primary image are appended to it in order."""
    if values.get(f"{{{_CAMERA}}}MicroVideo") == "1":
        offset = _integer(values.get(f"{{{_CAMERA}}}MicroVideoOffset"))
        return (offset, offset) if offset else None
    if values.get(f"{{{_CAMERA}}}MotionPhoto") != "1":
        return None
    after = 0  # bytes of the items that follow, counted from the end
    for item in reversed(items[1:]):  # the first item is the primary image
        length = _integer(item.get("Length")) or 0
        span = length + (_integer(item.get("Padding")) or 0)
        if item.get("Semantic") == "MotionPhoto" or item.get("Mime", "").startswith("video/"):
            return (after + span, length) if length else None
        after += span
    return None


def _integer(text: str | None) -> int | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value if value > 0 else None
