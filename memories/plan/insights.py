"""Work out a year in review's numbers from the timeline, each card listing the photos it counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from itertools import combinations, pairwise
from typing import Any

from memories.analyze.places import distance_km, name_for
from memories.language import Language, language
from memories.model import Insight, Place, TimelinePhoto

KINDS = (
    "days",
    "streak",
    "new_places",
    "furthest",
    "people",
    "together",
    "busiest_day",
    "first_and_last",
)
"""Every kind of insight, in the order the cards come."""

MIN_STREAK_DAYS = 3
MIN_FURTHEST_KM = 50.0
"""Closer than this to home is an outing, not a journey worth a card."""
MIN_TOGETHER_PHOTOS = 3
SHOWN_PLACE_NAMES = 3

def year_insights(
    year: int,
    timeline: Sequence[TimelinePhoto],
    *,
    home: tuple[float, float] | None,
    people_names: Mapping[str, str],
    words: Language | None = None,
) -> tuple[Insight, ...]:
    """The cards of `year` (by local date), in KINDS order, leaving out those with nothing to
    say, in the language of `words` (English by default). `timeline` is the whole library:
    earlier years tell which places are new. Only people in `people_names` are counted;
    photos of hidden people are the caller's to leave out."""
    say = words or language()
    photos = sorted((photo for photo in timeline if photo.local_time.year == year), key=_time_order)
    if not photos:
        return ()
    earlier = [photo for photo in timeline if photo.local_time.year < year]
    cards = (
        _days(photos, say),
        _streak(photos, say),
        _new_places(photos, earlier, home, say),
        _furthest(photos, home, say),
        _most_photographed(photos, people_names, say),
        _together(photos, people_names, say),
        _busiest_day(photos, say),
        _first_and_last(photos, say),
    )
    return tuple(card for card in cards if card is not None)


def _days(photos: Sequence[TimelinePhoto], words: Language) -> Insight:
    days = len({_day(photo) for photo in photos})
    months = len({photo.local_time.month for photo in photos})
    return _insight(
        "days",
        _say(words, "days", days=_count(words, days, "day")),
        _say(words, "days_detail", photos=_count(words, len(photos), "photo"),
             months=_count(words, months, "month")),
        days,
        photos,
    )  # fmt: skip


def _streak(photos: Sequence[TimelinePhoto], words: Language) -> Insight | None:
    """The longest run of consecutive days with photos; the earliest of equally long runs."""
    days = sorted({_day(photo) for photo in photos})
    best_start = run_start = days[0]
    best_length = 1
    for previous, current in pairwise(days):
        if (current - previous).days != 1:
            run_start = current
        length = (current - run_start).days + 1
        if length > best_length:
            best_start, best_length = run_start, length
    if best_length < MIN_STREAK_DAYS:
        return None
    in_run = [photo for photo in photos if 0 <= (_day(photo) - best_start).days < best_length]
    return _insight(
        "streak",
        words.say("insights", "streak", count=best_length),
        words.days_in_year(best_start, _day(in_run[-1])),
        best_length,
        in_run,
    )


def _new_places(
    photos: Sequence[TimelinePhoto],
    earlier: Sequence[TimelinePhoto],
    home: tuple[float, float] | None,
    words: Language,
) -> Insight | None:
    """Towns (a city in a country) first photographed this year, named in the order visited;
    not home's, nor its neighbours' (within MIN_FURTHEST_KM), which are no discovery."""
    seen_before = {_town(photo.place) for photo in earlier if photo.place}
    new_towns: dict[tuple[str, str], Place] = {}
    for photo in photos:
        place = photo.place
        if place is None or _town(place) in seen_before:
            continue
        near_home = home is not None and distance_km(home, _point_of(place)) < MIN_FURTHEST_KM
        if near_home:
            continue
        new_towns.setdefault(_town(place), place)
    if not new_towns:
        return None
    in_new_towns = [photo for photo in photos if photo.place and _town(photo.place) in new_towns]
    cities = Counter(city for city, _ in new_towns)
    names = [
        place.city if cities[place.city] == 1 else f"{place.city} ({place.country_code})"
        for place in new_towns.values()
    ]
    return _insight(
        "new_places",
        _count(words, len(new_towns), "new_place"),
        words.some_of(names, SHOWN_PLACE_NAMES),
        len(new_towns),
        in_new_towns,
    )


def _furthest(
    photos: Sequence[TimelinePhoto], home: tuple[float, float] | None, words: Language
) -> Insight | None:
    """The photo furthest from home (the earliest of equally far ones), and its town's photos
    of the year: all of them no further, so the card's number is the furthest of its photos."""
    if home is None:
        return None
    furthest: TimelinePhoto | None = None
    furthest_km = 0.0
    for photo in photos:
        point = _point(photo)
        if point is not None and (km := distance_km(home, point)) > furthest_km:
            furthest, furthest_km = photo, km
    if furthest is None or furthest_km < MIN_FURTHEST_KM:
        return None
    km = round(furthest_km)
    place = furthest.place
    if place is None:  # far from any town (at sea): the photo alone
        return _insight("furthest", _say(words, "furthest", km=words.number(km)),
                        words.days_in_year(_day(furthest)), km, [furthest])  # fmt: skip
    in_town = [photo for photo in photos if photo.place and _town(photo.place) == _town(place)]
    return _insight(
        "furthest",
        _say(words, "furthest_in", km=words.number(km), town=place.city),
        _say(words, "furthest_detail", country=words.country(place.country_code, place.country),
             span=words.days_in_year(_day(in_town[0]), _day(in_town[-1]))),
        km,
        in_town,
    )


