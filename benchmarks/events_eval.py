"""Event segmentation quality and planning speed on labelled synthetic timelines.

    python benchmarks/events_eval.py [--seed 7] [--seeds 5] [--years 3] [--scale 100000]

Generates a few years of one person's photo life with a known event for every photo: evenings
and outings at home (stray single photos too), days out with a long lunch or an afternoon
without photos at the same spot and sometimes dinner elsewhere in town after them, weekends
away and trips abroad across time zones (one chapter a day, sometimes with a camera that
writes no offset, so its photos sit at home's offset), long quiet stretches with one photo a
day, and bursts of hundreds of photos in an afternoon. Scores the event boundaries (precision,
recall, F1) of ours against, in the same run, the best fixed gap in hindsight (1 to 12 hours,
chosen per seed on the labels) and the 36-hour gap LibrePhotos uses; then times the whole
planner (events, trips, memories) on --scale photos.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memories.analyze.places import Gazetteer
from memories.model import PhotoKind, TimelinePhoto
from memories.plan.events import EventRules, find_trips, segment_events
from memories.plan.memories import plan_memories

HOME = (45.7640, 4.8357)  # Lyon
HOME_OFFSET = 2.0
DAYS_OUT = [(45.8992, 6.1294), (45.1885, 5.7245), (46.2044, 6.1432), (45.4397, 4.3872)]
WEEKENDS = [(43.2965, 5.3698), (48.8566, 2.3522), (44.8378, -0.5792)]
ABROAD = [((35.0116, 135.7681), 9), ((40.7128, -74.0060), -4), ((41.9028, 12.4964), 2),
          ((-33.8688, 151.2093), 10), ((64.1466, -21.9426), 0)]  # fmt: skip


@dataclass
class Labelled:
    local: datetime
    offset_hours: float
    """The offset the timeline sees: the home's for a camera that writes none."""
    gps: tuple[float, float] | None
    event: int


