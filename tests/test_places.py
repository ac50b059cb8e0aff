"""Naming places offline, choosing the level of a name, finding home, and the opt-in geocoder."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest
from timelines import place_at

from memories.analyze.places import Gazetteer, OnlineGazetteer, infer_home, name_for
from memories.model import Place


@pytest.mark.parametrize(
    ("point", "city", "country"),
    [
        ((48.8584, 2.2945), "Paris", "France"),  # the Eiffel Tower stands in the 7th, by Vanves
        ((45.7578, 4.8320), "Lyon", "France"),  # not "Lyon 02"
        ((40.7580, -73.9855), "New York City", "United States"),  # not "Times Square"
        ((35.0094, 135.6668), "Kyoto", "Japan"),  # Arashiyama
        ((45.8700, 6.1500), "Annecy", "France"),  # on the lake, by Sévrier
    ],
)
def test_points_are_named_after_the_city_people_would_say(point, city, country):
    place = place_at(point)
    assert (place.city, place.country) == (city, country)


def test_the_middle_of_the_ocean_has_no_name():
    assert Gazetteer.offline().lookup([(30.0, -40.0)]) == [None]


def test_distances_are_great_circle_distances():
    from geopy.distance import great_circle

    from memories.analyze.places import distance_km

    pairs = [((45.764, 4.8357), (35.0116, 135.7681)), ((40.713, -74.006), (-33.857, 151.215)),
             ((45.764, 4.8357), (45.7641, 4.8358)), ((0.0, 179.9), (0.0, -179.9))]  # fmt: skip
    for a, b in pairs:
        assert distance_km(a, b) == pytest.approx(great_circle(a, b).km, abs=1e-3)
    assert distance_km((45.764, 4.8357), (45.764, 4.8357)) == 0


def test_name_level_follows_the_spread():
    lyon, kyoto, osaka, tokyo, annecy = (
        place_at(point) for point in
        [(45.764, 4.8357), (35.0116, 135.7681), (34.6937, 135.5023), (35.6762, 139.6503),
         (45.8992, 6.1294)]
    )  # fmt: skip
    assert name_for([kyoto, kyoto, kyoto, osaka]) == "Kyoto"
    assert name_for([lyon, lyon, annecy, annecy]) == "Auvergne-Rhône-Alpes"
    assert name_for([kyoto, osaka, tokyo]) == "Japan"
    assert name_for([lyon, kyoto]) == "France and Japan"
    assert name_for([]) is None


def test_home_is_the_city_of_the_most_days():
    lyon, kyoto = place_at((45.764, 4.8357)), place_at((35.0116, 135.7681))
    days = [(date(2024, 1, day), lyon) for day in range(1, 6)]
    days += [(date(2024, 4, 3), kyoto)] * 40  # many photos, few days
    assert infer_home(days) == lyon
    assert infer_home([]) is None


class FakeNominatim:
    """Stands in for the network: the online geocoder is never called for real in tests."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, float]] = []

    def reverse(self, point, **options):
        self.asked.append(point)

        address = {
            "city": "Kyoto",
            "state": "Kyoto Prefecture",
            "country": "Japan",
            "country_code": "jp",
        }
        return SimpleNamespace(raw={"address": address})


class MemoryCache:
    def __init__(self) -> None:
        self.entries: dict = {}

    def cached_place(self, provider, point):
        return self.entries.get((provider, point))

    def cache_place(self, provider, point, place_json):
        self.entries[(provider, point)] = place_json


def test_online_geocoder_asks_each_rounded_point_once():
    cache, fake = MemoryCache(), FakeNominatim()
    geocoder = OnlineGazetteer(cache, geocoder=fake)
    first = geocoder.lookup([(35.01161, 135.76811), (35.01164, 135.76809)])
    again = OnlineGazetteer(cache, geocoder=FakeNominatim()).lookup([(35.0116, 135.7681)])
    assert fake.asked == [(35.012, 135.768)]
    assert first[0] == first[1] == again[0]
    assert first[0] == Place("Kyoto", "Kyoto Prefecture", "Japan", "JP", 35.012, 135.768)
    assert json.loads(next(iter(cache.entries.values())))["city"] == "Kyoto"
