"""The command line as a user meets it: help, exit codes, one-line errors, JSON contracts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memories import __version__, pipeline
from memories.cli import app
from memories.library import LibraryFolder, locked

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(arg) for arg in args])


def command_names() -> list[str]:
    names = [command.name or command.callback.__name__ for command in app.registered_commands]
    for group in app.registered_groups:
        names.append(group.name)
        names += [f"{group.name} {command.name or command.callback.__name__}"
                  for command in group.typer_instance.registered_commands]  # fmt: skip
    return names


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"memories {__version__}"


def test_help_has_examples_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout and "Exit codes" in result.stdout


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help_with_examples_and_is_in_the_readme(command):
    result = run(*command.split(), "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout
    assert re.search(rf"`memories {command}\b", README.read_text()), f"{command} not in README"


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from typer.testing import CliRunner; from memories.cli import app; "
        "CliRunner().invoke(app, ['--help']); "
        "print([m for m in ('torch', 'diffusers', 'dlib', 'shapefile', 'transformers') "
        "if m in sys.modules])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_scan_prints_a_summary(make_photo, photos_dir, tmp_path):
    make_photo("a.jpg", size=(640, 480), taken_at="2023:12:24 19:00:00", gps=(45.7, 4.8))
    make_photo("b.png", size=(1170, 2532), exif=False)
    os.utime(photos_dir / "b.png", (1_700_000_000, 1_700_000_000))
    result = run("scan", photos_dir, "--library", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    assert "Scanned 2 photos and videos" in result.stdout
    assert "2 new" in result.stdout
    assert (
        "2 in these folders, taken 24 Dec 2023 to 24 Dec 2023: 1 photo, 1 screenshot; "
        "1 with a place; 1 dated only by file time (a guess)." in result.stdout
    )


def test_scan_json_follows_the_contract(make_photo, photos_dir, tmp_path):
    make_photo(
        "IMG_20240614_153012.jpg",
        size=(64, 48),
        taken_at="2024:06:14 15:30:12",
        offset="+02:00",
        gps=(45.764, 4.8357),
        orientation=6,
    )
    (photos_dir / "broken.jpg").write_bytes(b"")
    result = run("scan", photos_dir, "--library", tmp_path / "lib", "--json")
    assert result.exit_code == 1
    good, broken = json.loads(result.stdout)
    assert good == {
        "path": str(photos_dir / "IMG_20240614_153012.jpg"),
        "taken_at": "2024-06-14T15:30:12+02:00",
        "taken_at_utc": "2024-06-14T13:30:12Z",
        "taken_at_source": "exif",
        "zone_source": "file",
        "gps": [45.764, 4.8357],
        "width": 48,
        "height": 64,
        "orientation": 6,
        "camera": "Google Pixel 8",
        "kind": "photo",
        "format": "JPEG",
        "duration": None,
        "content_hash": good["content_hash"],
        "duplicates": [],
        "sidecar": None,
        "motion": None,
        "companion_of": None,
        "error": None,
    }
    assert broken["path"] == str(photos_dir / "broken.jpg")
    assert broken["error"] == "empty file (0 bytes)"
    assert set(broken) == set(good)


def test_skipped_files_are_listed_and_exit_1(make_photo, photos_dir, tmp_path):
    make_photo("a.jpg")
    (photos_dir / "cut.jpg").write_bytes(b"")
    result = run("scan", photos_dir, "-l", tmp_path / "lib")
    assert result.exit_code == 1
    assert "Skipped 1 files" in result.stdout
    assert "cut.jpg: empty file (0 bytes)" in result.stdout


def test_quiet_prints_nothing_when_all_is_well(make_photo, photos_dir, tmp_path):
    make_photo("a.jpg")
    result = run("scan", photos_dir, "-l", tmp_path / "lib", "--quiet")
    assert (result.exit_code, result.output) == (0, "")


def test_missing_folder_is_one_line_and_exit_2(tmp_path):
    result = run("scan", tmp_path / "nope", "-l", tmp_path / "lib")
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == f"memories: {tmp_path / 'nope'} does not exist or is not a folder"
    )
    assert "Traceback" not in result.output


def test_nothing_found_exits_4(photos_dir, tmp_path):
    result = run("scan", photos_dir, "-l", tmp_path / "lib")
    assert result.exit_code == 4
    assert "No photos or videos found" in result.stdout


def test_locked_library_exits_3(make_photo, photos_dir, tmp_path):
    make_photo("a.jpg")
    library = LibraryFolder(tmp_path / "lib")
    with locked(library):
        result = run("scan", photos_dir, "-l", library.root)
    assert result.exit_code == 3
    assert "in use by another memories run" in result.stderr


def test_bad_config_exits_2(tmp_path, monkeypatch, photos_dir):
    config = tmp_path / "config.toml"
    config.write_text("colour = 'blue'")
    monkeypatch.setenv("MEMORIES_CONFIG", str(config))
    result = run("scan", photos_dir)
    assert result.exit_code == 2
    assert "unknown setting 'colour'" in result.stderr


def test_library_from_the_environment(make_photo, photos_dir, tmp_path, monkeypatch):
    make_photo("a.jpg")
    monkeypatch.setenv("MEMORIES_LIBRARY", str(tmp_path / "env-lib"))
    assert run("scan", photos_dir).exit_code == 0
    assert (tmp_path / "env-lib" / ".memories" / "catalog.sqlite").is_file()


def test_internal_errors_are_one_line_unless_debugging(photos_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something we did not expect")

    monkeypatch.setattr(pipeline, "scan", broken)
    result = run("scan", photos_dir)
    assert result.exit_code == 70
    assert "internal error: RuntimeError: something we did not expect" in result.stderr
    assert "Traceback" not in result.output
    debugging = run("--debug", "scan", photos_dir)
    assert isinstance(debugging.exception, RuntimeError)


def test_doctor_reports_each_part(tmp_path):
    result = run("doctor", "-l", tmp_path / "lib", "--json")
    assert result.exit_code == 0, result.output
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert set(checks) == {"Python", "Images", "HEIC", "Formats", "ffmpeg", "Video encoder",
                           "Faces", "AI restyle", "Restyle model", "Library"}  # fmt: skip
    assert checks["Images"]["status"] == "ok"
    assert checks["HEIC"]["status"] == "ok"
    assert checks["Formats"]["status"] == "ok"
    for named in ("AVIF", "JPEG XL", "RAW", "AVI", "MTS", "MKV"):
        assert named in checks["Formats"]["detail"]
    assert all(check["status"] in ("ok", "missing") for check in checks.values())
    assert "faces found by " in checks["Faces"]["detail"]
    table = run("doctor", "-l", tmp_path / "lib")
    assert "Python" in table.stdout and "ffmpeg" in table.stdout


def test_non_utf8_names_print_and_serialise(photos_dir, tmp_path):
    raw = os.fsencode(photos_dir) + b"/caf\xe9.jpg"
    with open(raw, "wb"):
        pass  # empty: skipped, so its name is printed
    result = run("scan", photos_dir, "-l", tmp_path / "lib")
    assert result.exit_code == 1
    assert "caf\ufffd.jpg: empty file (0 bytes)" in result.stdout
    as_json = run("scan", photos_dir, "-l", tmp_path / "lib", "--json")
    [record] = json.loads(as_json.stdout)
    assert os.fsencode(record["path"]) == raw
