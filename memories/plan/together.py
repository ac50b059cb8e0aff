"""Memories of named people: two people together across the years ("Ana and Léo"), a
person's year ("Ana in 2024"), a birthday the user recorded ("Ana turns 6", made a few days
before it from the photos of their earlier birthdays), and a person (or a town) then and
now (the first and the latest years they were photographed, years apart). Only people the
user named and did not hide; never a guessed birthday. Pure."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from memories.model import Memory, MemoryKind, Phrase, TimelinePhoto
from memories.plan.words import slug

if TYPE_CHECKING:
    from memories.plan.memories import Planner


def pairs(planner: Planner, timeline: Sequence[TimelinePhoto]) -> list[Memory | None]:
    """Each pair of named people in the same photos in enough years."""
    names = planner.people_names
    by_pair: dict[tuple[str, str], list[TimelinePhoto]] = defaultdict(list)
    for photo in timeline:
        named = sorted(person for person in photo.people if person in names)
        for first, second in itertools.combinations(named, 2):
            by_pair[(first, second)].append(photo)
    rules = planner.rules
    memories: list[Memory | None] = []
    for (first, second), photos in sorted(by_pair.items()):
        if len({photo.local_time.year for photo in photos}) < rules.min_together_years:
            continue
        ana, leo = sorted((names[first], names[second]), key=str.casefold)
        memories.append(planner.make(
            f"together-{slug(ana)}-{slug(leo)}", MemoryKind.TOGETHER, f"{ana} and {leo}",
            photos, rules.min_together_photos, bucket=lambda p: p.local_time.year,
            phrase=Phrase.of("together", first=ana, second=leo),
        ))  # fmt: skip
    return memories


def person_years(
    planner: Planner, timeline: Sequence[TimelinePhoto], today: date
) -> list[Memory | None]:
    """Each named person's finished years with enough photos of them on enough days."""
    rules = planner.rules
    memories: list[Memory | None] = []
    for person, name in sorted(planner.people_names.items()):
        for year, photos in sorted(_by_year(timeline, person).items()):
            finished = year < today.year or (year == today.year and today.month == 12)
            days = {photo.local_time.date() for photo in photos}
            if finished and len(days) >= rules.min_person_year_days:
                memories.append(planner.make(
                    f"person-{slug(name)}-{year}", MemoryKind.PERSON_YEAR, f"{name} in {year}",
                    photos, rules.min_person_year_photos, bucket=lambda p: p.local_time.month,
                    phrase=Phrase.of("person_year", name=name, year=year),
                ))  # fmt: skip
    return memories


def birthdays(
    planner: Planner,
    timeline: Sequence[TimelinePhoto],
    today: date,
    born: Mapping[str, date],
) -> list[Memory | None]:
    """For each named person whose birthday the user recorded, when one is near (from a
    few days before it to some weeks after): their photos around their earlier birthdays,
    titled with the age they turn."""
    rules = planner.rules
    memories: list[Memory | None] = []
    for person, birth in sorted(born.items()):
        name = planner.people_names.get(person)
        if name is None:
            continue
        coming = _birthday_near(birth, today, rules.birthday_shown_from,
                                rules.birthday_shown_until)  # fmt: skip
        if coming is None or coming.year <= birth.year:
            continue
        around = timedelta(days=rules.birthday_days_around)
        earlier = [_in_year(birth, year) for year in range(birth.year, coming.year)]
        photos = [
            photo for photo in timeline if person in photo.people
            and any(abs(photo.local_time.date() - day) <= around for day in earlier)
        ]  # fmt: skip
        age = coming.year - birth.year
        memories.append(planner.make(
            f"birthday-{slug(name)}-{coming.year}", MemoryKind.BIRTHDAY, f"{name} turns {age}",
            photos, rules.min_birthday_photos, bucket=lambda p: p.local_time.year,
            phrase=Phrase.of("birthday", name=name, age=age),
        ))  # fmt: skip
    return memories


def then_and_now(planner: Planner, timeline: Sequence[TimelinePhoto]) -> list[Memory | None]:
    """Each named person's best photos of the first year they were photographed beside
    those of the latest, when these are years apart."""
    return [_then_and_now(planner, f"then-and-now-{slug(name)}", name,
                          _by_year(timeline, person))
            for person, name in sorted(planner.people_names.items())]  # fmt: skip


def places_then_and_now(
    planner: Planner, timeline: Sequence[TimelinePhoto]
) -> list[Memory | None]:
    """The same for each town."""
    by_town: dict[tuple[str, str], list[TimelinePhoto]] = defaultdict(list)
    for photo in timeline:
        if photo.place is not None:
            by_town[(photo.place.country_code, photo.place.city)].append(photo)
    return [_then_and_now(planner, f"then-and-now-in-{slug(city)}", city, _by_year(photos),
                          place=city)
            for (_, city), photos in sorted(by_town.items())]  # fmt: skip


def _then_and_now(
    planner: Planner, memory_id: str, label: str, by_year: Mapping[int, Sequence[TimelinePhoto]],
    *, place: str | None = None,
) -> Memory | None:  # fmt: skip
    """The best of the first year beside the best of the latest, when they are far enough
    apart and each has at least two good photos."""
    rules = planner.rules
    if not by_year or max(by_year) - min(by_year) < rules.then_and_now_years:
        return None
    first, latest = min(by_year), max(by_year)
    then = planner.best(by_year[first], 2, most=rules.then_and_now_each)
    now = planner.best(by_year[latest], 2, most=rules.then_and_now_each)
    if then is None or now is None:
        return None
    title = f"{label}, {first} and {latest}"
    return planner.make(memory_id, MemoryKind.THEN_AND_NOW, title, [*then, *now], 4,
                        place=place, bucket=lambda p: p.local_time.year,
                        phrase=Phrase.of("then_and_now", label=label, first=first,
                                         latest=latest))  # fmt: skip


def _by_year(
    timeline: Sequence[TimelinePhoto], person: str | None = None
) -> dict[int, list[TimelinePhoto]]:
    """The photos (of `person`, when given) by the year they were taken."""
    by_year: dict[int, list[TimelinePhoto]] = defaultdict(list)
    for photo in timeline:
        if person is None or person in photo.people:
            by_year[photo.local_time.year].append(photo)
    return by_year


def _birthday_near(birth: date, today: date, before: int, after: int) -> date | None:
    """The birthday (this year's, last year's or next year's) from `before` days ahead of
    `today` to `after` days behind it; None when none is that near."""
    for year in (today.year - 1, today.year, today.year + 1):
        day = _in_year(birth, year)
        if -after <= (day - today).days <= before:
            return day
    return None


def _in_year(birth: date, year: int) -> date:
    """The birthday in `year` (28 February for the 29th in a year without one)."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return birth.replace(year=year, day=28)