def _most_photographed(
    photos: Sequence[TimelinePhoto], people_names: Mapping[str, str], words: Language
) -> Insight | None:
    """The named person in the most photos; on a tie, the first by name."""
    counts = Counter(
        person for photo in photos for person in photo.people if person in people_names
    )
    if not counts:
        return None
    person = min(counts, key=lambda person: (-counts[person], _by_name(person, people_names)))
    with_them = [photo for photo in photos if person in photo.people]
    return _insight(
        "people",
        _say(words, "people", name=people_names[person],
             photos=_count(words, len(with_them), "photo")),
        _say(words, "on_days", days=_count(words, len({_day(p) for p in with_them}), "day")),
        len(with_them),
        with_them,
    )


def _together(
    photos: Sequence[TimelinePhoto], people_names: Mapping[str, str], words: Language
) -> Insight | None:
    """The two named people most often in the same photo; on a tie, the first pair by name."""

    def by_name(person: str) -> tuple[str, str]:
        return _by_name(person, people_names)

    counts: Counter[tuple[str, str]] = Counter()
    for photo in photos:
        named = sorted((person for person in photo.people if person in people_names), key=by_name)
        counts.update(combinations(named, 2))
    if not counts:
        return None
    pair = min(counts, key=lambda pair: (-counts[pair], *map(by_name, pair)))
    if counts[pair] < MIN_TOGETHER_PHOTOS:
        return None
    first, second = pair
    together = [photo for photo in photos if first in photo.people and second in photo.people]
    return _insight(
        "together",
        _say(words, "together", first=people_names[first], second=people_names[second],
             photos=_count(words, len(together), "photo")),
        _say(words, "on_days", days=_count(words, len({_day(p) for p in together}), "day")),
        len(together),
        together,
    )


def _busiest_day(photos: Sequence[TimelinePhoto], words: Language) -> Insight:
    """The day with the most photos; the earliest of equally busy days."""
    counts = Counter(_day(photo) for photo in photos)
    busiest = min(counts, key=lambda day: (-counts[day], day))
    that_day = [photo for photo in photos if _day(photo) == busiest]
    place = name_for(photo.place for photo in that_day if photo.place)
    weekday = words.weekday(busiest.weekday())
    return _insight(
        "busiest_day",
        _say(words, "busiest", day=words.days_in_year(busiest),
             photos=_count(words, len(that_day), "photo")),
        _say(words, "busiest_detail_in", weekday=weekday, place=place) if place else weekday,
        len(that_day),
        that_day,
    )


def _first_and_last(photos: Sequence[TimelinePhoto], words: Language) -> Insight | None:
    """Days from the year's first photo to its last; nothing to say about a single photo."""
    if len(photos) < 2:
        return None
    first, last = photos[0], photos[-1]
    days = (_day(last) - _day(first)).days
    return _insight(
        "first_and_last",
        _say(words, "first_and_last", first=words.days_in_year(_day(first)),
             last=words.days_in_year(_day(last))),
        _say(words, "apart", days=_count(words, days, "day")) if days
        else _say(words, "same_day"),
        days,
        [first, last],
    )


def _insight(
    kind: str, headline: str, detail: str, value: int, photos: Sequence[TimelinePhoto]
) -> Insight:
    return Insight(kind, headline, detail, value, tuple(photo.content_hash for photo in photos))


def _time_order(photo: TimelinePhoto) -> tuple:
    return (photo.local_time, photo.instant, photo.content_hash)


def _day(photo: TimelinePhoto) -> date:
    return photo.local_time.date()


def _town(place: Place) -> tuple[str, str]:
    return (place.city, place.country_code)


def _point(photo: TimelinePhoto) -> tuple[float, float] | None:
    if photo.gps is not None:
        return photo.gps
    if photo.place is not None:
        return (photo.place.latitude, photo.place.longitude)
    return None


def _by_name(person: str, people_names: Mapping[str, str]) -> tuple[str, str]:
    return (people_names[person].casefold(), person)


def _count(words: Language, number: int, unit: str) -> str:
    """`1 photo`, `1,240 photos`, `5 zdjęć`: a number of a unit, by the language's plurals."""
    return words.say("insights", unit, count=number)


def _say(words: Language, key: str, **values: Any) -> str:
    return words.say("insights", key, **values)


def _point_of(place: Place) -> tuple[float, float]:
    return place.latitude, place.longitude
