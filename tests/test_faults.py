"""Faults: a build killed (SIGKILL) at points in scanning, analysis and rendering leaves a
consistent catalog and no half-written output, and the next build ends exactly where an
uninterrupted one does. A lock left by a killed run is taken over; a full disk or a
read-only library is one clear line, with nothing half-written or changed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import snapshot
from faces import EILEEN, GRACE, scene
from PIL import Image
from test_build import scene as photo_like

from memories.render.video import is_whole_mp4

KILLS = 6
"""Builds killed in turn: the first during start-up, each next one as soon as it has stored
something new (photos read, quality, faces, a memory), so that the kills land in scanning,
analysis and rendering however fast the machine is."""


@pytest.fixture
def config(quick_renders):
    return quick_renders("size = 512\nworkers = 2\n", short_edge=240)


@pytest.fixture
def album(make_photo, photos_dir):
    """Three days of photos, people on some, with GPS: every stage has work to do."""
    for day in range(3):
        for n in range(4):
            person = (GRACE, EILEEN)[(day + n) % 2]
            image = scene(person, at=(30 * n, 50)) if n % 2 else photo_like(10 * day + n)
            make_photo(f"IMG_{day}{n}.jpg", image=image, gps=(45.764, 4.8357),
                       taken_at=f"2024:06:1{day} 1{n}:00:00")  # fmt: skip
    return photos_dir


def build(album: Path, library: Path, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "memories", "build", str(album), "-l", str(library),
               "--today", "2025-06-14", "-q", *options]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=os.environ.copy())  # fmt: skip


def final_state(library: Path) -> dict:
    """What a finished build leaves: each memory's record, its stills' pixels (their signed
    Content Credentials differ by the moment of signing), and the catalog's people and
    photos."""
    memories = {}
    for record_path in sorted(library.glob("*/memory.json")):
        record = json.loads(record_path.read_text())
        stills = {name: _pixels(record_path.parent / name)
                  for kind, name in record["outputs"].items() if kind != "video"}  # fmt: skip
        video = record_path.parent / "recap.mp4"
        memories[record["id"]] = (record["fingerprints"], stills, video.is_file())
    with sqlite3.connect(library / ".memories" / "catalog.sqlite") as catalog:
        photos = catalog.execute("SELECT COUNT(*) FROM photos").fetchone()
        faces = catalog.execute("SELECT COUNT(*), COUNT(DISTINCT person_id) FROM faces").fetchone()
    return {"memories": memories, "photos": photos, "faces": faces}


def _pixels(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


def progress_of(library: Path) -> tuple | None:
    """How far the killed builds got: photos, quality and faces stored, memories rendered;
    None while a build is creating the catalog's tables."""
    catalog = library / ".memories" / "catalog.sqlite"
    if not catalog.exists():
        return ()
    try:
        with closing(sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)) as connection:
            counts = tuple(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                           for table in ("photos", "quality", "face_scans"))  # fmt: skip
    except sqlite3.OperationalError:
        return None
    return (*counts, len(list(library.glob("*/memory.json"))))


def assert_nothing_half_written(library: Path) -> None:
    catalog = library / ".memories" / "catalog.sqlite"
    if catalog.exists():
        with sqlite3.connect(catalog) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for path in library.rglob("*"):
        if not path.is_file() or ".partial" in path.name or path.parent.name == ".memories":
            continue
        if path.suffix == ".jpg":
            with Image.open(path) as image:
                image.load()  # raises on a truncated file
        elif path.suffix in (".json", ".html"):
            text = path.read_text()
            assert text.rstrip().endswith(("}", "</html>")), f"{path} is cut short"
        elif path.suffix == ".mp4":
            assert is_whole_mp4(path), f"{path} is not a finished video"


def test_builds_killed_at_any_point_lose_nothing_and_the_next_one_finishes(
    album, config, tmp_path
):
    reference = tmp_path / "reference"
    done = build(album, reference)
    _, error = done.communicate(timeout=300)
    assert done.returncode == 0, error
    expected = final_state(reference)
    assert len(expected["memories"]) >= 3 and expected["faces"][0] >= 6

    library = tmp_path / "Memories"
    killed = 0
    for attempt in range(KILLS):
        before = progress_of(library)
        running = build(album, library)
        if attempt == 0:
            time.sleep(0.2)
        else:
            deadline = time.monotonic() + 120
            while running.poll() is None and progress_of(library) in (before, None):
                assert time.monotonic() < deadline, "the build made no progress"
                time.sleep(0.01)
        if running.poll() is None:
            running.send_signal(signal.SIGKILL)
            killed += 1
        running.communicate(timeout=60)
        assert_nothing_half_written(library)
        if os.environ.get("MEMORIES_SHOW_KILLS"):
            print(attempt, progress_of(library))
    assert killed >= 4, "the kills landed while the builds were running"

    finished = build(album, library)
    _, error = finished.communicate(timeout=300)
    assert finished.returncode == 0, error
    assert_nothing_half_written(library)
    assert not list(library.rglob("*.partial*"))
    assert final_state(library) == expected


