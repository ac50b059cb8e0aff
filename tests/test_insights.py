"""A year in review's numbers: each card's value recounted from the photos it lists, a golden
year, and the ties and edge cases of each rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import combinations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from memories.analyze.places import distance_km
from memories.model import Insight, MemoryKind, PhotoKind, Place, TimelinePhoto
from memories.plan.insights import KINDS, year_insights

LYON = Place("Lyon", "Auvergne-Rhône-Alpes", "France", "FR", 45.7640, 4.8357)
ANNECY = Place("Annecy", "Auvergne-Rhône-Alpes", "France", "FR", 45.8992, 6.1294)
PARIS = Place("Paris", "Île-de-France", "France", "FR", 48.8566, 2.3522)
PARIS_TEXAS = Place("Paris", "Texas", "United States", "US", 33.6609, -95.5555)
KYOTO = Place("Kyoto", "Kyoto", "Japan", "JP", 35.0116, 135.7681)
OSAKA = Place("Osaka", "Osaka", "Japan", "JP", 34.6937, 135.5023)
REYKJAVIK = Place("Reykjavík", None, "Iceland", "IS", 64.1466, -21.9426)
HOME = (LYON.latitude, LYON.longitude)
NAMES = {"ana": "Ana", "leo": "Léo"}


def shot(
    name: str,
    local: str,
    place: Place | None = LYON,
    *,
    gps: tuple[float, float] | None = None,
    people: Sequence[str] = (),
    offset_hours: float = 1,
) -> TimelinePhoto:
    """A photo called `name` (its content hash) at `local` wall-clock time, in `place`."""
    local_time = datetime.fromisoformat(local)
    instant = (local_time - timedelta(hours=offset_hours)).replace(tzinfo=UTC).timestamp()
    return TimelinePhoto(
        path_text=f"/photos/{name}.jpg",
        content_hash=name,
        kind=PhotoKind.PHOTO,
        local_time=local_time,
        instant=instant,
        gps=gps,
        place=place,
        score=0.8,
        dhash=None,
        landscape=True,
        people=frozenset(people),
    )


def by_kind(insights: Sequence[Insight]) -> dict[str, Insight]:
    return {insight.kind: insight for insight in insights}


# The golden year -------------------------------------------------------------------------------

A_YEAR = [
    shot("lyon-2023", "2023-07-01 10:00"),
    shot("annecy-2023", "2023-08-15 12:00", ANNECY, people=["ana"]),
    shot("jan-02", "2024-01-02 09:00", people=["someone"]),
    shot("mar-10", "2024-03-10 10:00", people=["ana", "leo"]),
    shot("mar-11", "2024-03-11 10:00", people=["ana", "leo"]),
    shot("mar-12-a", "2024-03-12 09:00", people=["ana"]),
    shot("mar-12-b", "2024-03-12 11:00", people=["ana", "leo"]),
    shot("mar-12-c", "2024-03-12 15:00", people=["someone"]),
    shot("mar-13", "2024-03-13 10:00", people=["someone"]),
    shot("mar-14", "2024-03-14 10:00", people=["ana", "leo", "someone"]),
    shot("kyoto-a", "2024-04-03 08:00", KYOTO, offset_hours=9),
    shot("kyoto-b", "2024-04-03 14:00", KYOTO, people=["someone"], offset_hours=9),
    shot("osaka-a", "2024-04-04 10:00", OSAKA, gps=(OSAKA.latitude, OSAKA.longitude),
         people=["someone"], offset_hours=9),
    shot("osaka-b", "2024-04-04 16:00", OSAKA, offset_hours=9),
    shot("annecy-2024", "2024-06-01 12:00", ANNECY, people=["ana"]),
    shot("dec-30", "2024-12-30 18:00", people=["leo", "someone"]),
    shot("tokyo-2025", "2025-02-01 12:00", Place("Tokyo", None, "Japan", "JP", 35.68, 139.65)),
]  # fmt: skip


def test_a_year_with_a_trip_abroad_a_streak_and_two_friends():
    # "someone" is known but unnamed: in the most photos, yet on no card
    insights = year_insights(2024, A_YEAR, home=HOME, people_names=NAMES)
    march = ("mar-10", "mar-11", "mar-12-a", "mar-12-b", "mar-12-c", "mar-13", "mar-14")
    assert insights == (
        Insight("days", "10 days with photos", "14 photos in 5 months", 10,
                tuple(p.content_hash for p in A_YEAR if p.local_time.year == 2024)),
        Insight("streak", "5 days in a row", "10-14 March", 5, march),
        Insight("new_places", "2 new places", "Kyoto and Osaka", 2,
                ("kyoto-a", "kyoto-b", "osaka-a", "osaka-b")),
        Insight("furthest", "9,791 km from home: Osaka", "Japan, 4 April", 9791,
                ("osaka-a", "osaka-b")),
        Insight("people", "Most photographed: Ana (6 photos)", "on 5 days", 6,
                ("mar-10", "mar-11", "mar-12-a", "mar-12-b", "mar-14", "annecy-2024")),
        Insight("together", "Ana and Léo: 4 photos together", "on 4 days", 4,
                ("mar-10", "mar-11", "mar-12-b", "mar-14")),
        Insight("busiest_day", "Busiest day: 12 March (3 photos)", "Tuesday in Lyon", 3,
                ("mar-12-a", "mar-12-b", "mar-12-c")),
        Insight("first_and_last", "First photo: 2 January · last: 30 December",
                "363 days apart", 363, ("jan-02", "dec-30")),
    )  # fmt: skip


def test_the_order_of_the_timeline_does_not_matter():
    forwards = year_insights(2024, A_YEAR, home=HOME, people_names=NAMES)
    assert year_insights(2024, A_YEAR[::-1], home=HOME, people_names=NAMES) == forwards


# Every card recounted from its photos ------------------------------------------------------------

_TOWNS = [LYON, ANNECY, PARIS, PARIS_TEXAS, KYOTO, OSAKA, REYKJAVIK]
_PEOPLE = ["ana", "leo", "mia", "zed"]
_START = date(2023, 12, 1)


_PHOTO = st.tuples(
    # days from _START: a dense week across new year, two months around it, two years
    st.one_of(st.integers(26, 36), st.integers(0, 70), st.integers(-500, 500)),
    st.integers(0, 24 * 60 - 1),  # minutes into the day
    st.one_of(st.none(), st.sampled_from(_TOWNS)),
    st.sampled_from([None, (-40.0, -120.0), (40.0, -40.0), (45.8, 4.9)]),  # at sea, or near home
    st.sampled_from([None, 0.0, 0.05, -0.2]),  # gps off the town's centre
    st.frozensets(st.sampled_from(_PEOPLE), max_size=3),
    st.sampled_from([-5, 1, 9]),
)


def timeline_of(fields: Sequence[tuple]) -> list[TimelinePhoto]:
    photos = []
    for index, (days, minutes, place, at_sea, jitter, people, offset) in enumerate(fields):
        local_time = datetime.combine(_START, datetime.min.time())
        local_time += timedelta(days=days, minutes=minutes)
        if place is None:
            gps = at_sea
        else:
            gps = None if jitter is None else (place.latitude + jitter, place.longitude - jitter)
        photos.append(
            shot(f"h{index}", local_time.isoformat(sep=" "), place, gps=gps, people=people,
                 offset_hours=offset)
        )  # fmt: skip
    return photos


# a handful of photos, or a few dozen: many around new year 2024 (streaks), some further out
_FEW, _DOZENS = st.lists(_PHOTO, max_size=8), st.lists(_PHOTO, min_size=15, max_size=40)
timelines = st.one_of(_FEW, _DOZENS).map(timeline_of)


def _point(photo: TimelinePhoto) -> tuple[float, float] | None:
    if photo.gps:
        return photo.gps
    return (photo.place.latitude, photo.place.longitude) if photo.place else None


def _town(photo: TimelinePhoto) -> tuple[str, str] | None:
    return (photo.place.city, photo.place.country_code) if photo.place else None


def _days_of(photos: Sequence[TimelinePhoto]) -> set[date]:
    return {photo.local_time.date() for photo in photos}


def _runs_longer_than(length: int, days: set[date], before: date | None = None) -> bool:
    """Whether `days` hold a run of more than `length` consecutive days (or, with `before`,
    a run of exactly `length` starting before that day)."""
    wanted = length if before else length + 1
    return any(
        all(start + timedelta(days=k) in days for k in range(wanted))
        for start in days
        if before is None or start < before
    )


def check(
    insight: Insight,
    year: int,
    timeline: Sequence[TimelinePhoto],
    home: tuple[float, float] | None,
    people_names: Mapping[str, str],
) -> None:
    """Recount `insight.value` from the photos it lists, and check they are all it should list."""
    of_hash = {photo.content_hash: photo for photo in timeline}
    listed = [of_hash[content_hash] for content_hash in insight.photos]
    year_photos = [photo for photo in timeline if photo.local_time.year == year]
    assert listed and all(photo.local_time.year == year for photo in listed)
    assert len(set(insight.photos)) == len(insight.photos)
    assert [photo.local_time for photo in listed] == sorted(photo.local_time for photo in listed)
    value = insight.value
    pairs = list(combinations(sorted(people_names), 2))

    def lists_exactly(keep: Callable[[TimelinePhoto], object]) -> bool:
        """Whether the card lists exactly the year's photos that `keep` picks."""
        return set(insight.photos) == {photo.content_hash for photo in year_photos if keep(photo)}

    def most(keeps: Sequence[Callable[[TimelinePhoto], object]]) -> int:
        return max(sum(bool(keep(photo)) for photo in year_photos) for keep in keeps)

    def with_person(person: str) -> Callable[[TimelinePhoto], bool]:
        return lambda photo: person in photo.people

    def with_pair(pair: tuple[str, str]) -> Callable[[TimelinePhoto], bool]:
        return lambda photo: set(pair) <= photo.people

    def on_day(day: date) -> Callable[[TimelinePhoto], bool]:
        return lambda photo: photo.local_time.date() == day

    if insight.kind == "days":
        assert value == len(_days_of(listed)) and lists_exactly(lambda photo: True)
    elif insight.kind == "streak":
        days = sorted(_days_of(listed))
        assert value == len(days) == (days[-1] - days[0]).days + 1 >= 3
        assert lists_exactly(lambda photo: days[0] <= photo.local_time.date() <= days[-1])
        all_days = _days_of(year_photos)
        assert not _runs_longer_than(value, all_days)
        assert not _runs_longer_than(value, all_days, before=days[0])
    elif insight.kind == "new_places":
        earlier = {_town(photo) for photo in timeline if photo.local_time.year < year}
        assert value == len({_town(photo) for photo in listed})
        assert lists_exactly(lambda photo: photo.place and _town(photo) not in earlier
                             and not _near_home(photo, home))  # fmt: skip
    elif insight.kind == "furthest":
        assert home is not None
        km = [distance_km(home, point) for photo in year_photos if (point := _point(photo))]
        listed_km = [distance_km(home, point) for photo in listed if (point := _point(photo))]
        assert len(listed_km) == len(listed) and value == round(max(listed_km))
        assert max(listed_km) == max(km) >= 50
        if listed[0].place is None:
            assert len(listed) == 1
        else:
            assert lists_exactly(lambda photo: _town(photo) == _town(listed[0]))
    elif insight.kind == "people":
        # about a named person: an id missing from people_names is never the one counted
        about = [person for person in people_names if lists_exactly(with_person(person))]
        assert any(people_names[person] in insight.headline for person in about)
        assert value == len(listed) == most([with_person(person) for person in people_names])
    elif insight.kind == "together":
        about = [pair for pair in pairs if lists_exactly(with_pair(pair))]
        assert any(all(people_names[p] in insight.headline for p in pair) for pair in about)
        assert value == len(listed) == most([with_pair(pair) for pair in pairs]) >= 3
    elif insight.kind == "busiest_day":
        [day] = _days_of(listed)
        assert lists_exactly(on_day(day))
        assert value == len(listed) == most([on_day(day) for day in _days_of(year_photos)])
    elif insight.kind == "first_and_last":
        first, last = listed
        assert first.local_time == min(photo.local_time for photo in year_photos)
        assert last.local_time == max(photo.local_time for photo in year_photos)
        assert value == (last.local_time.date() - first.local_time.date()).days
    else:
        raise AssertionError(f"unknown kind {insight.kind}")


