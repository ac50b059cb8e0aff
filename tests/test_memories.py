"""Which memories are made, with which photos, under which titles and ids."""

from __future__ import annotations

import re
from datetime import date, datetime

from timelines import ANNECY, KYOTO, LYON, OSAKA, TOKYO, every, moment

from memories.model import DateSource, MemoryKind, Photo, PhotoKind, Quality
from memories.plan.events import find_trips, segment_events
from memories.plan.memories import PlanRules, plan_memories
from memories.plan.timeline import build_timeline


def plan(photos, *, today=date(2025, 6, 14), home=LYON, **rules):
    photos = sorted(photos, key=lambda photo: photo.instant)
    events = segment_events(photos)
    trips = find_trips(events, home)
    return plan_memories(
        photos, events, trips, today=today, home_city="Lyon", rules=PlanRules(**rules)
    )


def by_kind(memories, kind):
    return [memory for memory in memories if memory.kind is kind]


def test_an_event_with_a_plain_title():
    [memory] = plan(every("2024-05-04 19:00", 6, 20, gps=ANNECY), kinds={MemoryKind.EVENT})
    assert (memory.id, memory.title, memory.dates) == (
        "2024-05-04-annecy",
        "An evening in Annecy",
        "4 May 2024",
    )
    assert memory.place == "Annecy"


def test_too_small_events_make_no_memory():
    assert plan(every("2024-05-04 19:00", 2, 20, gps=LYON), kinds={MemoryKind.EVENT}) == []


def test_a_trip_with_its_events_as_chapters_and_not_as_events():
    photos = [
        *every("2024-04-03 16:00", 4, 30, gps=KYOTO, offset_hours=9),
        *every("2024-04-05 10:00", 4, 30, gps=OSAKA, offset_hours=9),
        *every("2024-04-07 14:00", 4, 30, gps=TOKYO, offset_hours=9),
    ]
    memories = plan(photos, kinds={MemoryKind.TRIP, MemoryKind.EVENT})
    [trip] = memories
    assert (trip.kind, trip.title, trip.dates, trip.place) == (
        MemoryKind.TRIP,
        "Trip to Japan",
        "3-7 Apr 2024",
        "Japan",
    )
    assert trip.id == "2024-04-03-trip-japan"
    assert len(trip.chapters) == 3


def test_on_this_day_one_memory_per_year_back():
    photos = [
        *every("2023-06-14 12:00", 4, 10, gps=LYON),
        *every("2022-06-16 12:00", 4, 10, gps=LYON),  # within the three-day window
        *every("2021-06-25 12:00", 4, 10, gps=LYON),  # outside it
        *every("2025-06-14 09:00", 4, 10, gps=LYON),  # this year: not a memory of the past
    ]
    memories = by_kind(plan(photos), MemoryKind.ON_THIS_DAY)
    assert [(m.id, m.title) for m in memories] == [
        ("2023-06-14-on-this-day", "On this day, 2 years ago"),
        ("2022-06-14-on-this-day", "On this day, 3 years ago"),
    ]


def test_on_this_day_from_a_leap_day():
    photos = every("2023-02-27 12:00", 4, 10, gps=LYON)
    [memory] = by_kind(plan(photos, today=date(2024, 2, 29)), MemoryKind.ON_THIS_DAY)
    assert memory.id == "2023-02-28-on-this-day"


def test_year_in_review_takes_the_best_of_each_month():
    photos = []
    for month in range(1, 13):
        photos += every(f"2024-{month:02d}-10 12:00", 5, 600, gps=LYON, score=0.6)
        photos.append(
            moment(f"2024-{month:02d}-20 12:00", gps=LYON, score=0.95, name=f"best{month}")
        )
    [memory] = by_kind(plan(photos, max_photos=12), MemoryKind.YEAR)
    assert memory.title == "2024 in review"
    assert [photo.path.stem for photo in memory.photos] == [
        f"best{month}" for month in range(1, 13)
    ]


def test_the_current_year_is_reviewed_only_in_december():
    photos = [
        moment(f"2025-{month:02d}-10 12:00", gps=LYON) for month in range(1, 7) for _ in range(2)
    ]
    photos = [photo._replace(content_hash=f"{index}") for index, photo in enumerate(photos)]
    assert by_kind(plan(photos, today=date(2025, 6, 14)), MemoryKind.YEAR) == []
    assert by_kind(plan(photos, today=date(2025, 12, 1)), MemoryKind.YEAR) != []


