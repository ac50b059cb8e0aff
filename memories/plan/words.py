"""Plain words for memories: date spans, times of day, and slugs that are safe file names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date, datetime

_MAX_SLUG = 60


def slug(text: str) -> str:
    """`Trip to Genève` -> `trip-to-geneve`; text with no Latin letters gets a short hash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:_MAX_SLUG].strip("-")
    if cleaned:
        return cleaned
    return "x" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def date_span(start: date | datetime, end: date | datetime) -> str:
    """`24 Dec 2022`, `3-9 Apr 2024`, `30 Mar - 2 Apr 2024`, `28 Dec 2023 - 2 Jan 2024`."""
    start, end = _day(start), _day(end)
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{end.day} {end:%b %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%b} - {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} - {end.day} {end:%b %Y}"


def part_of_day(start: datetime, end: datetime) -> str:
    """What to call a stretch of one day: `morning`, `afternoon`, `evening`, `night` or `day`."""
    if (end - start).total_seconds() > 5 * 3600:
        return "day"
    middle = start + (end - start) / 2
    hour = middle.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


def years_ago(years: int) -> str:
    return "1 year ago" if years == 1 else f"{years} years ago"


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