def expected_kinds(
    year_photos: Sequence[TimelinePhoto],
    earlier: Sequence[TimelinePhoto],
    home: tuple[float, float] | None,
    people_names: Mapping[str, str],
) -> set[str]:
    """Which cards a year should have, worked out the plain way."""
    if not year_photos:
        return set()
    kinds = {"days", "busiest_day"}
    if _runs_longer_than(2, _days_of(year_photos)):
        kinds.add("streak")
    seen = {_town(photo) for photo in earlier if photo.place}
    if any(photo.place and _town(photo) not in seen and not _near_home(photo, home)
           for photo in year_photos):  # fmt: skip
        kinds.add("new_places")
    points = [point for photo in year_photos if (point := _point(photo))]
    if home and points and max(distance_km(home, point) for point in points) >= 50:
        kinds.add("furthest")
    named = [photo.people & set(people_names) for photo in year_photos]
    if any(named):
        kinds.add("people")
    pairs = {pair for people in named for pair in combinations(sorted(people), 2)}
    if any(sum(set(pair) <= people for people in named) >= 3 for pair in pairs):
        kinds.add("together")
    if len(year_photos) >= 2:
        kinds.add("first_and_last")
    return kinds


@settings(max_examples=120, deadline=None)
@given(
    timeline=timelines,
    year=st.sampled_from([2023, 2024, 2024, 2022, 2025]),
    home=st.sampled_from([None, HOME, (KYOTO.latitude, KYOTO.longitude)]),
    named=st.lists(st.sampled_from(_PEOPLE), unique=True),
)
def test_every_value_is_a_count_of_the_photos_the_card_lists(timeline, year, home, named):
    people_names = {person: person.title() for person in named}
    insights = year_insights(year, timeline, home=home, people_names=people_names)
    kinds = [insight.kind for insight in insights]
    assert kinds == [kind for kind in KINDS if kind in kinds]
    year_photos = [photo for photo in timeline if photo.local_time.year == year]
    earlier = [photo for photo in timeline if photo.local_time.year < year]
    assert set(kinds) == expected_kinds(year_photos, earlier, home, people_names)
    for insight in insights:
        event(insight.kind)
        check(insight, year, timeline, home, people_names)


