"""Cutting a timeline into events, and days away into trips."""

from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from timelines import ANNECY, GENEVA, KYOTO, LYON, OSAKA, every, moment

from memories.model import Cut
from memories.plan.events import find_trips, segment_events


def sizes(events) -> list[int]:
    return [len(event.photos) for event in events]


def test_an_afternoon_burst_of_500_photos_is_one_event():
    burst = every("2024-06-14 13:00", 500, 0.5, gps=LYON)
    burst += every("2024-06-14 17:40", 20, 1, gps=LYON)  # after a 30-minute pause
    assert sizes(segment_events(burst)) == [520]


def test_a_quiet_week_with_one_photo_a_day_is_seven_events():
    week = [moment(f"2024-03-0{day} 18:00", gps=LYON) for day in range(1, 8)]
    assert sizes(segment_events(week)) == [1] * 7


def test_a_day_out_then_an_evening_party():
    day = every("2024-05-04 10:00", 30, 12, gps=LYON) + every("2024-05-04 20:30", 25, 6, gps=LYON)
    assert sizes(segment_events(day)) == [30, 25]


def test_a_long_lunch_at_the_lake_is_not_a_new_event():
    day = every("2024-08-20 10:00", 12, 10, gps=ANNECY) + every("2024-08-20 14:30", 12, 10,
                                                               gps=ANNECY)  # fmt: skip
    assert sizes(segment_events(day, home=LYON)) == [24]


def test_dinner_in_town_after_a_day_at_the_lake_is_a_new_event():
    lake = every("2024-08-20 10:00", 12, 10, gps=ANNECY)
    town = every("2024-08-20 13:00", 5, 10, gps=(ANNECY[0] + 0.04, ANNECY[1]))  # 4.4 km
    events = segment_events(lake + town, home=LYON)
    assert sizes(events) == [12, 5]
    assert events[1].why == Cut("place", 70, 4.4)


def test_near_home_outings_hours_apart_are_separate_events():
    morning = every("2024-05-04 09:00", 5, 10, gps=LYON)
    afternoon = every("2024-05-04 13:30", 5, 10, gps=LYON)
    events = segment_events(morning + afternoon, home=LYON)
    assert sizes(events) == [5, 5]
    assert events[1].why.rule == "pause"


def test_a_party_past_midnight_is_one_event_and_the_night_ends_it():
    party = every("2024-12-31 22:00", 17, 15, gps=LYON)  # to 02:00
    morning = every("2025-01-01 06:30", 3, 10, gps=LYON)
    events = segment_events(party + morning, home=LYON)
    assert sizes(events) == [17, 3]
    assert events[1].why == Cut("night", 270, None)


def test_on_a_trip_a_day_is_one_chapter():
    sights = [(KYOTO[0] + 0.03 * n, KYOTO[1]) for n in range(3)]  # 3 km apart
    days = []
    for day in ("2024-04-03", "2024-04-04"):
        for hour, spot in zip((9, 13, 18), sights, strict=True):
            days += every(f"{day} {hour:02d}:00", 4, 10, gps=spot, offset_hours=9)
    events = segment_events(days, home=LYON)
    assert sizes(events) == [12, 12]
    assert events[1].why.rule == "gap"
    assert sizes(segment_events(days)) == [4] * 6  # without a home, no trip: each outing


def test_photos_without_gps_never_join_two_places_far_apart():
    lyon = every("2024-07-01 09:00", 3, 10, gps=LYON)
    road = every("2024-07-01 09:30", 12, 12)  # no GPS, one longer stop at 11:54
    road[8:] = [photo._replace(instant=photo.instant + 1800) for photo in road[8:]]
    geneva = every("2024-07-01 12:40", 3, 10, gps=GENEVA)
    events = segment_events(lyon + road + geneva)
    assert sizes(events) == [11, 7]
    assert events[1].why.rule == "place" and events[1].why.km > 100


def test_a_far_place_jump_splits():
    trip = every("2024-07-01 09:00", 6, 15, gps=LYON) + every("2024-07-01 11:00", 6, 15, gps=GENEVA)
    events = segment_events(trip)
    assert sizes(events) == [6, 6]
    assert [event.place for event in events] == ["Lyon", "Genève"]


