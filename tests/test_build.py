"""`memories build` end to end: memory folders, the gallery, re-runs that redo only what
changed, outputs of vanished memories removed, and `memories demo`.

Videos here use a look of the user's own (conftest's `quick_renders`): a small frame at few
frames per second.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_LOOK
from PIL import Image
from typer.testing import CliRunner

from memories.cli import app

TODAY = ("--today", "2025-06-14")


@pytest.fixture
def config(quick_renders) -> Path:
    return quick_renders("faces = false\nsize = 512\nworkers = 1\n")


def scene(seed: int) -> Image.Image:
    """A photo-like picture: smooth colours and some detail, different for each seed."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (6, 8, 3)).astype(np.uint8)
    image = Image.fromarray(base).resize((320, 240), Image.Resampling.BICUBIC)
    noise = rng.integers(0, 40, (240, 320, 3)).astype(np.uint8)
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


@pytest.fixture
def album(make_photo, photos_dir) -> Path:
    """Two events: an afternoon of four photos in 2024, an evening of three in 2023."""
    for n in range(4):
        make_photo(f"IMG_2024_{n}.jpg", image=scene(n), taken_at=f"2024:06:14 14:{10 * n:02d}:00")
    for n in range(3):
        make_photo(f"IMG_2023_{n}.jpg", image=scene(10 + n),
                   taken_at=f"2023:03:02 19:{10 * n:02d}:00")  # fmt: skip
    return photos_dir


def run(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_build_renders_every_memory_and_the_gallery(album, config, tmp_path):
    library = tmp_path / "Memories"
    result = run("build", album, "-l", library, *TODAY)
    assert result.exit_code == 0, result.output
    assert "Rendered memories in" in result.stdout and "3 new, 0 updated" in result.stdout
    assert f"Open {library / 'index.html'}" in result.stdout
    folders = sorted(path.parent.name for path in library.glob("*/memory.json"))
    assert folders == ["2023-03-02-evening", "2024-06-14-afternoon", "2024-in-review"][:0] or (
        len(folders) == 3
    )
    for folder in folders:
        record = json.loads((library / folder / "memory.json").read_text())
        assert record["outputs"] == {"collage": "collage.jpg", "cover": "cover.jpg",
                                     "video": "recap.mp4"}  # fmt: skip
        assert all((library / folder / name).stat().st_size > 0
                   for name in record["outputs"].values())  # fmt: skip
        assert record["fingerprints"].keys() == {"inputs", "still", "cover", "map", "video",
                                                 "page"}
    index = (library / "index.html").read_text()
    assert all(f'{folder}/index.html' in index for folder in folders)
    listed = json.loads(run("list", "-l", library, *TODAY, "--json").stdout)
    assert all(Path(memory["outputs"]["collage"]).is_file() for memory in listed)
    assert all(memory["insights"] == [] for memory in listed), "only a year has numbers"


def test_a_second_build_renders_nothing_and_a_lost_file_is_made_again(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "-q").exit_code == 0
    collage = next(library.glob("*/collage.jpg"))
    before = {path: path.stat().st_mtime_ns for path in library.glob("*/*.*")}
    (collage.parent / "recap.mp4.partial.mp4").write_bytes(b"half a video from a killed run")
    again = run("build", album, "-l", library, *TODAY)
    assert "0 new, 0 updated, 3 unchanged, 0 removed" in again.stdout
    assert {path: path.stat().st_mtime_ns for path in library.glob("*/*.*")} == before
    assert not list(library.rglob("*.partial*"))
    collage.unlink()
    third = run("build", album, "-l", library, *TODAY)
    assert "0 new, 1 updated, 2 unchanged" in third.stdout and collage.is_file()
    page = collage.parent / "index.html"
    page.unlink()
    fourth = run("build", album, "-l", library, *TODAY)
    assert "0 new, 1 updated, 2 unchanged" in fourth.stdout and page.is_file()


def test_places_and_home_are_named_once_and_the_next_runs_read_them_from_the_catalog(
    make_photo, photos_dir, tmp_path, monkeypatch
):
    import gc
    from datetime import date

    from memories import pipeline
    from memories.config import Settings

    for n, point in enumerate([(45.7578, 4.8320), (35.0094, 135.6668), (30.0, -40.0)]):
        make_photo(f"IMG_{n}.jpg", gps=point, taken_at=f"2024:06:1{n} 14:00:00")
    settings = Settings(library=tmp_path / "Memories", workers=1, faces=False, video=False,
                        home=(45.764, 4.8357))  # fmt: skip
    first = pipeline.build([photos_dir], settings, today=date(2025, 6, 14), render=False)
    assert sorted(p.place.city if p.place else "-" for p in first.plan.timeline.photos) == [
        "-", "Kyoto", "Lyon"]  # fmt: skip

    def no_gazetteer(*args):
        raise AssertionError("an unchanged library loaded the gazetteer")

    monkeypatch.setattr(pipeline, "_gazetteer", no_gazetteer)
    again = pipeline.build([photos_dir], settings, today=date(2025, 6, 14), render=False)
    assert [p.place for p in again.plan.timeline.photos] == [
        p.place for p in first.plan.timeline.photos
    ]
    assert again.plan.home.city == "Lyon"
    assert gc.isenabled() and gc.get_freeze_count() == 0  # the build put the collector back


def test_a_new_page_template_writes_the_pages_again_and_draws_nothing(
    album, config, tmp_path, monkeypatch
):
    from memories.render import gallery

    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "-q").exit_code == 0
    drawn = {path: path.stat().st_mtime_ns for path in library.glob("*/*.[jm]p[g4]")}
    monkeypatch.setattr(gallery, "PAGE_VERSION", gallery.PAGE_VERSION + 1)
    again = run("build", album, "-l", library, *TODAY)
    assert "0 new, 3 updated, 0 unchanged" in again.stdout
    assert drawn
    assert {path: path.stat().st_mtime_ns for path in library.glob("*/*.[jm]p[g4]")} == drawn
    assert "0 new, 0 updated, 3 unchanged" in run("build", album, "-l", library, *TODAY).stdout