# Ties and edge cases ---------------------------------------------------------------------------


def test_a_year_without_photos_has_no_cards():
    assert year_insights(2019, A_YEAR, home=HOME, people_names=NAMES) == ()


def test_one_photo_has_no_first_and_last_and_no_streak():
    kinds = [i.kind for i in year_insights(2025, A_YEAR, home=HOME, people_names=NAMES)]
    assert kinds == ["days", "new_places", "furthest", "busiest_day"]


def test_two_days_in_a_row_are_no_streak():
    photos = [shot("a", "2024-05-01 10:00"), shot("b", "2024-05-02 10:00")]
    assert "streak" not in by_kind(year_insights(2024, photos, home=None, people_names={}))


def test_the_earliest_of_equally_long_streaks_wins_and_may_span_two_months():
    photos = [shot(f"jul-{day}", f"2024-07-{day} 12:00") for day in (30, 31)]
    photos += [shot(f"aug-{day}", f"2024-08-0{day} 12:00") for day in (1, 5, 6, 7)]
    streak = by_kind(year_insights(2024, photos, home=None, people_names={}))["streak"]
    assert (streak.value, streak.detail) == (3, "30 July - 1 August")
    assert streak.photos == ("jul-30", "jul-31", "aug-1")


def test_a_streak_stops_at_new_year():
    photos = [shot(f"dec-{day}", f"2023-12-{day} 12:00") for day in (29, 30, 31)]
    photos += [shot(f"jan-{day}", f"2024-01-0{day} 12:00") for day in (1, 2)]
    assert "streak" not in by_kind(year_insights(2024, photos, home=None, people_names={}))


