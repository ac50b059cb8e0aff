"""The zone at a place, and wall clocks and instants there with a fixed offset."""

from __future__ import annotations

import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from memories.scan import timezones
from memories.scan.timezones import from_instant, localise, zone_at

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def empty_cache():
    timezones._zone_at.cache_clear()
    yield
    timezones._zone_at.cache_clear()


@pytest.fixture
def fake_library(monkeypatch):
    """A stand-in `tzfpy` that answers Paris and records what it was asked."""
    calls: list[tuple[float, float]] = []

    def get_tz(longitude: float, latitude: float) -> str:
        calls.append((longitude, latitude))
        return "Europe/Paris"

    monkeypatch.setitem(sys.modules, "tzfpy", types.SimpleNamespace(get_tz=get_tz))
    return calls


@pytest.mark.parametrize(
    ("latitude", "longitude", "wall_clock", "zone", "offset"),
    [
        pytest.param(45.7640, 4.8357, "2024-07-14T12:00", "Europe/Paris", "+02:00", id="Lyon-July"),
        pytest.param(45.7640, 4.8357, "2024-01-14T12:00", "Europe/Paris", "+01:00", id="Lyon-Jan"),
        pytest.param(35.6762, 139.6503, "2024-07-14T12:00", "Asia/Tokyo", "+09:00", id="Tokyo"),
        pytest.param(
            40.7128, -74.0060, "2024-07-04T12:00", "America/New_York", "-04:00", id="New York"
        ),
        pytest.param(27.7172, 85.3240, "2024-05-01T09:00", "Asia/Kathmandu", "+05:45", id="Nepal"),
        pytest.param(
            -43.9535, -176.5597, "2024-01-10T12:00", "Pacific/Chatham", "+13:45", id="Chatham"
        ),
        pytest.param(
            33.4484, -112.0740, "2024-07-14T12:00", "America/Phoenix", "-07:00", id="Phoenix-July"
        ),
        pytest.param(
            33.4484, -112.0740, "2024-01-14T12:00", "America/Phoenix", "-07:00", id="Phoenix-Jan"
        ),
        pytest.param(
            -18.2300, -178.8000, "2024-07-14T12:00", "Pacific/Fiji", "+12:00", id="Fiji-west-long"
        ),
    ],
)
def test_known_places(latitude, longitude, wall_clock, zone, offset):
    pytest.importorskip("tzfpy")
    found = zone_at(latitude, longitude)
    assert found is not None
    assert found.key == zone
    local = localise(datetime.fromisoformat(wall_clock), found)
    assert local.isoformat(timespec="minutes") == f"{wall_clock}{offset}"
    assert type(local.tzinfo) is timezone


def test_at_sea_still_gives_a_zone():
    pytest.importorskip("tzfpy")
    assert zone_at(43.68, 7.27) == PARIS  # a swim off Nice: the coast's zone
    mid_atlantic = zone_at(0.0, -30.0)
    assert mid_atlantic is not None
    assert mid_atlantic.utcoffset(datetime(2024, 7, 1)) == timedelta(hours=-2)


def test_nearby_photos_share_one_lookup(fake_library):
    assert zone_at(45.76401, 4.83571) == PARIS
    assert zone_at(45.76404, 4.83568) == PARIS
    assert fake_library == [(4.836, 45.764)]
    zone_at(45.7700, 4.8400)
    assert len(fake_library) == 2


def test_longitude_past_the_antimeridian_wraps(fake_library):
    zone_at(-16.85, 180.03)
    assert fake_library == [(-179.97, -16.85)]


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(float("nan"), 0.0), (0.0, float("inf")), (90.5, 0.0)]
)
def test_not_a_place_on_earth(fake_library, latitude, longitude):
    assert zone_at(latitude, longitude) is None
    assert fake_library == []


def test_without_the_library_there_is_no_zone(monkeypatch):
    monkeypatch.setitem(sys.modules, "tzfpy", None)  # import fails as if not installed
    assert zone_at(45.764, 4.8357) is None


def test_a_failing_lookup_gives_no_zone(monkeypatch):
    def get_tz(longitude: float, latitude: float) -> str:
        raise RuntimeError("corrupt boundaries")

    monkeypatch.setitem(sys.modules, "tzfpy", types.SimpleNamespace(get_tz=get_tz))
    assert zone_at(45.764, 4.8357) is None


def test_a_zone_without_rules_here_gives_no_zone(monkeypatch):
    monkeypatch.setattr(timezones, "_zone_name", lambda latitude, longitude: "Mars/Olympus")
    assert zone_at(18.65, -133.8) is None


def test_a_skipped_wall_clock_keeps_its_time_with_the_offset_before_the_change():
    # Paris went from 02:00 to 03:00 on 31 March 2024: 02:30 never showed on a clock
    local = localise(datetime(2024, 3, 31, 2, 30), PARIS)
    assert local.isoformat() == "2024-03-31T02:30:00+01:00"
    assert local == datetime(2024, 3, 31, 3, 30, tzinfo=PARIS)


def test_a_repeated_wall_clock_is_read_as_the_first_one():
    # Paris went from 03:00 back to 02:00 on 27 October 2024: 02:30 showed twice
    assert localise(datetime(2024, 10, 27, 2, 30), PARIS).isoformat().endswith("+02:00")
    assert localise(datetime(2024, 10, 27, 2, 30, fold=1), PARIS).isoformat().endswith("+02:00")


def test_an_instant_keeps_which_of_two_repeated_wall_clocks_it_was():
    first = from_instant(datetime(2024, 10, 27, 0, 30, tzinfo=UTC), PARIS)
    second = from_instant(datetime(2024, 10, 27, 1, 30, tzinfo=UTC), PARIS)
    assert (first.isoformat(), second.isoformat()) == (
        "2024-10-27T02:30:00+02:00",
        "2024-10-27T02:30:00+01:00",
    )
    assert second - first == timedelta(hours=1)
    assert type(first.tzinfo) is timezone and first.fold == second.fold == 0


def test_an_instant_as_a_wall_clock_in_kathmandu():
    instant = datetime(2024, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    local = from_instant(instant, ZoneInfo("Asia/Kathmandu"))
    assert local.isoformat() == "2024-01-01T13:45:00+05:45"
    assert local == instant


def test_times_must_say_whether_they_have_an_offset():
    with pytest.raises(ValueError, match="without an offset"):
        localise(datetime(2024, 1, 1, tzinfo=UTC), PARIS)
    with pytest.raises(ValueError, match="with an offset"):
        from_instant(datetime(2024, 1, 1), PARIS)


def test_importing_the_module_leaves_the_library_unloaded():
    code = (
        "import sys, memories.scan.timezones; "
        "print([m for m in ('tzfpy', 'timezonefinder', 'numpy') if m in sys.modules])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
