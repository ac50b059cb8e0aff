"""Decide which memories to make (events, trips, on this day, people, years, places; the
calendar's in plan/calendar.py, people's together in plan/together.py) and choose their
photos. Pure: the same timeline and `today` always give the same memories."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from memories.analyze.places import name_for
from memories.model import Event, Memory, MemoryKind, Phrase, TimelinePhoto
from memories.plan.selection import best_of_each_burst, choose, cover_of, duplicate_groups
from memories.plan.words import date_span, part_of_day, slug, years_ago

POOR_SCORE = 0.35
"""Below this a photo is blurred or badly exposed (see Quality.score)."""


@dataclass(frozen=True, kw_only=True)
class PlanRules:
    """Sizes and windows; every minimum counts photos left after bursts are collapsed."""

    max_photos: int = 24
    kinds: frozenset[MemoryKind] = field(default_factory=lambda: frozenset(MemoryKind))
    min_event: int = 3
    min_trip: int = 6
    min_on_this_day: int = 3
    on_this_day_window_days: int = 3
    min_year_photos: int = 6
    min_year_months: int = 3
    min_place_photos: int = 6
    min_place_years: int = 3
    min_person_photos: int = 6
    min_person_days: int = 3
    min_season_photos: int = 10
    min_season_days: int = 4
    min_month_photos: int = 10
    min_month_days: int = 3
    min_together_photos: int = 6
    min_together_years: int = 2
    min_person_year_photos: int = 6
    min_person_year_days: int = 3
    min_birthday_photos: int = 4
    birthday_days_around: int = 3
    """A photo this many days from a birthday is one of its photos."""
    birthday_shown_from: int = 7
    """A birthday's memory is made this many days before the date..."""
    birthday_shown_until: int = 30
    """... and kept until this many days after it."""
    then_and_now_years: int = 2
    then_and_now_each: int = 3
    """The most photos from each end of the years, best first."""
    most_in_one_event: float = 0.8
    """A season or month with this share of its photos in one event or trip would only
    repeat that memory: it is not made."""


def plan_memories(
    timeline: Sequence[TimelinePhoto],
    events: Sequence[Event],
    trips: Sequence[Sequence[Event]],
    *,
    today: date,
    home_city: str | None = None,
    people_names: Mapping[str, str] | None = None,
    birthdays: Mapping[str, date] | None = None,
    home: tuple[float, float] | None = None,
    rules: PlanRules = PlanRules(),
    language: str = "en",
) -> list[Memory]:
    """All memories worth making, newest first. `birthdays` are those the user recorded, by
    person id; `home` (latitude, longitude) turns the seasons south of the equator and
    measures a year's furthest place. Titles are in English (memories.language says them
    in another); a year's numbers are in `language`."""
    from memories.plan import calendar, together

    southern = home is not None and home[0] < 0
    people_names = people_names or {}
    groups = duplicate_groups(timeline)
    planner = Planner(groups, people_names, rules, language)
    in_trips = {event.id for trip in trips for event in trip}
    told = {photo.content_hash: event.id for event in events for photo in event.photos}
    told |= {photo.content_hash: trip[0].id for trip in trips for e in trip for photo in e.photos}
    makers: dict[MemoryKind, Callable[[], Iterable[Memory | None]]] = {
        MemoryKind.EVENT: lambda: (planner.event(e) for e in events if e.id not in in_trips),
        MemoryKind.TRIP: lambda: (planner.trip(trip) for trip in trips),
        MemoryKind.ON_THIS_DAY: lambda: planner.on_this_day(timeline, today),
        MemoryKind.PERSON: lambda: planner.people(timeline),
        MemoryKind.YEAR: lambda: planner.years(timeline, today, home),
        MemoryKind.PLACE: lambda: planner.places(timeline, home_city),
        MemoryKind.SEASON: lambda: calendar.seasons(planner, timeline, today, told,
                                                    southern=southern),
        MemoryKind.MONTH: lambda: calendar.months(planner, timeline, today, told),
        MemoryKind.TOGETHER: lambda: together.pairs(planner, timeline),
        MemoryKind.PERSON_YEAR: lambda: together.person_years(planner, timeline, today),
        MemoryKind.BIRTHDAY: lambda: together.birthdays(planner, timeline, today, birthdays or {}),
        MemoryKind.THEN_AND_NOW: lambda: [*together.then_and_now(planner, timeline),
                                          *together.places_then_and_now(planner, timeline)],
    }
    memories = [
        memory
        for kind, make in makers.items()
        if kind in rules.kinds
        for memory in make()
        if memory is not None
    ]
    return sorted(memories, key=lambda memory: (memory.end, memory.id), reverse=True)