def test_no_video_keeps_videos_when_only_how_stills_are_drawn_changes(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY).exit_code == 0
    videos = {path: path.read_bytes() for path in library.glob("*/recap.mp4")}
    assert videos
    for change in (["--size", "512"], ["--keep-location"]):
        assert run("build", album, "-l", library, *TODAY, "--no-video", *change).exit_code == 0
        assert {path: path.read_bytes() for path in library.glob("*/recap.mp4")} == videos
    (album / "IMG_2024_3.jpg").unlink()
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    afternoon = [path for path in videos if path.parent.name.startswith("2024-06-14")]
    assert afternoon and not any(path.exists() for path in afternoon), "a changed memory's goes"


def test_videos_per_run_makes_the_newest_first_and_the_next_runs_make_the_others(
    album, config, tmp_path
):
    library = tmp_path / "Memories"

    def videos() -> list[str]:
        return sorted(path.parent.name for path in library.glob("*/recap.mp4"))

    first = run("build", album, "-l", library, *TODAY, "--videos-per-run", "1")
    assert first.exit_code == 0, first.output
    assert "3 new" in first.stdout
    assert "2 more recap videos are left for the next runs" in first.stdout
    ends = {path.parent.name: json.loads(path.read_text())["end"]
            for path in library.glob("*/memory.json")}  # fmt: skip
    assert videos() == [max(ends, key=lambda memory: ends[memory])], "the newest first"
    assert len(list(library.glob("*/collage.jpg"))) == 3, "every memory gets its stills now"
    second = run("build", album, "-l", library, *TODAY, "--videos-per-run", "1")
    assert "0 new, 1 updated, 2 unchanged" in second.stdout
    assert "1 more recap video is left" in second.stdout and len(videos()) == 2
    third = run("build", album, "-l", library, *TODAY)
    assert "left for the next runs" not in third.stdout and len(videos()) == 3
    for path in library.glob("*/memory.json"):
        record = json.loads(path.read_text())
        assert record["outputs"]["video"] == "recap.mp4" and "video" in record["fingerprints"]