def test_a_place_visited_in_several_years_but_not_home():
    photos = []
    for year in (2019, 2021, 2024):
        photos += every(f"{year}-04-05 10:00", 3, 30, gps=KYOTO, offset_hours=9)
        photos += every(f"{year}-05-05 10:00", 3, 30, gps=LYON)
    [memory] = by_kind(plan(photos), MemoryKind.PLACE)
    assert (memory.id, memory.title) == ("place-kyoto", "Kyoto over the years")


def test_person_memories_for_named_people():
    ana = frozenset({"p1"})
    photos = [
        *every("2022-01-01 10:00", 3, 30, gps=LYON, people=ana),
        *every("2023-01-01 10:00", 3, 30, gps=LYON, people=ana),
        *every("2024-01-01 10:00", 3, 30, gps=LYON, people=ana),
        *every("2024-02-01 10:00", 3, 30, gps=LYON),
    ]
    events = segment_events(photos)
    memories = plan_memories(photos, events, [], today=date(2025, 1, 1), people_names={"p1": "Ana"},
                             rules=PlanRules(kinds=frozenset({MemoryKind.PERSON})))  # fmt: skip
    [memory] = memories
    assert (memory.id, memory.title, memory.people) == (
        "person-ana",
        "Ana over the years",
        ("Ana",),
    )
    assert all("p1" in photo.people for photo in memory.photos)


def test_bursts_collapse_to_their_best_shot_and_blurred_shots_stay_out():
    burst = [moment(f"2024-05-04 19:00:0{second}", gps=LYON, dhash=0xF0F0, score=0.5 + second / 20,
                    name=f"burst{second}") for second in range(5)]  # fmt: skip
    others = [moment(f"2024-05-04 19:{minute}", gps=LYON, dhash=minute * 0x1111_1111,
                     name=f"o{minute}") for minute in (20, 40, 50)]  # fmt: skip
    blurred = moment("2024-05-04 19:30", gps=LYON, score=0.1, name="blurred")
    [memory] = plan([*burst, *others, blurred], kinds={MemoryKind.EVENT})
    assert [photo.path.stem for photo in memory.photos] == ["burst4", "o20", "o40", "o50"]


def test_choice_spreads_across_the_span_and_the_cover_shows_people():
    photos = every("2024-05-04 08:00", 60, 10, gps=LYON, score=0.7)
    photos[5] = photos[5]._replace(score=0.9, people=frozenset({"p1"}))
    [memory] = plan(photos, kinds={MemoryKind.EVENT}, max_photos=6)
    hours = [photo.local_time.hour for photo in memory.photos]
    assert len(memory.photos) == 6 and hours[0] <= 9 and hours[-1] >= 15
    assert memory.cover == photos[5]


def test_screenshots_undated_and_hidden_people_never_reach_the_planner(tmp_path):
    def photo(name, kind=PhotoKind.PHOTO, source=DateSource.EXIF):
        return Photo(path_text=str(tmp_path / name), content_hash=name, format="JPEG", kind=kind,
                     width=40, height=30, orientation=1, taken_at=datetime(2024, 5, 4, 12),
                     taken_at_source=source, gps=None, camera="x")  # fmt: skip

    timeline = build_timeline(
        [photo("ok"), photo("shot", PhotoKind.SCREENSHOT), photo("copy", source=DateSource.MTIME),
         photo("hidden"), photo("broken")],
        qualities={"ok": Quality(100, 0.5, 0, 1), "broken": "cannot be decoded"},
        places={}, showing_hidden_people={"hidden"},
    )  # fmt: skip
    assert [p.content_hash for p in timeline.photos] == ["ok"]
    assert [p.content_hash for p in timeline.undated] == ["copy"]
    assert [p.content_hash for p, _ in timeline.undecodable] == ["broken"]


def test_planning_is_deterministic_with_unique_safe_ids():
    photos = [
        *every("2023-06-14 12:00", 5, 10, gps=LYON),
        *every("2024-04-03 16:00", 8, 60, gps=KYOTO, offset_hours=9),
        *every("2024-04-05 10:00", 8, 60, gps=KYOTO, offset_hours=9),
        *every("2024-06-14 18:00", 6, 10, gps=LYON),
        *every("2024-06-14 21:30", 6, 10, gps=LYON),
    ]
    first, second = plan(photos), plan(list(reversed(photos)))
    assert [(m.id, [p.path for p in m.photos]) for m in first] == [
        (m.id, [p.path for p in m.photos]) for m in second
    ]
    ids = [memory.id for memory in first]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", memory_id) for memory_id in ids)