def test_a_town_seen_in_an_earlier_year_is_not_new_but_its_namesake_abroad_is():
    photos = [
        shot("paris-2022", "2022-05-01 12:00", PARIS),
        shot("paris-2024", "2024-05-01 12:00", PARIS),
        shot("paris-texas", "2024-06-01 12:00", PARIS_TEXAS),
    ]
    new = by_kind(year_insights(2024, photos, home=None, people_names={}))["new_places"]
    assert (new.headline, new.detail, new.photos) == ("1 new place", "Paris", ("paris-texas",))


def test_namesake_towns_both_new_are_told_apart_and_long_lists_are_cut_short():
    towns = [PARIS, PARIS_TEXAS, KYOTO, OSAKA, REYKJAVIK]
    photos = [shot(f"t{i}", f"2024-05-0{i + 1} 12:00", town) for i, town in enumerate(towns)]
    new = by_kind(year_insights(2024, photos, home=None, people_names={}))["new_places"]
    assert (new.value, new.detail) == (5, "Paris (FR), Paris (US), Kyoto and 2 more")


def test_furthest_needs_a_home_and_a_journey_of_50_km():
    near = [shot("annecy", "2024-05-01 12:00", ANNECY)]
    assert "furthest" not in by_kind(year_insights(2024, near, home=None, people_names={}))
    across_town = [shot("lyon", "2024-05-01 12:00", gps=(45.80, 4.90))]
    assert "furthest" not in by_kind(year_insights(2024, across_town, home=HOME, people_names={}))
    furthest = by_kind(year_insights(2024, near, home=HOME, people_names={}))["furthest"]
    assert furthest.headline == "101 km from home: Annecy"


