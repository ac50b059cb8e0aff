"""Event segmentation quality and planning speed on labelled synthetic timelines.

    python benchmarks/events_eval.py [--seed 7] [--years 3] [--scale 100000]

Generates a few years of one person's photo life with a known event for every photo: evenings
and outings at home, days out, weekends away, trips abroad across time zones, long quiet
stretches with one photo a day, and bursts of hundreds of photos in an afternoon. Scores the
event boundaries (precision, recall, F1) of ours against a fixed 36-hour gap baseline in the
same run, then times the whole planner (events, trips, memories) on --scale photos.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memories.analyze.places import Gazetteer
from memories.model import PhotoKind, TimelinePhoto
from memories.plan.events import boundaries, find_trips, segment_events
from memories.plan.memories import plan_memories

HOME = (45.7640, 4.8357)  # Lyon
DAYS_OUT = [(45.8992, 6.1294), (45.1885, 5.7245), (46.2044, 6.1432), (45.4397, 4.3872)]
WEEKENDS = [(43.2965, 5.3698), (48.8566, 2.3522), (44.8378, -0.5792)]
ABROAD = [((35.0116, 135.7681), 9), ((40.7128, -74.0060), -4), ((41.9028, 12.4964), 2),
          ((-33.8688, 151.2093), 10), ((64.1466, -21.9426), 0)]  # fmt: skip


@dataclass
class Labelled:
    local: datetime
    offset_hours: float
    gps: tuple[float, float] | None
    event: int


class Life:
    """Appends labelled events to a timeline, one generator per kind of day."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.photos: list[Labelled] = []
        self.events = 0

    def event(self, start: datetime, count: int, spacing_min: float, place, offset=2.0) -> None:
        self.events += 1
        moment = start
        for _ in range(count):
            jitter = self.rng.uniform(-0.3, 0.3) * self.rng.random() * 3  # a small point cloud
            gps = (
                (place[0] + jitter / 200, place[1] + jitter / 200)
                if self.rng.random() > 0.1
                else None
            )
            self.photos.append(Labelled(moment, offset, gps, self.events))
            pause = self.rng.expovariate(1 / spacing_min)
            if self.rng.random() < 0.03:
                pause += self.rng.uniform(15, 40)  # a pause inside the event
            moment += timedelta(minutes=min(pause, 50))

    def at_home(self, day: date) -> None:
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            hour = self.rng.choice([9, 11, 14, 17, 19, 20])
            start = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=hour, minutes=self.rng.randint(0, 50)
            )
            if self.photos and start <= self.photos[-1].local + timedelta(hours=3):
                continue
            self.event(start, self.rng.randint(1, 30), self.rng.uniform(1, 8), HOME)

    def day_out(self, day: date) -> None:
        start = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=self.rng.randint(9, 11)
        )
        self.event(
            start, self.rng.randint(10, 60), self.rng.uniform(3, 10), self.rng.choice(DAYS_OUT)
        )

    def trip(self, first: date, days: int, place, offset: float) -> None:
        for index in range(days):
            day = datetime.combine(first + timedelta(days=index), datetime.min.time())
            for hour in sorted(self.rng.sample([9, 13, 18], self.rng.randint(1, 3))):
                spot = (
                    place[0] + self.rng.uniform(-0.05, 0.05),
                    place[1] + self.rng.uniform(-0.05, 0.05),
                )
                self.event(
                    day + timedelta(hours=hour),
                    self.rng.randint(3, 30),
                    self.rng.uniform(2, 8),
                    spot,
                    offset,
                )

    def burst(self, day: date) -> None:
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=14)
        self.event(start, 500, 0.3, HOME)

    def quiet_stretch(self, first: date, days: int) -> None:
        for index in range(days):
            moment = datetime.combine(
                first + timedelta(days=index), datetime.min.time()
            ) + timedelta(hours=18)
            self.event(moment, 1, 1, HOME)


