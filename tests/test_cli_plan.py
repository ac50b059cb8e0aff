"""`memories build`, `list`, `show` and `events` on the sample photos, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import snapshot
from typer.testing import CliRunner

from memories.cli import app

SAMPLE_PHOTOS = Path(__file__).resolve().parents[1] / "sample_photos"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    library = tmp_path_factory.mktemp("cli") / "Memories"
    result = run("build", SAMPLE_PHOTOS, "-l", library, "--today", "2025-06-14", "--no-video")
    assert result.exit_code == 0, result.output
    return library


def test_build_prints_scan_plan_and_memories(tmp_path):
    before = snapshot(SAMPLE_PHOTOS)
    result = run("build", SAMPLE_PHOTOS, "-l", tmp_path / "lib", "--today", "2025-06-14",
                 "--no-faces", "--no-video")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Scanned 28 photos and videos" in result.stdout
    assert "events and 1 trip; home: Lyon." in result.stdout
    assert "Trip to Kyoto" in result.stdout and "On this day, 2 years ago" in result.stdout
    again = run("build", SAMPLE_PHOTOS, "-l", tmp_path / "lib", "--today", "2025-06-14", "-q",
                "--no-faces", "--no-video")  # fmt: skip
    assert (again.exit_code, again.output) == (0, "")
    assert snapshot(SAMPLE_PHOTOS) == before, "building changed an original"


def test_list_json_follows_the_contract(library):
    result = run("list", "-l", library, "--today", "2025-06-14", "--json")
    assert result.exit_code == 0, result.output
    memories = json.loads(result.stdout)
    kinds = {memory["kind"] for memory in memories}
    assert {"event", "trip", "on_this_day", "year"} <= kinds
    trip = next(memory for memory in memories if memory["kind"] == "trip")
    assert trip["id"] == "2024-04-03-trip-kyoto"
    assert trip["title"] == "Trip to Kyoto" and trip["place"] == "Kyoto"
    assert trip["start"].startswith("2024-04-03") and trip["end"].startswith("2024-04-09")
    assert all(Path(path).is_absolute() and Path(path).exists() for path in trip["photos"])
    assert set(trip) >= {
        "id",
        "kind",
        "title",
        "start",
        "end",
        "place",
        "people",
        "photos",
        "outputs",
    }
    shown = {path for memory in memories for path in memory["photos"]}
    assert not any("Screenshot" in path for path in shown)
    blurred = str(SAMPLE_PHOTOS / "IMG_20240614_190544.jpg")
    review = next(memory for memory in memories if memory["id"] == "2024-in-review")
    assert blurred not in review["photos"]  # left out where there are enough sharp ones
    assert blurred not in {memory["cover"] for memory in memories}


def test_list_filters_by_kind(library):
    result = run("list", "-l", library, "--today", "2025-06-14", "--kind", "on_this_day", "--json")
    assert {memory["kind"] for memory in json.loads(result.stdout)} == {"on_this_day"}


def test_the_burst_gives_one_photo(library):
    result = run("show", "2024-06-14-lyon", "-l", library, "--json")
    photos = [Path(path).name for path in json.loads(result.stdout)["photos"]]
    assert len([name for name in photos if name.startswith("IMG_20240614_1830")]) == 1


def test_show_a_trip(library):
    result = run("show", "2024-04-03-trip-kyoto", "-l", library)
    assert result.exit_code == 0, result.output
    assert "Trip to Kyoto  3-9 Apr 2024" in result.stdout
    assert "chapters 2024-04-03-kyoto" in result.stdout


def test_show_unknown_id(library):
    result = run("show", "no-such-memory", "-l", library)
    assert result.exit_code == 2
    assert "no memory with id 'no-such-memory'" in result.stderr


def test_events_cover_every_dated_photo_once(library):
    result = run("events", "-l", library, "--json")
    events = json.loads(result.stdout)
    paths = [path for event in events for path in event["photos"]]
    assert len(paths) == len(set(paths)) == 27  # 28 files but the screenshot
    assert [event["start"] for event in events] == sorted(event["start"] for event in events)
    assert {"id", "start", "end", "photos", "why"} <= set(events[0])
    assert events[0]["why"] == {"rule": "first", "gap_minutes": None, "km": None}
    rules = {event["why"]["rule"] for event in events[1:]}
    assert rules and rules <= {"gap", "night", "place", "pause"}
    assert all(event["why"]["gap_minutes"] > 0 for event in events[1:])


def test_events_say_why_each_one_starts(library):
    table = run("events", "-l", library).stdout
    assert "starts because" in table
    assert "first photo" in table and ("no photos:" in table or "moved" in table)


def test_planning_without_a_catalog_says_what_to_do(tmp_path):
    result = run("list", "-l", tmp_path / "empty")
    assert result.exit_code == 4
    assert "run `memories build PHOTOS` first" in result.stderr
    assert not (tmp_path / "empty").exists()


def test_bad_today_is_a_usage_error(library):
    assert run("list", "-l", library, "--today", "14/06/2025").exit_code == 2


def test_unknown_geocoder_is_a_usage_error(library):
    result = run("list", "-l", library, "--geocoder", "google")
    assert result.exit_code == 2
    assert "geocoder: must be one of offline, nominatim" in result.stderr


def test_build_json_is_the_list_of_memories(library):
    result = run("build", SAMPLE_PHOTOS, "-l", library, "--today", "2025-06-14", "--json",
                 "--no-video")  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = run("list", "-l", library, "--today", "2025-06-14", "--json")
    assert json.loads(result.stdout) == json.loads(listed.stdout)
    assert "Scanned 28 photos" in result.stderr  # the summary stays off stdout


def test_a_photo_that_cannot_be_decoded_is_reported_and_left_out(make_photo, photos_dir, tmp_path):
    for number in range(3):
        make_photo(f"IMG_2024061{number}_120000.jpg", size=(640, 480), color=(number * 60, 90, 9),
                   taken_at=f"2024:06:1{number} 12:00:00", gps=(45.764, 4.8357))  # fmt: skip
    broken = make_photo("IMG_20240613_120000.jpg", size=(640, 480), taken_at="2024:06:13 12:00:00")
    data = bytearray(broken.read_bytes())
    # The scan accepts it (sound headers, end marker present) but its Huffman table is garbage.
    table = data.index(b"\xff\xc4")
    data[table + 5 : table + 21] = b"\xff" * 16
    broken.write_bytes(bytes(data))
    result = run("build", photos_dir, "-l", tmp_path / "lib", "--today", "2025-06-14", "--no-video")
    assert result.exit_code == 1, result.output
    assert "IMG_20240613_120000.jpg: cannot be decoded" in result.stdout
    events = json.loads(run("events", "-l", tmp_path / "lib", "--json").stdout)
    assert not any("20240613" in path for event in events for path in event["photos"])


def test_the_two_people_of_the_sample_photos_are_found(library):
    people = json.loads(run("people", "-l", library, "--json").stdout)
    assert sorted(len(person["faces"]) for person in people) == [10, 11]
    grace = max(people, key=lambda person: len(person["faces"]))
    assert any(face["photo"].endswith("IMG-20240820-WA0003.jpg") for face in grace["faces"])
    rotated = [f for p in people for f in p["faces"] if f["photo"].endswith("101530123.jpg")]
    assert len(rotated) == 1  # found upright in the photo stored on its side
