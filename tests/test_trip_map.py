"""Trip maps: the route's plan as golden data (view, stops, names), and the drawn map's land,
sea, borders and route, from the shapes a package ships (nothing downloaded)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memories.analyze.places import distance_km
from memories.render.trip_map import (
    DOT_ROOM,
    MIN_SPAN_KM,
    ONE_PLACE_SPAN_KM,
    RouteMap,
    Stop,
    draw_route_map,
    plan_route_map,
)

SIZE = (1920, 1080)
LYON, GENEVA, ANNECY = (
    Stop("Lyon", 45.76, 4.84),
    Stop("Geneva", 46.20, 6.14),
    Stop("Annecy", 45.90, 6.13),
)
NICE, GENOA = Stop("Nice", 43.70, 7.27), Stop("Genoa", 44.41, 8.93)
FIJI, SAMOA = Stop("Fiji", -17.7, 178.0), Stop("Samoa", -13.8, -172.0)
COLOURS = {"background": "#000000", "land": "#404040", "border": "#a0a0a0", "route": "#ff0000"}


def assert_readable(plan: RouteMap) -> None:
    """Every stop inside the image; every name inside it, clear of the others and of every
    dot."""
    for placed in plan.stops:
        assert 0 <= placed.x < plan.width and 0 <= placed.y < plan.height
    for label in plan.labels:
        left, top, right, bottom = label.box
        assert 0 <= left < right <= plan.width and 0 <= top < bottom <= plan.height
        room = plan.dot_radius * DOT_ROOM
        for placed in plan.stops:
            dot = (placed.x - room, placed.y - room, placed.x + room, placed.y + room)
            assert not overlaps(label.box, dot), label.text
    for a, b in itertools.combinations([label.box for label in plan.labels], 2):
        assert not overlaps(a, b)


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def pixels_near(image, colour: str, tolerance: int = 0) -> int:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int(np.count_nonzero(np.abs(rgb - target).max(axis=2) <= tolerance))


def span_km(plan: RouteMap) -> tuple[float, float]:
    """How far the view reaches east-west (through its middle) and north-south."""
    west, south, east, north = plan.view.bounds
    middle = (south + north) / 2
    across = distance_km((middle, west), (middle, (west + east) / 2)) * 2
    return across, distance_km((south, west), (north, west))


# Planning ------------------------------------------------------------------------------------


def test_golden_plan_lyon_geneva_annecy() -> None:
    plan = plan_route_map([LYON, GENEVA, ANNECY], SIZE)

    assert [(p.stop.name, p.x, p.y) for p in plan.stops] == [
        ("Lyon", 307.2, 858.0),
        ("Geneva", 1612.8, 222.0),
        ("Annecy", 1602.8, 656.2),
    ]  # the route fills the margins' width, centred: Geneva just east of Annecy, north of it
    assert [(label.text, label.anchor) for label in plan.labels] == [
        ("Lyon", "lm"),
        ("Geneva", "lm"),
        ("Annecy", "lm"),
    ]
    assert plan.route[0] == (307.2, 858.0) and plan.route[-1] == (1602.8, 656.2)
    assert (1612.8, 222.0) in plan.route  # through Geneva, on a great circle from Lyon
    west, south, east, north = plan.view.bounds
    assert west < LYON.longitude < GENEVA.longitude < east and south < LYON.latitude < north
    assert_readable(plan)


def test_repeated_stops_are_collapsed_and_a_place_revisited_is_named_once() -> None:
    plan = plan_route_map([LYON, LYON, Stop("lyon", 45.761, 4.841), GENEVA, LYON], SIZE)

    assert [p.stop.name for p in plan.stops] == ["Lyon", "Geneva", "Lyon"]
    assert (plan.stops[0].x, plan.stops[0].y) == (plan.stops[2].x, plan.stops[2].y)
    assert [label.text for label in plan.labels] == ["Lyon", "Geneva"]


def test_namesakes_far_apart_are_two_stops() -> None:
    plan = plan_route_map(
        [Stop("Springfield", 39.8, -89.65), Stop("Springfield", 37.2, -93.3)], SIZE
    )

    assert len(plan.stops) == 2 and len(plan.labels) == 2


@pytest.mark.parametrize("stops", [[LYON], [LYON, LYON, LYON]], ids=["single", "identical"])
def test_a_single_place_is_centred_and_shown_in_its_country(stops: list[Stop]) -> None:
    plan = plan_route_map(stops, SIZE)

    assert [(p.x, p.y) for p in plan.stops] == [(960.0, 540.0)]
    across, tall = span_km(plan)
    assert tall == pytest.approx(ONE_PLACE_SPAN_KM, rel=0.02) and across > tall
    assert [label.text for label in plan.labels] == ["Lyon"]
    assert_readable(plan)


def test_a_trip_across_the_antimeridian_is_a_short_route() -> None:
    plan = plan_route_map([FIJI, SAMOA], SIZE)

    west, _, east, _ = plan.view.bounds
    assert east - west < 25  # about 1,100 km apart: the view spans some 1,600 km, not the world
    across, _ = span_km(plan)
    assert 1000 < across < 3000
    fiji, samoa = plan.stops
    assert fiji.x < samoa.x  # Samoa lies east of Fiji, over the antimeridian
    assert_readable(plan)


def test_the_view_is_never_wider_than_the_world() -> None:
    paris, tokyo = Stop("Paris", 48.86, 2.35), Stop("Tokyo", 35.68, 139.69)
    plan = plan_route_map([paris, tokyo, Stop("San Francisco", 37.77, -122.42), paris], SIZE)

    west, _, east, _ = plan.view.bounds
    assert east - west <= 360.0 + 1e-9
    assert_readable(plan)


def test_a_route_needs_a_stop() -> None:
    with pytest.raises(ValueError, match="at least one stop"):
        plan_route_map([], SIZE)


latitudes = st.floats(min_value=-70, max_value=70)
longitudes = st.floats(min_value=-180, max_value=180)
places = st.builds(Stop, st.sampled_from(["Ana", "Bergen", "Chamonix-Mont-Blanc", "Dé", "X"]),
                   latitudes, longitudes)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    st.lists(places, min_size=1, max_size=8),
    st.sampled_from([(1920, 1080), (1080, 1920), (1080, 1080), (640, 360)]),
)
def test_any_route_is_readable(stops: list[Stop], size: tuple[int, int]) -> None:
    plan = plan_route_map(stops, size)

    assert 1 <= len(plan.stops) <= len(stops)
    for label in plan.labels:
        left, top, right, bottom = label.box
        assert 0 <= left < right <= size[0] and 0 <= top < bottom <= size[1]
    for a, b in itertools.combinations([label.box for label in plan.labels], 2):
        assert not overlaps(a, b)


# Drawing -------------------------------------------------------------------------------------


def test_an_inland_trip_shows_land_the_border_it_crosses_and_the_route() -> None:
    plan = plan_route_map([LYON, GENEVA], SIZE)
    image = draw_route_map(plan, **COLOURS)

    assert image.size == SIZE and image.mode == "RGB"
    assert pixels_near(image, COLOURS["land"]) > SIZE[0] * SIZE[1] * 0.8  # all land here
    assert pixels_near(image, COLOURS["border"], tolerance=40) > 500  # France–Switzerland
    assert pixels_near(image, COLOURS["route"], tolerance=10) > 3000
    assert pixels_near(image, COLOURS["background"]) < SIZE[0] * SIZE[1] * 0.05


def test_a_coastal_trip_shows_sea_and_land() -> None:
    image = draw_route_map(plan_route_map([NICE, GENOA], SIZE), **COLOURS)

    total = SIZE[0] * SIZE[1]
    assert pixels_near(image, COLOURS["background"]) > total * 0.2  # the Ligurian Sea
    assert pixels_near(image, COLOURS["land"]) > total * 0.2


def test_islands_over_the_antimeridian_are_drawn() -> None:
    image = draw_route_map(plan_route_map([FIJI, SAMOA], SIZE), **COLOURS)

    assert pixels_near(image, COLOURS["land"]) > 2000  # Viti Levu and Upolu
    assert pixels_near(image, COLOURS["background"]) > SIZE[0] * SIZE[1] * 0.8


def test_default_colours_suit_a_light_look() -> None:
    image = draw_route_map(plan_route_map([NICE, GENOA], (640, 360)), background="#ffffff",
                           ink="#202020")  # fmt: skip

    land = np.asarray(image)[20, 100]  # inland, in the Alps; the bottom right is sea
    assert pixels_near(image, "#ffffff") > 20000
    assert tuple(land) != (255, 255, 255) and min(land) > 180  # a light tint, not the ink


def test_a_trip_within_one_city_still_shows_its_region() -> None:
    plan = plan_route_map([LYON, Stop("Villeurbanne", 45.77, 4.88)], SIZE)

    _, tall = span_km(plan)
    assert tall == pytest.approx(MIN_SPAN_KM, rel=0.02)
