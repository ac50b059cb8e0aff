"""A damaged catalog is named as such, and `memories doctor --repair` rebuilds it from the
photos without losing the user's decisions about people, which are also kept in a small
text file beside it."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from test_cli_people import write_album
from test_faults import final_state
from typer.testing import CliRunner

from memories.cli import app

TODAY = ("--today", "2025-06-14")


@pytest.fixture
def config(quick_renders):
    return quick_renders("size = 384\nworkers = 1\n")


@pytest.fixture
def album(tmp_path):
    return write_album(tmp_path / "photos")


def run(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def people(library):
    result = run("people", "-l", library, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def damage(catalog):
    """Garbage over every third page past the schema's, as a failing disk or a bad copy
    would leave it."""
    size = catalog.stat().st_size
    with open(catalog, "r+b") as file:
        for page in range(3, size // 4096, 3):
            file.seek(page * 4096)
            file.write(os.urandom(4096))


def without_face_ids(listed):
    """People as listed; face ids are the catalog's own and may differ in a rebuilt one."""
    return [{**person, "faces": [{k: v for k, v in face.items() if k != "id"}
                                 for face in person["faces"]]} for person in listed]  # fmt: skip


def decided(library):
    return json.loads((library / ".memories" / "decisions.json").read_text())


@pytest.fixture
def decided_library(album, config, tmp_path):
    """A built library where the user named one person (with her birthday), hid another and
    split a face off the first; returns it with its people as listed."""
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    grace, eileen = sorted(people(library), key=lambda person: -len(person["faces"]))
    named = run("people", "name", grace["id"], "Grace", "--birthday", "1906-12-09", "-l", library)
    assert named.exit_code == 0
    assert run("people", "hide", eileen["id"], "-l", library).exit_code == 0
    split = run("people", "split", grace["id"], "--face", grace["faces"][-1]["id"], "-l", library)
    assert split.exit_code == 0
    listed = people(library)
    assert len(listed) == 3
    return library, listed


def test_a_damaged_catalog_is_rebuilt_from_the_photos_keeping_every_decision(
    album, decided_library, tmp_path
):
    library, before = decided_library
    decisions = decided(library)
    assert [(p["name"], p["hidden"], p["birthday"]) for p in decisions["people"]] == [
        (p["name"], p["hidden"], p["birthday"]) for p in before
    ]
    assert "1906-12-09" in [p["birthday"] for p in before]
    assert decisions["photo_folders"] == [str(album.resolve())]

    reference = tmp_path / "reference"
    shutil.copytree(library, reference)
    damage(library / ".memories" / "catalog.sqlite")

    result = run("build", album, "-l", library, *TODAY)
    assert result.exit_code == 2
    assert "is damaged" in result.stderr and "memories doctor --repair" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert run("doctor", "-l", library).exit_code == 2

    result = run("doctor", "--repair", "-l", library)
    assert result.exit_code == 0, result.output
    assert "3 people put back as you left them (9 faces)" in result.stdout
    assert list((library / ".memories").glob("catalog.sqlite.damaged-*")), "kept aside"
    assert without_face_ids(people(library)) == without_face_ids(before)
    assert run("doctor", "--repair", "-l", library).stdout.startswith("The catalog is sound")

    for folder in (library, reference):
        assert run("build", album, "-l", folder, *TODAY).exit_code == 0
    assert final_state(library) == final_state(reference)


def test_decisions_wait_for_the_first_run_that_finds_faces(album, decided_library):
    """A repair stopped before faces (here: made without them) keeps the decisions owed:
    the file keeps them, and the next build that finds faces puts them back."""
    library, before = decided_library
    kept = decided(library)
    damage(library / ".memories" / "catalog.sqlite")
    result = run("doctor", "--repair", "--no-faces", "-l", library)
    assert result.exit_code == 0, result.output
    assert "come back with the first build that looks for faces" in result.stdout
    assert people(library) == [] and decided(library) == kept
    assert run("build", album, "-l", library, *TODAY, "--no-faces").exit_code == 0
    assert decided(library) == kept, "a build without faces keeps them owed"
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    assert without_face_ids(people(library)) == without_face_ids(before)
    assert decided(library) == kept


def test_repair_without_known_folders_asks_for_them_and_a_missing_catalog_is_rebuilt(
    album, config, tmp_path
):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "--no-faces").exit_code == 0
    (library / ".memories" / "decisions.json").unlink()
    (library / ".memories" / "catalog.sqlite").write_bytes(b"not a catalog" * 500)
    result = run("doctor", "--repair", "-l", library)
    assert result.exit_code == 2 and "doctor --repair ~/Pictures" in result.stderr
    result = run("doctor", "--repair", album, "-l", library, "--no-faces")
    assert result.exit_code == 0, result.output
    (library / ".memories" / "catalog.sqlite").unlink()
    result = run("doctor", "--repair", "-l", library)
    assert result.exit_code == 0, result.output
    assert "Rebuilt the catalog" in result.stdout


def test_the_decisions_file_follows_each_change_and_forget_empties_it(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    assert decided(library)["people"] == [], "no decision made yet"
    first, second = sorted(person["id"] for person in people(library))[:2]
    run("people", "name", first, "Grace", "-l", library)
    run("people", "merge", first, second, "-l", library)
    (person,) = decided(library)["people"]
    assert person["id"] == first and person["name"] == "Grace"
    assert len(person["faces"]) == len(people(library)[0]["faces"])
    assert run("forget", "-l", library).exit_code == 0
    assert decided(library)["people"] == []


def test_a_decisions_file_from_before_birthdays_still_reads(tmp_path):
    from memories.decisions import read_decisions
    from memories.errors import MemoriesError

    path = tmp_path / "decisions.json"
    path.write_text(json.dumps({"photo_folders": ["/p"], "people": [
        {"id": 3, "name": "Ana", "hidden": False, "faces": ["abc 1 3 3 1"]},
        {"id": 4, "name": "Ben", "hidden": False, "birthday": "2019-05-03", "faces": []},
    ]}))  # fmt: skip
    ana, ben = read_decisions(path).people
    assert (ana.person.name, ana.person.birthday) == ("Ana", None)
    assert ana.faces == (("abc", (1, 3, 3, 1)),)
    assert str(ben.person.birthday) == "2019-05-03"
    path.write_text(json.dumps({"people": [{"id": 4, "birthday": "May 3rd"}]}))
    with pytest.raises(MemoriesError, match="cannot read"):
        read_decisions(path)


def test_a_damaged_decisions_file_is_written_afresh_from_the_catalog(album, decided_library):
    library, _ = decided_library
    path = library / ".memories" / "decisions.json"
    kept = decided(library)
    path.write_text("{ not json")
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    assert decided(library)["people"] == kept["people"]
