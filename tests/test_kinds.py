"""The memory kinds people ask for beyond events and trips: seasons and months, people
together, a person's year, birthdays the user recorded, then and now. Their golden
timelines are in tests/golden (people_together, seasons_north, seasons_south)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from timelines import LYON, every, moment

from memories.model import MemoryKind
from memories.plan.calendar import season_of, season_over, season_title
from memories.plan.events import find_trips, segment_events
from memories.plan.memories import PlanRules, plan_memories

NEW_KINDS = frozenset({MemoryKind.SEASON, MemoryKind.MONTH, MemoryKind.TOGETHER,
                       MemoryKind.PERSON_YEAR, MemoryKind.BIRTHDAY,
                       MemoryKind.THEN_AND_NOW})  # fmt: skip


def plan(photos, *, today=date(2025, 6, 14), kinds=NEW_KINDS, **options):
    photos = sorted(photos, key=lambda photo: photo.instant)
    events = segment_events(photos)
    rules = PlanRules(kinds=frozenset(kinds))
    return plan_memories(photos, events, find_trips(events, LYON), today=today,
                         home_city="Lyon", rules=rules, **options)  # fmt: skip


def test_seasons_follow_the_hemisphere_and_a_winter_spans_the_years_turn():
    assert season_of(date(2024, 1, 15)) == (2023, 12, "winter")
    assert season_of(date(2024, 1, 15), southern=True) == (2023, 12, "summer")
    assert season_of(date(2024, 7, 1)) == (2024, 6, "summer")
    assert season_of(date(2024, 11, 30), southern=True) == (2024, 9, "spring")
    assert season_title(2023, 12, "winter") == "Winter 2023-24"
    assert season_title(2024, 6, "summer") == "Summer 2024"
    assert not season_over(2024, 12, date(2025, 2, 28)) and season_over(2024, 12, date(2025, 3, 1))


def test_a_month_is_made_once_it_is_over_and_only_with_enough_good_photos():
    october = [photo for day in (3, 11, 19, 27)
               for photo in every(f"2025-10-{day:02d} 10:00", 3, 45, gps=LYON)]  # fmt: skip
    assert plan(october, today=date(2025, 10, 30), kinds={MemoryKind.MONTH}) == []
    [memory] = plan(october, today=date(2025, 11, 1), kinds={MemoryKind.MONTH})
    assert (memory.id, memory.title, len(memory.photos)) == ("2025-10-month", "October 2025", 12)
    blurred = [photo._replace(score=0.1) for photo in october[:9]]
    assert plan(blurred, today=date(2025, 11, 1), kinds={MemoryKind.MONTH}) == []


def test_a_birthday_is_made_only_near_the_date_and_never_guessed():
    ana = frozenset({"1"})
    photos = [photo for year in (2022, 2023, 2024)
              for photo in every(f"{year}-05-03 15:00", 3, 40, gps=LYON, people=ana)]  # fmt: skip
    names = {"1": "Ana"}
    born = {"1": date(2019, 5, 3)}
    kinds = {MemoryKind.BIRTHDAY}
    assert plan(photos, today=date(2025, 3, 1), kinds=kinds, people_names=names,
                birthdays=born) == [], "not weeks before"  # fmt: skip
    assert plan(photos, today=date(2025, 4, 30), kinds=kinds, people_names=names) == [], (
        "no birthday recorded, none made"
    )
    [memory] = plan(photos, today=date(2025, 4, 30), kinds=kinds, people_names=names,
                    birthdays=born)  # fmt: skip
    assert (memory.id, memory.title) == ("birthday-ana-2025", "Ana turns 6")
    assert {photo.local_time.year for photo in memory.photos} == {2022, 2023, 2024}
    [kept] = plan(photos, today=date(2025, 5, 20), kinds=kinds, people_names=names,
                  birthdays=born)  # fmt: skip
    assert kept.id == memory.id, "kept a while after the day"
    assert plan(photos, today=date(2025, 4, 30), kinds=kinds, people_names={},
                birthdays=born) == [], "a person no longer named (or hidden) has none"  # fmt: skip


# Hidden people never show ------------------------------------------------------------------

people_in_photos = st.lists(st.frozensets(st.sampled_from("123"), max_size=3), min_size=30,
                            max_size=60)  # fmt: skip


@settings(max_examples=25, deadline=None)
@given(people=people_in_photos, hidden=st.sampled_from("123"))
def test_no_memory_of_any_kind_names_or_shows_a_hidden_person(people, hidden):
    start = datetime(2021, 3, 1, 10)
    names = {"1": "Ana", "2": "Léo", "3": "Noé"}
    photos = [
        # what the timeline gives the planner: a photo showing a hidden person is not in it
        moment(f"{start + timedelta(days=23 * n, minutes=n):%Y-%m-%d %H:%M}", gps=LYON,
               people=in_it, name=f"p{n}")
        for n, in_it in enumerate(people) if hidden not in in_it
    ]  # fmt: skip
    visible = {person: name for person, name in names.items() if person != hidden}
    memories = plan(photos, kinds=frozenset(MemoryKind), people_names=visible,
                    birthdays={person: date(2019, 6, 18) for person in names})  # fmt: skip
    for memory in memories:
        assert names[hidden] not in memory.title and names[hidden] not in memory.people
        assert all(hidden not in photo.people for photo in memory.photos)
