"""`memories people` and `memories forget` as a user runs them, on generated photos of two
real faces: grouping, decisions that survive re-runs, hiding, contact sheets, forgetting."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from conftest import exif_bytes
from faces import EILEEN, GRACE, scene
from PIL import Image
from typer.testing import CliRunner

from memories.cli import app

runner = CliRunner()
TODAY = ("--today", "2025-06-14")


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def write_album(folder):
    """Grace on four days, Eileen on three, both together once: one photo a day."""
    folder.mkdir(parents=True, exist_ok=True)
    days = [(GRACE, 1), (GRACE, 2), (GRACE, 3), (GRACE, 4), (EILEEN, 5), (EILEEN, 6),
            (EILEEN, 7)]  # fmt: skip
    for person, day in days:
        scene(person, at=(60 * day, 60)).save(
            folder / f"IMG_2024050{day}_120000.jpg",
            exif=exif_bytes(taken_at=f"2024:05:0{day} 12:00:00"),
        )
    both = scene(GRACE, at=(20, 100), width=240)
    both.paste(scene(EILEEN, size=(300, 300), width=300, at=(0, 0)), (330, 100))
    both.save(folder / "IMG_20240508_120000.jpg", exif=exif_bytes(taken_at="2024:05:08 12:00:00"))
    return folder


def build(album, library):
    result = run("build", album, "-l", library, *TODAY, "-w", "1", "--no-video")
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One album and its library, built once; each test works on a copy of the library."""
    root = tmp_path_factory.mktemp("people")
    album = write_album(root / "photos")
    result = build(album, root / "Memories")
    assert "Looked for faces in 8 new photos." in result.stdout
    return album, root / "Memories"


@pytest.fixture
def album(built):
    return built[0]


@pytest.fixture
def library(built, tmp_path):
    return shutil.copytree(built[1], tmp_path / "Memories")