def test_a_lock_left_by_a_killed_run_is_taken_over_and_wait_waits(album, config, tmp_path):
    library = tmp_path / "Memories"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(library)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    busy = build(album, library)
    _, error = busy.communicate(timeout=60)
    assert busy.returncode == 3, error
    assert f"pid {holder.pid}" in error.decode() and "--wait" in error.decode()

    waiting = build(album, library, "--wait")
    time.sleep(1.0)
    assert waiting.poll() is None, "it waits while the library is held"
    holder.send_signal(signal.SIGKILL)  # dies holding it: the lock file stays, with its pid
    holder.wait()
    assert (library / ".memories" / "lock").read_text() == str(holder.pid)
    _, error = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, error
    again = build(album, library)
    assert again.communicate(timeout=300) and again.returncode == 0


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from memories.library import LibraryFolder, locked
with locked(LibraryFolder(Path(sys.argv[1]))):
    print("held", flush=True)
    time.sleep(600)
"""


def private_mounts() -> bool:
    """Whether this machine lets us mount file systems of our own (a user namespace)."""
    try:
        return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


needs_mounts = pytest.mark.skipif(
    not private_mounts(), reason="needs `unshare -rm` to mount a small or read-only folder"
)


def in_private_mounts(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=600, env=os.environ.copy())  # fmt: skip


@needs_mounts
def test_a_full_disk_is_one_clear_line_and_the_next_run_finishes(album, config, tmp_path):
    reference = tmp_path / "reference"
    assert build(album, reference).wait(timeout=300) == 0
    size = sum(path.stat().st_size for path in reference.rglob("*") if path.is_file())
    expected = final_state(reference)
    for share in DISK_FULL_AT:  # writing the catalog, rendering, the last memories
        library, seen = tmp_path / f"at-{share}", tmp_path / f"at-{share}-seen"
        library.mkdir()
        memories = f"{sys.executable} -m memories build {album} -l {library} --today 2025-06-14"
        done = in_private_mounts(
            f"mount -t tmpfs -o size={int(size * share)} tmpfs {library} && "
            f"{memories} 2> {seen}.err; echo $? > {seen}.rc; cp -a {library} {seen} && "
            f"mount -o remount,size={size * 4} {library} && {memories} -q && "
            f"cp -a {library} {seen}-finished"
        )
        assert done.returncode == 0, done.stderr
        error = Path(f"{seen}.err").read_text()
        assert Path(f"{seen}.rc").read_text().strip() == "2", error
        assert "No space left on device" in error or "the disk is full" in error, error
        assert len(error.strip().splitlines()) == 1, error
        assert_nothing_half_written(seen)
        assert not list(seen.rglob("*.partial*"))
        assert final_state(Path(f"{seen}-finished")) == expected


DISK_FULL_AT = (0.05, 0.4, 0.9)
"""Sizes of the full disk, as shares of what the build writes."""


@needs_mounts
def test_a_read_only_library_is_one_clear_line_and_nothing_changes(
    album, config, make_photo, tmp_path
):
    library = tmp_path / "Memories"
    assert build(album, library).wait(timeout=300) == 0
    make_photo("IMG_new.jpg", image=photo_like(99), taken_at="2024:06:20 12:00:00")
    before = snapshot(library)
    memories = f"{sys.executable} -m memories build {album} -l {library} --today 2025-06-14 -q"
    done = in_private_mounts(
        f"mount --bind {library} {library} && mount -o remount,ro,bind {library} && {memories}"
    )
    assert done.returncode == 2
    assert "Read-only file system" in done.stderr and "must be writable" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert snapshot(library) == before


def test_a_run_clears_only_the_partial_files_of_writers_that_ended(tmp_path):
    """A build starting while `memories share` writes its copy into the library leaves the
    share's partial files alone, and clears those of a run that was killed."""
    import subprocess
    import sys

    from memories.render.files import leftover_partials

    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        sharing = tmp_path / "shared" / ".sharing-1" / f"collage.jpg.partial-{writer.pid}.jpg"
        killed = tmp_path / "2024-06-14-lyon" / "recap.mp4.partial-999999999.mp4"
        for path in (sharing, killed):
            path.parent.mkdir(parents=True)
            path.write_bytes(b"half")
        assert list(leftover_partials(tmp_path)) == [killed]
    finally:
        writer.kill()
        writer.wait()
    assert sorted(leftover_partials(tmp_path)) == sorted([killed, sharing])