class Planner:
    """Makes each kind of memory from its candidate photos, by the same rules: bursts
    collapsed, blurred shots left out when there are enough others, a minimum size, and a
    spread over time."""

    def __init__(
        self, groups: Mapping[str, int], people_names: Mapping[str, str], rules: PlanRules,
        language: str = "en",
    ) -> None:  # fmt: skip
        self.groups = groups
        self.people_names = people_names
        self.rules = rules
        self.language = language

    def event(self, event: Event) -> Memory | None:
        start, end = event.start, event.end
        days = (end.date() - start.date()).days + 1
        # a party past midnight is a night out, not two days
        part, place = part_of_day(start, end), event.place
        if days > 1 and (end - start).total_seconds() >= 12 * 3600:
            what = f"{days} days"
            phrase = (Phrase.of("event_days_in", count=days, place=place) if place
                      else Phrase.of("event_days", count=days))  # fmt: skip
        elif place:
            what = _with_article(part)
            phrase = Phrase.of("event_part_in", part=part, place=place)
        else:
            what = f"{start:%A} {part}"
            phrase = Phrase.of("event_weekday_part", part=part, weekday=start.weekday())
        title = f"{what} in {place}" if place else what
        return self.make(
            event.id,
            MemoryKind.EVENT,
            title[0].upper() + title[1:],
            event.photos,
            self.rules.min_event,
            place=event.place,
            phrase=phrase,
        )

    def trip(self, trip: Sequence[Event]) -> Memory | None:
        photos = [photo for event in trip for photo in event.photos]
        place = name_for(photo.place for photo in photos if photo.place)
        title = f"Trip to {place}" if place else "A trip"
        memory_id = f"{photos[0].local_time:%Y-%m-%d}-trip-{slug(place or 'away')}"
        return self.make(
            memory_id,
            MemoryKind.TRIP,
            title,
            photos,
            self.rules.min_trip,
            place=place,
            chapters=tuple(event.id for event in trip),
            phrase=Phrase.of("trip_to", place=place) if place else Phrase.of("trip"),
        )

    def on_this_day(self, timeline: Sequence[TimelinePhoto], today: date) -> list[Memory | None]:
        window = timedelta(days=self.rules.on_this_day_window_days)
        by_year: dict[int, list[TimelinePhoto]] = defaultdict(list)
        for photo in timeline:
            year = photo.local_time.year
            if (
                year < today.year
                and abs(photo.local_time.date() - _same_day(today, year)) <= window
            ):
                by_year[year].append(photo)
        return [
            self.make(
                f"{_same_day(today, year):%Y-%m-%d}-on-this-day",
                MemoryKind.ON_THIS_DAY,
                f"On this day, {years_ago(today.year - year)}",
                photos,
                self.rules.min_on_this_day,
                phrase=Phrase.of("on_this_day", count=today.year - year),
            )
            for year, photos in sorted(by_year.items())
        ]

    def years(
        self, timeline: Sequence[TimelinePhoto], today: date, home: tuple[float, float] | None
    ) -> list[Memory | None]:
        """Each finished year with photos in enough months: the best of each month, and the
        year's numbers (plan/insights.py)."""
        from memories.language import language
        from memories.plan.insights import year_insights

        by_year: dict[int, list[TimelinePhoto]] = defaultdict(list)
        for photo in timeline:
            by_year[photo.local_time.year].append(photo)
        memories: list[Memory | None] = []
        for year, photos in sorted(by_year.items()):
            finished = year < today.year or (year == today.year and today.month == 12)
            months = {photo.local_time.month for photo in photos}
            if not (finished and len(months) >= self.rules.min_year_months):
                continue
            memory = self.make(f"{year}-in-review", MemoryKind.YEAR, f"{year} in review",
                               photos, self.rules.min_year_photos,
                               bucket=lambda p: p.local_time.month,
                               phrase=Phrase.of("year", year=year))  # fmt: skip
            if memory is not None:
                insights = year_insights(year, timeline, home=home,
                                         people_names=self.people_names,
                                         words=language(self.language))  # fmt: skip
                memory = replace(memory, insights=insights)
            memories.append(memory)
        return memories

    def places(
        self, timeline: Sequence[TimelinePhoto], home_city: str | None
    ) -> list[Memory | None]:
        by_city: dict[tuple, list[TimelinePhoto]] = defaultdict(list)
        for photo in timeline:
            if photo.place and photo.place.city != home_city:
                by_city[(photo.place.country_code, photo.place.city)].append(photo)
        names = Counter(city for _, city in by_city)
        memories: list[Memory | None] = []
        for (country_code, city), photos in sorted(by_city.items()):
            if len({photo.local_time.year for photo in photos}) < self.rules.min_place_years:
                continue
            label = city if names[city] == 1 else f"{city} {country_code}"
            memories.append(
                self.make(
                    f"place-{slug(label)}",
                    MemoryKind.PLACE,
                    f"{city} over the years",
                    photos,
                    self.rules.min_place_photos,
                    place=city,
                    bucket=lambda p: p.local_time.year,
                    phrase=Phrase.of("place", place=city),
                )
            )
        return memories

    def people(self, timeline: Sequence[TimelinePhoto]) -> list[Memory | None]:
        memories: list[Memory | None] = []
        for person_id, name in sorted(self.people_names.items()):
            photos = [photo for photo in timeline if person_id in photo.people]
            if len({photo.local_time.date() for photo in photos}) < self.rules.min_person_days:
                continue
            years = {photo.local_time.year for photo in photos}
            memories.append(
                self.make(
                    f"person-{slug(name)}",
                    MemoryKind.PERSON,
                    f"{name} over the years" if len(years) > 1 else name,
                    photos,
                    self.rules.min_person_photos,
                    bucket=lambda p: p.local_time.year,
                    phrase=Phrase.of("person_years", name=name) if len(years) > 1 else None,
                )
            )
        return memories

    def make(
        self,
        memory_id: str,
        kind: MemoryKind,
        title: str,
        candidates: Sequence[TimelinePhoto],
        minimum: int,
        *,
        place: str | None = None,
        chapters: tuple[str, ...] = (),
        bucket: Callable[[TimelinePhoto], Hashable] | None = None,
        most: int | None = None,
        phrase: Phrase | None = None,
    ) -> Memory | None:
        """A memory of the best of `candidates` (in time order), or None when fewer than
        `minimum` are left once bursts are collapsed."""
        photos = self.best(candidates, minimum, most=most, bucket=bucket)
        if photos is None:
            return None
        if place is None:
            place = name_for(photo.place for photo in candidates if photo.place)
        start, end = candidates[0].local_time, candidates[-1].local_time
        return Memory(
            id=memory_id,
            kind=kind,
            title=title,
            dates=date_span(start, end),
            start=start,
            end=end,
            place=place,
            people=self._names(photos),
            photos=tuple(photos),
            cover=cover_of(photos),
            chapters=chapters,
            phrase=phrase,
        )

    def best(
        self,
        candidates: Sequence[TimelinePhoto],
        minimum: int,
        *,
        most: int | None = None,
        bucket: Callable[[TimelinePhoto], Hashable] | None = None,
    ) -> list[TimelinePhoto] | None:
        """The photos a memory of `candidates` shows, in time order: one of each burst,
        blurred and badly exposed shots left out when enough others remain, spread over
        `bucket`; None when fewer than `minimum` are left."""
        distinct = best_of_each_burst(candidates, self.groups)
        if len(distinct) < minimum:
            return None
        sharp = [photo for photo in distinct if photo.score >= POOR_SCORE]
        if len(sharp) >= minimum:
            distinct = sharp  # leave blurred and badly exposed shots out when we can
        return choose(distinct, most or self.rules.max_photos, bucket=bucket)

    def _names(self, photos: Iterable[TimelinePhoto]) -> tuple[str, ...]:
        seen = Counter(person for photo in photos for person in photo.people)
        return tuple(
            self.people_names[person]
            for person, _ in seen.most_common()
            if person in self.people_names
        )


def _same_day(today: date, year: int) -> date:
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=year, day=28)


def _with_article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