class Life:
    """Appends labelled events to a timeline, one generator per kind of day."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.photos: list[Labelled] = []
        self.events = 0

    def event(
        self, start: datetime, count: int, spacing_min: float, place, offset=2.0, *,
        same_event: bool = False, no_offset_share: float = 0.0,
    ) -> datetime:
        """Photos of one event (or, with `same_event`, more of the last one); returns when
        the last was taken."""
        self.events += 0 if same_event else 1
        moment = start
        for _ in range(count):
            jitter = self.rng.uniform(-0.3, 0.3) * self.rng.random() * 3  # a small point cloud
            gps = (
                (place[0] + jitter / 200, place[1] + jitter / 200)
                if self.rng.random() > 0.1
                else None
            )
            seen_offset = HOME_OFFSET if self.rng.random() < no_offset_share else offset
            self.photos.append(Labelled(moment, seen_offset, gps, self.events))
            last = moment
            pause = self.rng.expovariate(1 / spacing_min)
            if self.rng.random() < 0.03:
                pause += self.rng.uniform(15, 40)  # a pause inside the event
            moment += timedelta(minutes=min(pause, 50))
        return last

    def at_home(self, day: date) -> None:
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            hour = self.rng.choice([9, 11, 14, 17, 19, 20])
            start = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=hour, minutes=self.rng.randint(0, 50)
            )
            if self.photos and start <= self.photos[-1].local + timedelta(hours=3):
                continue
            self.event(start, self.rng.randint(1, 30), self.rng.uniform(1, 8), HOME)

    def stray_photo(self, day: date) -> None:
        """One photo at home on a day out's morning: an event of its own."""
        self.event(datetime.combine(day, datetime.min.time()) + timedelta(hours=7), 1, 1, HOME)

    def day_out(self, day: date) -> None:
        """A day at one spot, often with a long pause there (lunch, a museum without photos),
        and sometimes dinner elsewhere in town after it: a second event."""
        if self.rng.random() < 0.3:
            self.stray_photo(day)
        place = self.rng.choice(DAYS_OUT)
        start = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=self.rng.randint(9, 11)
        )
        last = self.event(start, self.rng.randint(10, 40), self.rng.uniform(3, 10), place)
        if self.rng.random() < 0.7:
            pause = timedelta(hours=self.rng.uniform(1, 2.75))
            last = self.event(last + pause, self.rng.randint(5, 30), self.rng.uniform(3, 10),
                              place, same_event=True)  # fmt: skip
        if self.rng.random() < 0.5:
            north, east = self.rng.uniform(0.03, 0.06), self.rng.uniform(-0.06, 0.06)
            town = (place[0] + north, place[1] + east)  # 3 to 8 km away
            evening = last + timedelta(hours=self.rng.uniform(0.75, 2.5))
            self.event(evening, self.rng.randint(3, 20), self.rng.uniform(2, 8), town)

    def trip(self, first: date, days: int, place, offset: float) -> None:
        """A day of a trip is one chapter: sights around town at 9, 13 and 18 o'clock, with
        pauses and moves between them. Some trips are shot partly on a camera that writes no
        offset."""
        no_offset = 0.5 if self.rng.random() < 0.3 else 0.0
        for index in range(days):
            if index and self.rng.random() < 0.15:
                continue  # a day without photos inside the trip
            day = datetime.combine(first + timedelta(days=index), datetime.min.time())
            hours = sorted(self.rng.sample([9, 13, 18], self.rng.randint(1, 3)))
            for number, hour in enumerate(hours):
                spot = (
                    place[0] + self.rng.uniform(-0.05, 0.05),
                    place[1] + self.rng.uniform(-0.05, 0.05),
                )
                self.event(
                    day + timedelta(hours=hour, minutes=self.rng.randint(0, 40)),
                    self.rng.randint(3, 30),
                    self.rng.uniform(2, 8),
                    spot,
                    offset,
                    same_event=number > 0,
                    no_offset_share=no_offset,
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


def ours(timeline: list[TimelinePhoto], rules: EventRules | None = None) -> set[int]:
    """Our event starts, as the build plans them (with the home, so trip days are chapters)."""
    events = segment_events(timeline, rules or EventRules(), home=HOME)
    starts, index = set(), 0
    for event in events:
        if index:
            starts.add(index)
        index += len(event.photos)
    return starts


def best_fixed_gap(timeline: list[TimelinePhoto], truth: set[int]) -> tuple[int, tuple]:
    """The fixed gap (whole hours, 1 to 12) that scores best on these labels, and its score."""
    return max(((hours, score(fixed_gap(timeline, hours), truth)) for hours in range(1, 13)),
               key=lambda found: found[1][2])  # fmt: skip


SWEEP = {
    "pause_s": [h * 3600 for h in (1.5, 2, 2.5, 3, 3.5, 4, 5, 6)],
    "move_km": [0.5, 1, 2, 3, 5, 10],
    "move_gap_s": [m * 60 for m in (15, 30, 45, 60, 90, 120)],
    "night_s": [h * 3600 for h in (1, 2, 3, 4, 6)],
    "jump_km": [10, 25, 50, 100],
    "home_km": [5, 10, 30, 50, 100],
}


def sweep(args: argparse.Namespace) -> None:
    """F1 over the seeds for each rule's number, the others as they are: how the defaults
    were chosen, and how sharp the choice is."""
    seeds = [to_timeline(generate(seed, args.years)) for seed in range(args.seed,
                                                                         args.seed + args.seeds)]
    truths = [{i for i in range(1, len(labels)) if labels[i] != labels[i - 1]}
              for _, labels in seeds]  # fmt: skip
    for name, values in SWEEP.items():
        cells = []
        for value in values:
            rules = replace(EventRules(), **{name: value})
            f1s = [score(ours(timeline, rules), truth)[2]
                   for (timeline, _), truth in zip(seeds, truths, strict=True)]  # fmt: skip
            shown = f"{value / 3600:g} h" if name.endswith("_s") and value >= 3600 else (
                f"{value / 60:g} min" if name.endswith("_s") else f"{value:g} km")
            cells.append(f"{shown}: {min(f1s):.3f}")
        default = getattr(EventRules(), name)
        print(f"{name:<11} (ours {default:g})  worst-seed F1  " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--sweep", action="store_true", help="F1 of each rule's number around ours")
    args = parser.parse_args()
    if args.sweep:
        sweep(args)
        return

    print(f"{'seed':>5} {'photos':>7} {'events':>7}   {'ours P/R/F1':>17}   "
          f"{'best fixed gap P/R/F1':>26}   {'36 h gap P/R/F1':>17}")  # fmt: skip
    totals = {"ours": [0, 0, 0], "36 h gap": [0, 0, 0]}
    wins = 0
    for seed in range(args.seed, args.seed + args.seeds):
        timeline, labels = to_timeline(generate(seed, args.years))
        truth = {i for i in range(1, len(labels)) if labels[i] != labels[i - 1]}
        predicted = {"ours": ours(timeline), "36 h gap": fixed_gap(timeline, 36)}
        for name, starts in predicted.items():
            totals[name][0] += len(starts & truth)
            totals[name][1] += len(starts)
            totals[name][2] += len(truth)
        o, b = score(predicted["ours"], truth), score(predicted["36 h gap"], truth)
        hours, best = best_fixed_gap(timeline, truth)
        wins += o[2] > best[2]
        print(f"{seed:>5} {len(timeline):>7} {len(truth) + 1:>7}   "
              f"{o[0]:.3f}/{o[1]:.3f}/{o[2]:.3f}   "
              f"{hours:>2} h: {best[0]:.3f}/{best[1]:.3f}/{best[2]:.3f}   "
              f"{b[0]:.3f}/{b[1]:.3f}/{b[2]:.3f}")  # fmt: skip
    for name, (hits, predicted_count, truth_count) in totals.items():
        precision, recall = hits / predicted_count, hits / truth_count
        f1 = 2 * precision * recall / (precision + recall)
        print(f"overall {name:<9} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"ours above the best fixed gap in hindsight on {wins} of {args.seeds} seeds")

    photos: list[Labelled] = []
    seed = 100
    while len(photos) < args.scale:
        photos += generate(seed, 10)
        seed += 1
    timeline, _ = to_timeline(photos[: args.scale])
    started = time.perf_counter()
    events = segment_events(timeline, home=HOME)
    trips = find_trips(events, HOME)
    memories = plan_memories(timeline, events, trips, today=date(2031, 6, 14), home_city="Lyon")
    seconds = time.perf_counter() - started
    print(f"\nplanning {len(timeline):,} photos: {seconds:.1f} s "
          f"({len(events):,} events, {len(trips)} trips, {len(memories)} memories)")  # fmt: skip


if __name__ == "__main__":
    main()