def test_a_flight_across_time_zones_is_neither_cut_nor_reordered():
    """Hourly photos by the clock of the world; the camera's offset jumps from +2 to +9."""
    before = [
        moment(f"2024-04-02 {hour}:00", offset_hours=2, name=f"a{hour}") for hour in (20, 21, 22)
    ]
    after = [moment(f"2024-04-03 0{hour}:00", offset_hours=9, name=f"b{hour}") for hour in (6, 7)]
    events = segment_events(before + after)
    assert sizes(events) == [5]
    assert [photo.path.stem for photo in events[0].photos] == ["a20", "a21", "a22", "b6", "b7"]


def test_photos_without_gps_take_the_place_of_their_event():
    located = every("2024-04-05 10:00", 3, 20, gps=KYOTO, offset_hours=9)
    photos = [*located, moment("2024-04-05 11:30", offset_hours=9)]
    [event] = segment_events(photos)
    assert event.photos[-1].gps is None
    assert event.photos[-1].place.city == "Kyoto"


def test_days_away_are_one_trip_even_with_a_quiet_day():
    home = every("2024-03-30 12:00", 5, 30, gps=LYON)
    kyoto = [
        *every("2024-04-03 16:00", 4, 30, gps=KYOTO, offset_hours=9),
        *every("2024-04-05 10:00", 4, 30, gps=OSAKA, offset_hours=9),
        *every("2024-04-07 14:00", 4, 30, gps=KYOTO, offset_hours=9),
    ]
    back = every("2024-04-12 19:00", 5, 30, gps=LYON)
    events = segment_events(home + kyoto + back)
    [trip] = find_trips(events, LYON)
    assert [event.place for event in trip] == ["Kyoto", "Osaka", "Kyoto"]


def test_a_day_out_is_not_a_trip_and_home_splits_trips():
    photos = [
        *every("2024-08-20 09:00", 5, 60, gps=ANNECY),
        *every("2024-09-01 10:00", 3, 60, gps=KYOTO, offset_hours=9),
        *every("2024-09-02 10:00", 3, 60, gps=KYOTO, offset_hours=9),
        *every("2024-09-03 20:00", 3, 30, gps=LYON),
        *every("2024-09-04 10:00", 3, 60, gps=OSAKA, offset_hours=9),
        *every("2024-09-05 10:00", 3, 60, gps=OSAKA, offset_hours=9),
    ]
    trips = find_trips(segment_events(photos), LYON)
    assert [[event.place for event in trip] for trip in trips] == [
        ["Kyoto", "Kyoto"],
        ["Osaka", "Osaka"],
    ]


def test_no_home_no_trips():
    assert find_trips(segment_events(every("2024-09-01 10:00", 3, 60, gps=KYOTO)), None) == []


timelines = st.lists(
    st.tuples(
        st.integers(0, 60 * 24 * 60),  # minutes into two months
        st.sampled_from([None, LYON, ANNECY, KYOTO]),
        st.sampled_from([-5, 0, 2, 9]),
    ),
    max_size=60,
)


def build(entries):
    photos = []
    for index, (minutes, gps, offset) in enumerate(entries):
        day, minute = divmod(minutes, 1440)
        local = f"2024-{3 + day // 30:02d}-{1 + day % 30:02d} {minute // 60:02d}:{minute % 60:02d}"
        photos.append(moment(local, gps=gps, offset_hours=offset, name=f"p{index}"))
    return sorted(photos, key=lambda photo: (photo.instant, str(photo.path)))


@settings(max_examples=150, deadline=None)
@given(timelines)
def test_events_cover_every_photo_once_in_order_without_overlap(entries):
    photos = build(entries)
    for home in (None, LYON, KYOTO):  # with a home, trip days are joined into chapters
        events = segment_events(photos, home=home)
        flattened = [photo.content_hash for event in events for photo in event.photos]
        assert flattened == [photo.content_hash for photo in photos]
        for earlier, later in pairwise(events):
            assert earlier.photos[-1].instant <= later.photos[0].instant
        firsts = [event.why.rule == "first" for event in events]
        assert firsts == [True] + [False] * (len(events) - 1) if events else firsts == []


@settings(max_examples=100, deadline=None)
@given(timelines)
def test_event_ids_are_deterministic_unique_and_safe(entries):
    first = [event.id for event in segment_events(build(entries), home=LYON)]
    assert first == [event.id for event in segment_events(build(entries), home=LYON)]
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", event_id) for event_id in first)
