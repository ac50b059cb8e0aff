"""Golden timelines: small photo histories in files, with the events and memories they give.

Set MEMORIES_UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change, then
read the diff: it is the change in behaviour.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from timelines import LYON, moment

from memories.plan.events import find_trips, segment_events
from memories.plan.memories import plan_memories

GOLDEN = Path(__file__).parent / "golden"
SYDNEY = (-33.8688, 151.2093)
TODAY = date(2025, 6, 14)


def read_timeline(path: Path):
    """Photos, one a line: day, clock, offset, `lat,lon` or `-`, and the ids of the people
    in it (`1,2`, optional). `@person ID NAME [BIRTHDAY]` names a person, `@southern` puts
    home south of the equator."""
    photos, setting = [], Setting()
    for number, line in enumerate(path.read_text().splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@"):
            setting.read(line)
            continue
        day, clock, offset, where, *people = line.split()
        hours = int(offset[:3]) + (
            int(offset[4:]) / 60 if offset[0] == "+" else -int(offset[4:]) / 60
        )
        gps = None if where == "-" else tuple(float(part) for part in where.split(","))
        in_it = frozenset(people[0].split(",")) if people else frozenset()
        photos.append(moment(f"{day} {clock}", gps=gps, offset_hours=hours, name=f"{number:03d}",
                             people=in_it))  # fmt: skip
    return sorted(photos, key=lambda photo: photo.instant), setting


@dataclass
class Setting:
    names: dict[str, str] = field(default_factory=dict)
    birthdays: dict[str, date] = field(default_factory=dict)
    southern: bool = False

    def read(self, line: str) -> None:
        word, *rest = line.split()
        if word == "@southern":
            self.southern = True
        elif word == "@person":
            person, name, *born = rest
            self.names[person] = name
            if born:
                self.birthdays[person] = date.fromisoformat(born[0])


def outcome(photos, setting: Setting) -> dict:
    events = segment_events(photos, home=LYON)
    trips = find_trips(events, LYON)
    memories = plan_memories(photos, events, trips, today=TODAY, home_city="Lyon",
                             people_names=setting.names, birthdays=setting.birthdays,
                             home=SYDNEY if setting.southern else LYON)  # fmt: skip
    return {
        "events": [
            [event.id, event.place, list(event.why or ()), [p.path.stem for p in event.photos]]
            for event in events
        ],
        "trips": [[event.id for event in trip] for trip in trips],
        "memories": [
            [
                memory.kind.value,
                memory.id,
                memory.title,
                memory.dates,
                memory.place,
                [p.path.stem for p in memory.photos],
                *([[f"{i.headline} ({i.detail})" for i in memory.insights]]
                  if memory.insights else []),
            ]
            for memory in memories
        ],
    }


@pytest.mark.parametrize("timeline", sorted(GOLDEN.glob("*.timeline")), ids=lambda p: p.stem)
def test_golden_timeline(timeline):
    expected_path = timeline.with_suffix(".expected.json")
    actual = outcome(*read_timeline(timeline))
    if os.environ.get("MEMORIES_UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    assert actual == json.loads(expected_path.read_text())
