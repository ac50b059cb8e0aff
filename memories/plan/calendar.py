"""Memories of the calendar: a season ("Summer 2024", by the hemisphere of home; a winter
across the year's turn is "Winter 2024-25") and a month ("October 2025"), each made once it
is over, and only when it has enough good photos on enough days. Pure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from memories.model import Memory, MemoryKind, Phrase, TimelinePhoto

if TYPE_CHECKING:
    from memories.plan.memories import Planner, PlanRules

SEASON_STARTS = {12: "winter", 3: "spring", 6: "summer", 9: "autumn"}
"""Meteorological seasons, by the month each starts in, north of the equator."""
TURNED = {"winter": "summer", "spring": "autumn", "summer": "winter", "autumn": "spring"}
"""The same months' season south of the equator."""


def season_of(day: date, *, southern: bool = False) -> tuple[int, int, str]:
    """The season a day is in: the year and month it starts in, and its name."""
    start_month = 12 if day.month in (12, 1, 2) else day.month - (day.month % 3)
    start_year = day.year - 1 if day.month in (1, 2) else day.year
    name = SEASON_STARTS[start_month]
    return start_year, start_month, TURNED[name] if southern else name


def season_over(start_year: int, start_month: int, today: date) -> bool:
    """Whether a season's three months have all passed by `today`."""
    last_month = start_month + 2
    end_year, end_month = start_year + (last_month - 1) // 12, (last_month - 1) % 12 + 1
    return (today.year, today.month) > (end_year, end_month)


def season_title(start_year: int, start_month: int, name: str) -> str:
    """`Summer 2024`, or `Winter 2024-25` for the season across the year's turn."""
    if start_month == 12:
        return f"{name.title()} {start_year}-{(start_year + 1) % 100:02d}"
    return f"{name.title()} {start_year}"


def seasons(
    planner: Planner,
    timeline: Sequence[TimelinePhoto],
    today: date,
    told: Mapping[str, str],
    *,
    southern: bool,
) -> list[Memory | None]:
    """A memory for each season that is over and had photos on enough days, unless one
    event or trip (`told`: its id by content hash) holds most of them."""
    by_season: dict[tuple[int, int, str], list[TimelinePhoto]] = defaultdict(list)
    for photo in timeline:
        by_season[season_of(photo.local_time.date(), southern=southern)].append(photo)
    rules = planner.rules
    memories: list[Memory | None] = []
    for (year, month, name), photos in sorted(by_season.items()):
        if not season_over(year, month, today) or _one_event(photos, told, rules):
            continue
        if len({photo.local_time.date() for photo in photos}) < rules.min_season_days:
            continue
        span = f"{year}-{(year + 1) % 100:02d}" if month == 12 else str(year)
        phrase = Phrase.of("season_across" if month == 12 else "season", season=name,
                           year=year, next=f"{(year + 1) % 100:02d}")  # fmt: skip
        memories.append(planner.make(
            f"{span}-{name}", MemoryKind.SEASON, season_title(year, month, name), photos,
            rules.min_season_photos, bucket=lambda p: p.local_time.isocalendar()[:2],
            phrase=phrase,
        ))  # fmt: skip
    return memories


def months(
    planner: Planner, timeline: Sequence[TimelinePhoto], today: date, told: Mapping[str, str]
) -> list[Memory | None]:
    """A memory of each month's best, once the month is over, for months with enough good
    photos on enough days that are more than one event or trip."""
    by_month: dict[tuple[int, int], list[TimelinePhoto]] = defaultdict(list)
    for photo in timeline:
        by_month[(photo.local_time.year, photo.local_time.month)].append(photo)
    rules = planner.rules
    memories: list[Memory | None] = []
    for (year, month), photos in sorted(by_month.items()):
        if (year, month) >= (today.year, today.month) or _one_event(photos, told, rules):
            continue
        if len({photo.local_time.date() for photo in photos}) < rules.min_month_days:
            continue
        memories.append(planner.make(
            f"{year}-{month:02d}-month", MemoryKind.MONTH, f"{date(year, month, 1):%B %Y}",
            photos, rules.min_month_photos, bucket=lambda p: p.local_time.date(),
            phrase=Phrase.of("month", year=year, month=month),
        ))  # fmt: skip
    return memories


def _one_event(photos: Sequence[TimelinePhoto], told: Mapping[str, str], rules: PlanRules) -> bool:
    """Whether one event or trip holds so many of the photos that a memory of them would
    only repeat it."""
    counts = Counter(told.get(photo.content_hash) for photo in photos)
    counts.pop(None, None)
    return bool(counts) and max(counts.values()) >= rules.most_in_one_event * len(photos)