def test_outputs_of_a_memory_that_is_gone_are_removed(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    assert not list(library.glob("*/recap.mp4"))
    evening = next(path.parent for path in library.glob("2023-*/memory.json"))
    for photo in album.glob("IMG_2023_*"):
        photo.unlink()
    result = run("build", album, "-l", library, *TODAY, "--no-video")
    assert "removed" in result.stdout and not evening.exists()
    assert evening.name not in (library / "index.html").read_text()


def test_since_leaves_older_memories_alone(album, config, tmp_path):
    library = tmp_path / "Memories"
    result = run("build", album, "-l", library, *TODAY, "--since", "2024-01-01", "--no-video")
    assert result.exit_code == 0, result.output
    assert not list(library.glob("2023-*"))
    assert list(library.glob("2024-*/collage.jpg"))


def test_outputs_outside_since_are_not_removed_when_their_memory_goes(album, config, tmp_path):
    library = tmp_path / "Memories"
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    [evening] = [path.parent for path in library.glob("2023-*/memory.json")]
    for photo in album.glob("IMG_2023_*"):
        photo.unlink()
    kept = run("build", album, "-l", library, *TODAY, "--no-video", "--since", "2024-01-01")
    assert "0 removed" in kept.stdout and evening.is_dir(), "outside --since: left alone"
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    assert not evening.exists()


def test_a_missing_layout_or_music_is_a_one_line_error(album, config, tmp_path):
    result = run("build", album, "-l", tmp_path / "L", "--layout", "spiral")
    assert result.exit_code == 2 and "no collage layout called 'spiral'" in result.output
    result = run("build", album, "-l", tmp_path / "L", "--music", tmp_path / "none.mp3")
    assert result.exit_code == 2 and "none.mp3 does not exist" in result.output


def test_demo_builds_the_sample_photos_and_says_where_to_look(config, tmp_path):
    library = tmp_path / "demo"
    result = run("demo", "-l", library)
    assert result.exit_code == 0, result.output
    assert f"Open {library / 'index.html'}" in result.stdout
    assert len(list(library.glob("*/collage.jpg"))) >= 5
    assert [path.parent.name for path in library.glob("*/recap.mp4")] == ["2024-08-20-annecy"]


def test_a_build_killed_while_rendering_leaves_no_half_file_and_the_next_finishes(
    album, config, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    import time

    slow = TINY_LOOK.replace("short_edge = 72", "short_edge = 360").replace("fps = 6", "fps = 30")
    (config / "video" / "tiny.toml").write_text(slow)
    library = tmp_path / "Memories"
    command = [sys.executable, "-m", "memories", "build", str(album), "-l", str(library), *TODAY]
    build = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=os.environ.copy())  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(library.glob("*/*.partial*")) and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until a video is being written
    build.send_signal(signal.SIGTERM)
    _, error = build.communicate(timeout=60)
    assert build.returncode == 130, error
    assert not list(library.rglob("*.partial*")), "no half-written file is left visible"
    for record in library.glob("*/memory.json"):
        assert json.loads(record.read_text())["outputs"], "memory.json is written last"

    finished = run("build", album, "-l", library, *TODAY)
    assert finished.exit_code == 0, finished.output
    assert all((folder / "recap.mp4").is_file() for folder in {p.parent for p in
               library.glob("*/memory.json")})  # fmt: skip
    assert len(list(library.glob("*/recap.mp4"))) == 3


def test_music_that_does_not_decode_is_named_and_the_videos_made_without_it(
    album, config, tmp_path
):
    library, broken = tmp_path / "L", tmp_path / "song.mp3"
    broken.write_bytes(b"ID3" + bytes(range(256)) * 40)
    result = run("build", album, "-l", library, *TODAY, "--music", broken, "--encoder", "libx264")
    assert result.exit_code == 1, result.output
    named = [line for line in result.stdout.splitlines() if "song.mp3" in line]
    assert named and all("the recap has no music" in line for line in named)
    records = [json.loads(path.read_text()) for path in library.glob("*/memory.json")]
    made = [record for record in records if record["outputs"].get("video")]
    assert made and all(record["video_notes"][0]["left_out"] for record in made)
    again = run("build", album, "-l", library, *TODAY, "--music", broken)
    assert again.exit_code == 0 and "song.mp3" not in again.stdout, "said once, when made"


def test_an_unknown_encoder_is_a_one_line_error(album, config, tmp_path):
    result = run("build", album, "-l", tmp_path / "L", "--encoder", "cuda")
    assert result.exit_code == 2
    assert "encoder" in result.output and "nvenc" in result.output


def test_kinds_turned_off_in_the_config_are_never_made_and_their_folders_go(
    album, quick_renders, tmp_path
):
    library = tmp_path / "L"
    quick_renders("faces = false\nworkers = 1\n")
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    kinds = {json.loads(path.read_text())["kind"] for path in library.glob("*/memory.json")}
    assert "event" in kinds and len(kinds) > 1
    quick_renders('faces = false\nworkers = 1\nkinds = ["event"]\n')
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    kinds = {json.loads(path.read_text())["kind"] for path in library.glob("*/memory.json")}
    assert kinds == {"event"}
    quick_renders('kinds = ["events"]\n')
    wrong = run("build", album, "-l", library, *TODAY)
    assert wrong.exit_code == 2 and "unknown kinds 'events'" in wrong.output


def test_collages_carry_content_credentials_naming_their_photos_by_hash(album, config, tmp_path):
    from memories.render.credentials import verify

    library = tmp_path / "L"
    assert run("build", album, "-l", library, *TODAY, "--no-video").exit_code == 0
    for record_path in library.glob("*/memory.json"):
        record = json.loads(record_path.read_text())
        verdict = verify(record_path.parent / "collage.jpg", folder=library / ".memories")
        assert verdict.state == "signed", verdict.summary
        ingredients = json.dumps(verdict.manifest)
        shown = {photo["content_hash"] for photo in record["photos"]}
        assert any(content_hash in ingredients for content_hash in shown)
        assert "/photos/" not in ingredients and str(album) not in ingredients, "no paths"
    assert oct((library / ".memories" / "c2pa-signing.pem").stat().st_mode & 0o777) == "0o600"