def generate(seed: int, years: int) -> list[Labelled]:
    rng = random.Random(seed)
    life = Life(rng)
    day = date(2020, 1, 1)
    end = date(2020 + years, 1, 1)
    while day < end:
        roll = rng.random()
        if roll < 0.015:
            place, offset = rng.choice(ABROAD)
            days = rng.randint(4, 12)
            life.trip(day, days, place, offset)
        elif roll < 0.04:
            days = 2
            life.trip(day, days, rng.choice(WEEKENDS), 2)
        elif roll < 0.05:
            days = rng.randint(7, 21)
            life.quiet_stretch(day, days)
        elif roll < 0.08:
            days = 1
            life.day_out(day)
        elif roll < 0.083:
            days = 1
            life.burst(day)
        else:
            days = 1
            life.at_home(day)
        day += timedelta(days=days + (1 if rng.random() < 0.5 else 0))
    return life.photos


def to_timeline(photos: list[Labelled]) -> tuple[list[TimelinePhoto], list[int]]:
    located = [photo.gps for photo in photos if photo.gps]
    names = iter(Gazetteer.offline().lookup(located))
    timeline = []
    for index, photo in enumerate(photos):
        instant = (
            (photo.local - timedelta(hours=photo.offset_hours)).replace(tzinfo=UTC).timestamp()
        )
        timeline.append(TimelinePhoto(
            path_text=f"/photos/{index}.jpg", content_hash=str(index), kind=PhotoKind.PHOTO,
            local_time=photo.local, instant=instant, gps=photo.gps,
            place=next(names) if photo.gps else None, score=0.7, dhash=None, landscape=True,
        ))  # fmt: skip
    order = sorted(range(len(timeline)), key=lambda i: timeline[i].instant)
    return [timeline[i] for i in order], [photos[i].event for i in order]


def score(predicted: set[int], truth: set[int]) -> tuple[float, float, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, 2 * precision * recall / ((precision + recall) or 1)


def fixed_gap(timeline: list[TimelinePhoto], hours: float) -> set[int]:
    return {i + 1 for i in range(len(timeline) - 1)
            if timeline[i + 1].instant - timeline[i].instant > hours * 3600}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--scale", type=int, default=100_000)
    args = parser.parse_args()

    print(
        f"{'seed':>5} {'photos':>7} {'events':>7}   {'ours P/R/F1':>20}   {'36 h gap P/R/F1':>20}"
    )
    totals = {"ours": [0, 0, 0], "base": [0, 0, 0]}
    for seed in range(args.seed, args.seed + 5):
        timeline, labels = to_timeline(generate(seed, args.years))
        truth = {i for i in range(1, len(labels)) if labels[i] != labels[i - 1]}
        ours, base = set(boundaries(timeline)), fixed_gap(timeline, 36)
        for name, predicted in (("ours", ours), ("base", base)):
            totals[name][0] += len(predicted & truth)
            totals[name][1] += len(predicted)
            totals[name][2] += len(truth)
        o, b = score(ours, truth), score(base, truth)
        print(f"{seed:>5} {len(timeline):>7} {len(truth) + 1:>7}   "
              f"{o[0]:.3f}/{o[1]:.3f}/{o[2]:.3f}   {b[0]:.3f}/{b[1]:.3f}/{b[2]:.3f}")  # fmt: skip
    for name, (hits, predicted, truth) in totals.items():
        precision, recall = hits / predicted, hits / truth
        f1 = 2 * precision * recall / (precision + recall)
        label = "ours" if name == "ours" else "36 h gap baseline"
        print(f"overall {label:<18} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")

    photos: list[Labelled] = []
    seed = 100
    while len(photos) < args.scale:
        photos += generate(seed, 10)
        seed += 1
    timeline, _ = to_timeline(photos[: args.scale])
    started = time.perf_counter()
    events = segment_events(timeline)
    trips = find_trips(events, HOME)
    memories = plan_memories(timeline, events, trips, today=date(2031, 6, 14), home_city="Lyon")
    seconds = time.perf_counter() - started
    print(f"\nplanning {len(timeline):,} photos: {seconds:.1f} s "
          f"({len(events):,} events, {len(trips)} trips, {len(memories)} memories)")  # fmt: skip


if __name__ == "__main__":
    main()