def test_a_furthest_photo_at_sea_stands_alone():
    photos = [shot("kyoto", "2024-05-01 12:00", KYOTO), shot("sea", "2024-05-02 12:00", None,
                                                              gps=(-40.0, -120.0))]  # fmt: skip
    furthest = by_kind(year_insights(2024, photos, home=HOME, people_names={}))["furthest"]
    assert furthest.photos == ("sea",) and furthest.headline.endswith("km from home")
    assert furthest.detail == "2 May"


def test_people_count_only_named_ids_and_ties_go_to_the_first_name():
    photos = [
        shot("a", "2024-05-01 12:00", people=["zoe", "ana", "ghost"]),
        shot("b", "2024-05-02 12:00", people=["zoe", "ghost"]),
        shot("c", "2024-05-03 12:00", people=["ana", "ghost"]),
    ]
    names = {"zoe": "Zoé", "ana": "Ana"}
    insights = by_kind(year_insights(2024, photos, home=None, people_names=names))
    assert insights["people"].headline == "Most photographed: Ana (2 photos)"
    assert insights["people"].photos == ("a", "c")
    assert "together" not in insights  # Ana and Zoé share one photo; "ghost" has no name
    assert "people" not in by_kind(year_insights(2024, photos, home=None, people_names={}))


def test_equally_close_pairs_go_to_the_first_names():
    photos = [shot(f"p{i}", f"2024-05-0{i + 1} 12:00", people=["mia", "leo", "ana"])
              for i in range(3)]  # fmt: skip
    names = {"mia": "Mia", "leo": "Léo", "ana": "Ana"}
    together = by_kind(year_insights(2024, photos, home=None, people_names=names))["together"]
    assert together.headline == "Ana and Léo: 3 photos together"


def test_the_earliest_of_equally_busy_days_and_thousands_separators():
    busy = [shot(f"b{i}", f"2024-08-03 {i // 60 % 24:02d}:{i % 60:02d}") for i in range(1240)]
    photos = [shot("x", "2024-08-01 10:00", None), shot("y", "2024-08-02 10:00", None), *busy]
    insights = by_kind(year_insights(2024, photos[:2], home=None, people_names={}))
    assert insights["busiest_day"].headline == "Busiest day: 1 August (1 photo)"
    assert insights["busiest_day"].detail == "Thursday"
    assert insights["first_and_last"].detail == "1 day apart"
    insights = by_kind(year_insights(2024, photos, home=None, people_names={}))
    assert insights["busiest_day"].headline == "Busiest day: 3 August (1,240 photos)"
    assert insights["days"].detail == "1,242 photos in 1 month"


def _near_home(photo: TimelinePhoto, home: tuple[float, float] | None) -> bool:
    """Home's town and its neighbours are no new place."""
    place = photo.place
    return bool(home and place and distance_km(home, (place.latitude, place.longitude)) < 50)


def test_a_year_in_review_plans_with_its_numbers_and_lists_them_in_json():
    from memories.contracts import memory_record
    from memories.plan.events import find_trips, segment_events
    from memories.plan.memories import PlanRules, plan_memories

    photos = sorted(A_YEAR, key=lambda photo: photo.instant)
    events = segment_events(photos)
    rules = PlanRules(kinds=frozenset({MemoryKind.YEAR}), min_year_photos=3)
    memories = plan_memories(photos, events, find_trips(events, HOME), today=date(2025, 6, 1),
                             people_names=NAMES, home=HOME, rules=rules)  # fmt: skip
    [year] = [memory for memory in memories if memory.id == "2024-in-review"]
    assert year.insights == year_insights(2024, A_YEAR, home=HOME, people_names=NAMES)
    cards = memory_record(year)["insights"]
    assert [card["kind"] for card in cards] == [insight.kind for insight in year.insights]
    assert cards[1] == {"kind": "streak", "headline": "5 days in a row", "detail": "10-14 March",
                        "value": 5, "photos": ["mar-10", "mar-11", "mar-12-a", "mar-12-b",
                                               "mar-12-c", "mar-13", "mar-14"]}  # fmt: skip