def people_of(library) -> list[dict]:
    result = run("people", "-l", library, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def person_with(people, count) -> dict:
    [person] = [person for person in people if len(person["faces"]) == count]
    return person


def test_people_json_follows_the_contract(library, album):
    people = people_of(library)
    assert sorted(len(person["faces"]) for person in people) == [4, 5]
    for person in people:
        assert {"id", "name", "hidden", "faces", "doubt"} <= set(person)
        assert person["doubt"] is None  # the two who stand together in a photo stay two
        assert isinstance(person["id"], int) and person["name"] is None
        assert person["hidden"] is False
        for face in person["faces"]:
            assert face["photo"].startswith(str(album)) and len(face["box"]) == 4
            top, right, bottom, left = face["box"]
            assert 0 <= left < right <= 640 and 0 <= top < bottom <= 480


def test_the_table_lists_people_with_counts_and_dates(library):
    result = run("people", "-l", library)
    assert result.exit_code == 0
    assert "2024-05-01" in result.stdout and "2024-05-08" in result.stdout


def test_names_survive_new_photos_and_moves_and_named_people_get_memories(tmp_path):
    album, library = write_album(tmp_path / "photos"), tmp_path / "Memories"
    build(album, library)
    grace = person_with(people_of(library), 5)
    assert run("people", "name", grace["id"], "Grace Hopper", "-l", library).exit_code == 0
    scene(GRACE, at=(100, 90), width=250).save(
        album / "IMG_20240509_120000.jpg", exif=exif_bytes(taken_at="2024:05:09 12:00:00")
    )
    (album / "IMG_20240501_120000.jpg").rename(album / "moved.jpg")
    result = build(album, library)
    assert "Looked for faces in 1 new photo." in result.stdout  # not the moved one
    after = {person["id"]: person for person in people_of(library)}
    assert after[grace["id"]]["name"] == "Grace Hopper"
    assert len(after[grace["id"]]["faces"]) == 6
    assert any(face["photo"].endswith("moved.jpg") for face in after[grace["id"]]["faces"])
    memories = json.loads(run("list", "-l", library, *TODAY, "--json").stdout)
    person_memories = [memory for memory in memories if memory["kind"] == "person"]
    assert [memory["people"] for memory in person_memories] == [["Grace Hopper"]]


def test_a_long_run_groups_faces_as_it_finds_them_into_the_same_people(
    built, tmp_path, monkeypatch
):
    from memories import people

    groupings, group_faces = [], people.group_faces

    def counted(catalog, **options):
        groupings.append(catalog)
        return group_faces(catalog, **options)

    monkeypatch.setattr(people, "STORE_EVERY", 2)
    monkeypatch.setattr(people, "GROUP_EVERY", 2)
    monkeypatch.setattr(people, "group_faces", counted)
    album, library = built[0], tmp_path / "Memories"
    build(album, library)
    assert len(groupings) >= 3  # every few faces, then the last ones
    faces_of = lambda library: sorted(len(person["faces"]) for person in people_of(library))  # noqa: E731
    assert faces_of(library) == faces_of(built[1]) == [4, 5]


def test_hidden_people_and_their_photos_leave_every_memory(library):
    eileen = person_with(people_of(library), 4)
    hidden_photos = {face["photo"] for face in eileen["faces"]}
    assert run("people", "hide", eileen["id"], "-l", library).exit_code == 0
    assert person_with(people_of(library), 4)["hidden"] is True
    events = json.loads(run("events", "-l", library, "--json").stdout)
    shown = {photo for event in events for photo in event["photos"]}
    assert shown and not shown & hidden_photos
    sheet = run("people", "sheet", eileen["id"], "-l", library)
    assert sheet.exit_code == 2 and "hidden" in sheet.output
    assert run("people", "unhide", eileen["id"], "-l", library).exit_code == 0
    events = json.loads(run("events", "-l", library, "--json").stdout)
    assert hidden_photos <= {photo for event in events for photo in event["photos"]}


def test_split_and_merge_are_kept_by_a_full_regrouping(library):
    grace = person_with(people_of(library), 5)
    moved = grace["faces"][-1]["id"]
    result = run("people", "split", grace["id"], "--face", moved, "-l", library)
    assert result.exit_code == 0, result.output
    assert run("people", "--recluster", "-l", library).exit_code == 0
    people = people_of(library)
    assert sorted(len(person["faces"]) for person in people) == [1, 4, 4]
    part = person_with(people, 1)
    assert part["faces"][0]["id"] == moved
    assert run("people", "merge", grace["id"], part["id"], "-l", library).exit_code == 0
    assert run("people", "--recluster", "-l", library).exit_code == 0
    assert person_with(people_of(library), 5)["id"] == grace["id"]


def test_split_without_faces_cuts_a_wrong_merge_in_two(library):
    grace, eileen = person_with(people_of(library), 5), person_with(people_of(library), 4)
    assert run("people", "merge", grace["id"], eileen["id"], "-l", library).exit_code == 0
    result = run("people", "split", grace["id"], "-l", library)
    assert result.exit_code == 0, result.output
    assert sorted(len(person["faces"]) for person in people_of(library)) == [4, 5]


def test_contact_sheets_show_each_face_and_none_of_hidden_people(library):
    result = run("people", "sheet", "-l", library)
    assert result.exit_code == 0, result.output
    sheets = sorted((library / "people").glob("person-*.jpg"))
    assert len(sheets) == 2
    with Image.open(sheets[0]) as image:
        assert image.format == "JPEG" and image.width >= 160 * 4
    eileen = person_with(people_of(library), 4)
    run("people", "hide", eileen["id"], "-l", library)
    assert run("people", "sheet", "-l", library).exit_code == 0
    assert [path.name for path in (library / "people").glob("person-*.jpg")] == [
        f"person-{person_with(people_of(library), 5)['id']}.jpg"
    ]


def test_review_order_puts_a_wrongly_grouped_face_last(library):
    from memories.catalog import Catalog
    from memories.people import faces_for_review

    grace, eileen = person_with(people_of(library), 5), person_with(people_of(library), 4)
    stranger = eileen["faces"][0]["id"]
    run("people", "split", eileen["id"], "--face", stranger, "-l", library)
    lone = next(p for p in people_of(library) if [f["id"] for f in p["faces"]] == [stranger])
    assert run("people", "merge", grace["id"], lone["id"], "-l", library).exit_code == 0
    with Catalog.open(library / ".memories" / "catalog.sqlite") as catalog:
        order = [face.id for face in faces_for_review(catalog, grace["id"])]
    assert len(order) == 6 and order[-1] == stranger


def test_forget_one_person_then_everything(library):
    assert run("people", "sheet", "-l", library).exit_code == 0
    reader = sqlite3.connect(library / ".memories" / "catalog.sqlite")  # left open, idle
    encodings = [row[0] for row in reader.execute("SELECT encoding FROM faces")]
    eileen = person_with(people_of(library), 4)
    result = run("forget", "--person", eileen["id"], "-l", library)
    assert result.exit_code == 0 and "4 faces" in result.stdout
    assert [len(person["faces"]) for person in people_of(library)] == [5]
    assert not (library / "people" / f"person-{eileen['id']}.jpg").exists()
    assert run("forget", "-l", library).exit_code == 0
    assert people_of(library) == []
    assert not list((library / "people").glob("*.jpg"))
    catalog = sqlite3.connect(library / ".memories" / "catalog.sqlite")
    for table in ("faces", "people", "face_scans"):
        assert catalog.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    catalog.close()
    stored = b"".join(path.read_bytes() for path in (library / ".memories").glob("catalog*"))
    assert not any(encoding in stored for encoding in encodings), "no trace left in the file"
    assert "faces" not in (library / ".memories" / "decisions.json").read_text().split("people")[1]


def test_no_faces_computes_no_face_data(album, tmp_path):
    library = tmp_path / "lib"
    result = run("build", album, "-l", library, *TODAY, "--no-faces", "--no-video")
    assert result.exit_code == 0 and "Looked for faces" not in result.stdout
    catalog = sqlite3.connect(library / ".memories" / "catalog.sqlite")
    assert catalog.execute("SELECT count(*) FROM face_scans").fetchone() == (0,)
    assert "No people yet" in run("people", "-l", library).stdout


def test_faces_false_in_the_config_file_computes_no_face_data(album, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("faces = false\n")
    monkeypatch.setenv("MEMORIES_CONFIG", str(config))
    result = run("build", album, "-l", tmp_path / "lib", *TODAY, "--no-video")
    assert result.exit_code == 0 and "Looked for faces" not in result.stdout
    catalog = sqlite3.connect(tmp_path / "lib" / ".memories" / "catalog.sqlite")
    assert catalog.execute("SELECT count(*) FROM face_scans").fetchone() == (0,)


def test_a_birthday_is_given_with_the_name_listed_kept_and_told_to_the_planner(library):
    from datetime import date

    from memories.catalog import Catalog

    grace = person_with(people_of(library), 5)
    result = run("people", "name", grace["id"], "Grace", "--birthday", "2019-05-03", "-l", library)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Person {grace['id']} (Grace, born 2019-05-03) named."
    assert person_with(people_of(library), 5)["birthday"] == "2019-05-03"
    assert person_with(people_of(library), 4)["birthday"] is None
    table = run("people", "-l", library).stdout
    assert "birthday" in table and "2019-05-03" in table
    (decided,) = json.loads((library / ".memories" / "decisions.json").read_text())["people"]
    assert (decided["name"], decided["birthday"]) == ("Grace", "2019-05-03")
    catalog_path = library / ".memories" / "catalog.sqlite"
    with Catalog.open(catalog_path) as catalog:
        assert catalog.birthdays() == {str(grace["id"]): date(2019, 5, 3)}
    assert run("people", "name", grace["id"], "Grace Hopper", "-l", library).exit_code == 0
    assert person_with(people_of(library), 5)["birthday"] == "2019-05-03", "kept by a rename"
    assert run("people", "hide", grace["id"], "-l", library).exit_code == 0
    with Catalog.open(catalog_path) as catalog:
        assert catalog.birthdays() == {}, "a hidden person's birthday makes no memory"
    cleared = run("people", "name", grace["id"], "Grace", "--birthday", "", "-l", library)
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.strip() == f"Person {grace['id']} (Grace) named."
    assert person_with(people_of(library), 5)["birthday"] is None


def test_a_birthday_that_is_not_a_past_date_is_a_one_line_usage_error(library):
    from datetime import date, timedelta

    grace = person_with(people_of(library), 5)
    tomorrow = f"{date.today() + timedelta(days=1):%Y-%m-%d}"
    for given, said in [("2019-5-3", "YYYY-MM-DD"), ("20190503", "YYYY-MM-DD"),
                        ("2019-02-30", "YYYY-MM-DD"), ("May 3rd", "YYYY-MM-DD"),
                        (tomorrow, "cannot be in the future")]:  # fmt: skip
        result = run("people", "name", grace["id"], "Grace", "--birthday", given, "-l", library)
        assert result.exit_code == 2, given
        assert len(result.output.strip().splitlines()) == 1 and said in result.output, given
    assert person_with(people_of(library), 5)["name"] is None, "nothing was changed"


def test_a_merge_keeps_a_birthday_as_it_keeps_a_name(library):
    grace, eileen = person_with(people_of(library), 5), person_with(people_of(library), 4)
    run("people", "name", eileen["id"], "Eileen", "--birthday", "2001-01-31", "-l", library)
    assert run("people", "merge", grace["id"], eileen["id"], "-l", library).exit_code == 0
    (merged,) = people_of(library)
    assert (merged["id"], merged["name"], merged["birthday"]) == (
        grace["id"], "Eileen", "2001-01-31"
    )  # fmt: skip


def test_unknown_person_is_a_one_line_usage_error(library):
    result = run("people", "name", "999", "Nobody", "-l", library)
    assert result.exit_code == 2
    assert result.output.strip() == "memories: there is no person 999; `memories people` lists them"


def test_the_planner_gets_the_boxes_of_visible_people(library):
    from datetime import date

    from memories import pipeline
    from memories.config import Settings

    people = people_of(library)
    eileen = person_with(people, 4)
    run("people", "hide", eileen["id"], "-l", library)
    plan = pipeline.plan(Settings(library=library, workers=1), today=date(2025, 6, 14))
    with_faces = [photo for photo in plan.timeline.photos if photo.faces]
    assert len(with_faces) == 4  # Grace alone; the photo of both goes with hidden Eileen
    grace = str(person_with(people, 5)["id"])
    for photo in with_faces:
        [(person, (top, right, bottom, left))] = photo.faces
        assert person == grace and photo.people == {grace} and left < right and top < bottom


def test_a_photo_of_a_hidden_person_is_never_restyled(library, album):
    grace = person_with(people_of(library), 5)
    assert run("people", "hide", grace["id"], "-l", library).exit_code == 0
    photo = album / "IMG_20240501_120000.jpg"
    result = run("restyle", photo, "--style", "watercolour", "-l", library)
    assert result.exit_code == 1
    assert "shows a hidden person: never restyled" in result.stdout
    assert not (library / "restyled").exists()
