"""Builds through a real Dask cluster: `distributed.LocalCluster` with worker processes, and
Dask's own `dask scheduler` and `dask worker` commands. A build through the cluster makes
what a local build makes, survives a worker killed mid-batch, reports what a worker cannot
read, refuses a worker of another build, stops on Ctrl-C, ends in one line when the
scheduler goes away, and nobody without the cluster's certificate gets in."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import exif_bytes
from faces import EILEEN, GRACE, scene
from typer.testing import CliRunner

from memories.cli import app
from memories.cluster.paths import PathMap, readable_path
from memories.cluster.security import (
    ClusterRefused,
    cluster_address,
    write_certificate,
)
from memories.cluster.work import Build

distributed = pytest.importorskip("distributed")

runner = CliRunner()
TODAY = ("--today", "2025-06-14")
CLUSTER_ENV = {"PYTHONWARNINGS": "ignore"}


def run(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def write_album(folder: Path, days: int = 2) -> Path:
    """Grace and Eileen on alternate days, three photos a day, both together once, and a
    file that is no photo."""
    folder.mkdir(parents=True, exist_ok=True)
    for day in range(1, days + 1):
        person = GRACE if day % 2 else EILEEN
        for shot in range(3):
            backdrop = ((90, 130, 80), (40, 60, 160), (170, 90, 60))[shot]
            scene(person, at=(40 + 90 * shot, 40 + 10 * day), width=200 + 40 * shot,
                  background=backdrop).save(
                folder / f"IMG_202405{day:02d}_12{shot}000.jpg",
                exif=exif_bytes(taken_at=f"2024:05:{day:02d} 12:{shot}0:00"),
            )
    both = scene(GRACE, at=(20, 100), width=240)
    both.paste(scene(EILEEN, size=(300, 300), width=300, at=(0, 0)), (330, 100))
    both.save(folder / "IMG_20240520_120000.jpg", exif=exif_bytes(taken_at="2024:05:20 12:00:00"))
    (folder / "IMG_20240521_120000.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    return folder


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, on this machine, over plain TCP."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:  # fmt: skip
        yield local


@pytest.fixture(scope="module")
def built_here(tmp_path_factory, quick_look):
    """The album, and the library a local build made of it."""
    root = tmp_path_factory.mktemp("cluster")
    album = write_album(root / "photos")
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("MEMORIES_CONFIG", str(quick_look))
        result = run("build", album, "-l", root / "here", *TODAY, "-w", "1")
    assert result.exit_code == 1, result.output  # the file that is no photo
    return album, root / "here"


@pytest.fixture(scope="module")
def quick_look(tmp_path_factory):
    """Small, quick recap videos (a look of the user's own) for every build of this module."""
    from conftest import TINY_LOOK

    folder = tmp_path_factory.mktemp("config")
    (folder / "video").mkdir()
    (folder / "video" / "tiny.toml").write_text(TINY_LOOK)
    (folder / "config.toml").write_text('look = "tiny"\n')
    return folder / "config.toml"


@pytest.fixture(autouse=True)
def _quick(quick_look, monkeypatch):
    monkeypatch.setenv("MEMORIES_CONFIG", str(quick_look))


def through(cluster, album, library, *more):
    return run("build", album, "-l", library, *TODAY, "--cluster", cluster.scheduler_address,
               "--insecure", *more)  # fmt: skip


def catalog_results(library: Path) -> dict:
    """What analysis and grouping stored, in a form two catalogs can be compared by."""
    with sqlite3.connect(library / ".memories" / "catalog.sqlite") as db:
        quality = sorted(db.execute("SELECT * FROM quality"))
        scans = sorted(db.execute("SELECT * FROM face_scans"))
        faces = sorted(db.execute(
            "SELECT content_hash, box_top, box_right, box_bottom, box_left, landmarks, "
            "round(score, 4), round(sharpness, 2), person_id, encoding FROM faces"))  # fmt: skip
    return {"quality": quality, "scans": scans, "faces": faces}


def assert_same_results(here: Path, there: Path) -> None:
    ours, theirs = catalog_results(here), catalog_results(there)
    assert ours["quality"] == theirs["quality"]
    assert ours["scans"] == theirs["scans"]
    assert [face[:-1] for face in ours["faces"]] == [face[:-1] for face in theirs["faces"]]
    for mine, other in zip(ours["faces"], theirs["faces"], strict=True):
        # the same network on batches of other sizes: equal but for float rounding
        assert np.allclose(np.frombuffer(mine[-1], "<f4"), np.frombuffer(other[-1], "<f4"),
                           atol=1e-5)  # fmt: skip
    records = {path.relative_to(here): json.loads(path.read_text())
               for path in here.glob("*/memory.json")}  # fmt: skip
    assert records, "the local build rendered memories"
    assert {path.relative_to(there): json.loads(path.read_text())
            for path in there.glob("*/memory.json")} == records  # fmt: skip
    made = sorted(p.relative_to(here) for p in here.rglob("*") if ".memories" not in p.parts)
    assert sorted(p.relative_to(there) for p in there.rglob("*")
                  if ".memories" not in p.parts) == made  # fmt: skip
    for name in made:
        if name.suffix == ".html":
            assert (there / name).read_bytes() == (here / name).read_bytes(), name
        elif name.suffix == ".jpg":  # each library signs its outputs with a key of its own
            assert np.array_equal(pixels(there / name), pixels(here / name)), name


def pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def worker_pids(cluster) -> dict[str, int]:
    with distributed.Client(cluster.scheduler_address) as client:
        return client.run(os.getpid)


def when_processing(address: str, key_part: str, then, timeout: float = 120) -> threading.Thread:
    """A thread that calls `then(worker)` once a worker of the scheduler at `address` runs a
    task whose key holds `key_part`."""

    def watch() -> None:
        with distributed.Client(address) as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for worker, keys in client.processing().items():
                    if any(key_part in str(key) for key in keys):
                        then(worker)
                        return
                time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


# The cluster's workers do a build's work -------------------------------------------------


def test_a_build_through_the_cluster_makes_what_a_local_build_makes(
    built_here, cluster, tmp_path
):
    album, here = built_here
    there = tmp_path / "there"
    result = through(cluster, album, there)
    assert result.exit_code == 1, result.output  # the same file that is no photo
    assert "Looked for faces in 7 new photos." in result.output
    assert "IMG_20240521_120000.jpg" in result.output  # skipped by the scan, as here
    assert_same_results(here, there)
    assert (there / "index.html").is_file()

    def models_loaded() -> int:
        from memories.analyze import faces

        return faces._models.cache_info().misses

    with distributed.Client(cluster.scheduler_address) as client:
        assert set(client.run(models_loaded).values()) <= {0, 1}, "models load once a worker"

    again = through(cluster, album, there)
    assert again.exit_code == 1
    assert "0 new" in again.output and "Rendered memories" in again.output
    assert "unchanged" in again.output


def build_killing_a_worker(cluster, album: Path, library: Path, while_running: str):
    """A build through the cluster whose worker is SIGKILLed once it runs a task whose key
    holds `while_running`; its nanny starts it again."""
    pids = worker_pids(cluster)
    killed: list[str] = []

    def kill(worker: str) -> None:
        os.kill(pids[worker], signal.SIGKILL)
        killed.append(worker)

    watcher = when_processing(cluster.scheduler_address, while_running, kill)
    result = through(cluster, album, library)
    watcher.join(timeout=5)
    assert killed, f"a worker was killed while it ran {while_running}"
    cluster.wait_for_workers(2, timeout=60)
    return result


def test_a_worker_killed_mid_batch_loses_nothing(built_here, cluster, tmp_path):
    album, here = built_here
    result = build_killing_a_worker(cluster, album, tmp_path / "there", "find_faces_many")
    assert result.exit_code == 1, result.output
    assert "Looked for faces in 7 new photos." in result.output
    assert_same_results(here, tmp_path / "there")


def test_a_worker_killed_while_it_draws_a_memory_loses_nothing(built_here, cluster, tmp_path):
    album, here = built_here
    result = build_killing_a_worker(cluster, album, tmp_path / "there", "memories-render")
    assert result.exit_code == 1, result.output
    assert_same_results(here, tmp_path / "there")
    assert not list((tmp_path / "there").rglob("*.partial*"))


def test_a_worker_that_cannot_read_the_photos_reports_them_and_a_later_run_does_them(
    built_here, cluster, tmp_path
):
    album, here = built_here
    elsewhere = tmp_path / "mnt" / "photo"
    elsewhere.mkdir(parents=True)
    there = tmp_path / "there"
    result = through(cluster, album, there, "--path-map", f"{album}={elsewhere}")
    assert result.exit_code == 1, result.output
    assert "Not analysed in this run (7 photos; the next run tries again):" in result.output
    assert f"cannot read it at {elsewhere}/IMG_20240501_120000.jpg" in result.output
    assert "Traceback" not in result.output
    assert catalog_results(there)["quality"] == [], "nothing is recorded as undecodable"

    mended = through(cluster, album, there)
    assert mended.exit_code == 1, mended.output
    assert "Measured the quality of 7 new photos." in mended.output
    assert_same_results(here, there)


def test_a_path_map_sends_workers_to_their_own_mount(built_here, cluster, tmp_path):
    import shutil

    album, here = built_here
    mount = tmp_path / "mnt" / "photo"
    shutil.copytree(album, mount)
    result = through(cluster, album, tmp_path / "there", "--path-map", f"{album}={mount}")
    assert result.exit_code == 1, result.output
    assert "Not analysed" not in result.output
    assert_same_results(here, tmp_path / "there")


def _pretend_another_version() -> None:
    from memories.cluster import work

    real = work.this_build()
    work.this_build = lambda: Build("0.0.1", real.models)  # type: ignore[assignment]
    work.this_build.real = real  # type: ignore[attr-defined]


def _back_to_this_version() -> None:
    import functools

    from memories.cluster import work

    real = work.this_build.real  # type: ignore[attr-defined]
    work.this_build = functools.cache(lambda: real)  # type: ignore[assignment]


def test_a_worker_of_another_version_is_refused_before_any_work(built_here, cluster, tmp_path):
    import cloudpickle

    from memories import __version__

    album, _ = built_here
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.Client(cluster.scheduler_address) as client:
        [worker, _] = sorted(client.run(os.getpid))
        client.run(_pretend_another_version, workers=[worker])
        try:
            result = through(cluster, album, tmp_path / "there")
            doctor = run("doctor", "-l", tmp_path / "there", "--cluster",
                         cluster.scheduler_address, "--insecure", "--json")  # fmt: skip
        finally:
            client.run(_back_to_this_version, workers=[worker])
    assert doctor.exit_code == 2, doctor.output  # the doctor lists it, and says it differs
    listed = {entry["address"]: entry["differences"] for entry in json.loads(doctor.stdout)}
    assert listed[worker] == [f"memories 0.0.1, not {__version__}"]
    assert [differences for address, differences in listed.items() if address != worker] == [[]]
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"memories: worker {worker} has memories 0.0.1, not {__version__}: install the "
        "same memories (and models) on every machine of the cluster"
    ]
    assert not (tmp_path / "there" / ".memories" / "catalog.sqlite").exists() or (
        catalog_results(tmp_path / "there")["quality"] == []
    )


def test_memories_are_drawn_here_when_no_worker_can_write_the_library(
    built_here, cluster, tmp_path
):
    album, here = built_here
    there = tmp_path / "there"
    elsewhere = tmp_path / "mnt"
    elsewhere.mkdir()  # a wrong path map: an empty folder where the library should be
    result = through(cluster, album, there, "--path-map", f"{there}={elsewhere}")
    assert result.exit_code == 1, result.output
    assert f"no cluster worker can write {there}: memories were drawn on this machine" in (
        result.output)  # fmt: skip
    assert_same_results(here, there)
    assert list(elsewhere.iterdir()) == [], "nothing was drawn where the gallery never looks"


def test_workers_are_sent_where_a_photo_is_and_how_to_decode_it_and_nothing_more():
    from datetime import datetime

    from memories.cluster.session import _for_worker
    from memories.model import DateSource, Motion, Photo, PhotoKind

    photo = Photo("/volume1/photo/IMG_1.HEIC", "abc", "HEIF", PhotoKind.PHOTO, 4032, 3024, 6,
                  datetime(2024, 5, 1, 12), DateSource.EXIF, (45.76, 4.84), "Apple iPhone 15",
                  duplicates=("/volume1/photo/copy.HEIC",), content_id="live",
                  motion=Motion("/volume1/photo/IMG_1.MOV"),
                  sidecar="/takeout/IMG_1.json")  # fmt: skip
    sent = _for_worker(photo)
    assert (sent.path_text, sent.content_hash, sent.format, sent.kind, sent.width, sent.height,
            sent.orientation) == photo[:7]  # fmt: skip
    assert set(sent[7:]) == {None, ()}, "no date, place, camera, other paths or sidecar"


def test_doctor_lists_the_workers_and_what_they_see(built_here, cluster):
    album, here = built_here
    result = run("doctor", "-l", here, "--cluster", cluster.scheduler_address, "--insecure",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    workers = json.loads(result.stdout)
    assert len(workers) == 2
    for worker in workers:
        assert worker["cores"] == 1 and worker["memory"] > 0
        assert worker["differences"] == []
        assert worker["folders"] == {str(album.resolve()): str(album.resolve())}
        assert worker["library"] == str(here)
    table = run("doctor", "-l", here, "--cluster", cluster.scheduler_address, "--insecure")
    assert "2 workers at tcp://127.0.0.1:" in table.stdout and "reads all 1" in table.stdout


# Stopping: Ctrl-C, and a scheduler that goes away -----------------------------------------


def _command(album: Path, library: Path, address: str) -> list[str]:
    return [sys.executable, "-m", "memories", "build", str(album), "-l", str(library), *TODAY,
            "--cluster", address, "--insecure"]  # fmt: skip


def test_ctrl_c_cancels_the_cluster_work_and_exits_130(tmp_path, cluster):
    album = write_album(tmp_path / "photos", days=10)
    build = subprocess.Popen(_command(album, tmp_path / "there", cluster.scheduler_address),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, **CLUSTER_ENV})  # fmt: skip
    started: list[float] = []
    watcher = when_processing(cluster.scheduler_address, "find_faces_many",
                              lambda worker: started.append(time.monotonic()))  # fmt: skip
    watcher.join(timeout=120)
    assert started, "the build got to finding faces"
    build.send_signal(signal.SIGINT)
    _, error = build.communicate(timeout=30)
    stopped_in = time.monotonic() - started[0]
    assert build.returncode == 130, error
    assert "interrupted; finished work is kept" in error.decode()
    assert stopped_in < 15
    with distributed.Client(cluster.scheduler_address) as client:
        deadline = time.monotonic() + 10
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values()), "what was queued is cancelled"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_scheduler_going_away_ends_the_build_in_one_line_and_keeps_what_was_stored(
    tmp_path,
):
    """Dask's own commands, as the README starts them; then the scheduler is killed."""
    album = write_album(tmp_path / "photos", days=6)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], **quiet)  # fmt: skip
    worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard"], **quiet)  # fmt: skip
    try:
        library = tmp_path / "there"
        build = subprocess.Popen(_command(album, library, address), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE,
                                 env={**os.environ, **CLUSTER_ENV})  # fmt: skip
        watcher = when_processing(address, "find_faces_many", lambda _: scheduler.kill())
        watcher.join(timeout=120)
        output, error = build.communicate(timeout=60)
    finally:
        for process in (scheduler, worker):
            process.kill()
            process.wait()
    assert build.returncode == 2, (output, error)
    lines = error.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memories: lost the scheduler at " + address)
    assert len(catalog_results(library)["quality"]) == 19, "what came back is kept"


# Nobody else gets in ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("certificate") / "cluster"
    write_certificate(folder)
    return folder


@pytest.fixture(scope="module")
def tls_cluster(certificate):
    from distributed import LocalCluster
    from distributed.security import Security

    pem, key = str(certificate / "cluster-cert.pem"), str(certificate / "cluster-key.pem")
    security = Security(tls_ca_file=pem, tls_scheduler_cert=pem, tls_scheduler_key=key,
                        tls_worker_cert=pem, tls_worker_key=key, tls_client_cert=pem,
                        tls_client_key=key, require_encryption=True)  # fmt: skip
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      protocol="tls://", security=security,
                      dashboard_address=None) as local:  # fmt: skip
        yield local


def test_a_build_with_the_certificate_gets_in(tls_cluster, certificate, tmp_path, monkeypatch):
    album = write_album(tmp_path / "photos", days=1)
    config = tmp_path / "config.toml"
    config.write_text(f'cluster = "{tls_cluster.scheduler_address}"\n'
                      f'cluster_certificate = "{certificate}"\nvideo = false\n')  # fmt: skip
    monkeypatch.setenv("MEMORIES_CONFIG", str(config))
    result = run("build", album, "-l", tmp_path / "there", *TODAY)
    assert result.exit_code == 1, result.output
    assert "Looked for faces in 4 new photos." in result.output


def test_without_the_certificate_nobody_gets_in(tls_cluster, tmp_path, monkeypatch):
    address = tls_cluster.scheduler_address
    assert address.startswith("tls://")
    with pytest.raises((OSError, TypeError)):  # no certificate: no TLS
        distributed.Client(address, timeout=3)

    other = tmp_path / "other"
    write_certificate(other)
    config = tmp_path / "config.toml"
    config.write_text(f'cluster_certificate = "{other}"\n')
    monkeypatch.setenv("MEMORIES_CONFIG", str(config))
    result = run("doctor", "--cluster", address)
    assert result.exit_code == 2
    assert result.output.startswith(f"memories: cannot reach the scheduler at {address}")

    plain = run("doctor", "--cluster", address.replace("tls://", "tcp://"))
    assert plain.exit_code == 2 and "is not encrypted" in plain.output


def test_plain_tcp_is_only_for_this_machine_and_only_when_asked():
    with pytest.raises(ClusterRefused, match="not encrypted"):
        cluster_address("tcp://127.0.0.1:8786")
    assert cluster_address("tcp://127.0.0.1:8786", insecure=True).url == "tcp://127.0.0.1:8786"
    assert cluster_address("tcp://localhost", insecure=True).url == "tcp://localhost:8786"
    with pytest.raises(ClusterRefused, match="only for a scheduler on this machine"):
        cluster_address("tcp://192.168.1.20:8786", insecure=True)
    assert cluster_address("nas.local").url == "tls://nas.local:8786"
    assert cluster_address("tls://[fe80::1]:9000").url == "tls://[fe80::1]:9000"
    for bad in ("http://nas:8786", "tls://", "nas:port", "tls://nas:8786/path"):
        with pytest.raises(ClusterRefused, match="is not a scheduler address"):
            cluster_address(bad)


def test_the_certificate_is_private_never_replaced_and_dask_reads_its_settings(tmp_path):
    import dask.config

    folder = tmp_path / "home" / ".config" / "memories" / "cluster"
    written, made = write_certificate(folder)
    assert made
    assert [path.name for path in written] == ["cluster-cert.pem", "cluster-key.pem",
                                               "dask.yaml"]  # fmt: skip
    assert (folder / "cluster-key.pem").stat().st_mode & 0o777 == 0o600

    copied = tmp_path / "elsewhere" / "cluster"  # the folder copied to another machine
    copied.mkdir(parents=True)
    for name in ("cluster-cert.pem", "cluster-key.pem", "dask.yaml"):
        (copied / name).write_bytes((folder / name).read_bytes())
    written, made = write_certificate(copied)
    assert not made and [path.name for path in written] == ["dask.yaml"]
    assert (copied / "cluster-cert.pem").read_bytes() == (folder / "cluster-cert.pem").read_bytes()

    settings = dask.config.collect(paths=[str(copied)], env={})
    assert settings["distributed"]["worker"]["profile"]["enabled"] is False
    comm = settings["distributed"]["comm"]
    assert comm["require-encryption"] is True and comm["default-scheme"] == "tls"
    assert comm["tls"]["ca-file"] == str(copied / "cluster-cert.pem")
    assert comm["tls"]["worker"] == {"cert": str(copied / "cluster-cert.pem"),
                                     "key": str(copied / "cluster-key.pem")}  # fmt: skip

    (copied / "cluster-key.pem").unlink()
    with pytest.raises(ClusterRefused, match="half a certificate"):
        write_certificate(copied)


def test_the_certificate_command_says_what_to_do_next(tmp_path, monkeypatch):
    monkeypatch.delenv("MEMORIES_CONFIG")
    result = run("cluster", "certificate")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "home" / ".config" / "memories" / "cluster"
    assert (folder / "cluster-cert.pem").is_file()
    assert f"DASK_CONFIG={folder} dask scheduler" in result.output
    made = (folder / "cluster-cert.pem").read_bytes()
    again = run("cluster", "certificate")
    assert again.exit_code == 0 and "Kept the certificate" in again.output
    assert (folder / "cluster-cert.pem").read_bytes() == made


# Where workers find photos ----------------------------------------------------------------


def test_a_path_map_swaps_the_longest_folder_on_whole_names():
    path_map = PathMap.parse(["/volume1/photo=/mnt/photo", "/volume1/photo/2024=/mnt/new/",
                              "/=/rootfs"])  # fmt: skip
    assert path_map.there("/volume1/photo/a.jpg") == "/mnt/photo/a.jpg"
    assert path_map.there("/volume1/photo/2024/b.jpg") == "/mnt/new/b.jpg"
    assert path_map.there("/volume1/photos/c.jpg") == "/rootfs/volume1/photos/c.jpg"
    assert PathMap.parse(["/a=/b"]).there("/ab/c.jpg") == "/ab/c.jpg"
    assert PathMap.parse(["/a=/b"]).there("/a") == "/b"
    for bad in ("/a", "=/b", "/a=", "a=/b", "/a=b"):
        with pytest.raises(ValueError):
            PathMap.parse([bad])


def test_a_worker_reads_from_its_mount_when_it_has_one_and_as_given_when_not(tmp_path):
    here = tmp_path / "volume1"
    (here / "photo").mkdir(parents=True)
    (here / "photo" / "a.jpg").write_bytes(b"x")
    mount = tmp_path / "mnt"
    path = str(here / "photo" / "a.jpg")
    without_mount = PathMap.parse([f"{here}={mount}"])
    assert readable_path(path, without_mount) == path  # the library's own machine
    mount.mkdir()
    assert readable_path(path, without_mount) is None  # the mount is there, the photo not
    (mount / "photo").mkdir()
    (mount / "photo" / "a.jpg").write_bytes(b"x")
    assert readable_path(path, without_mount) == str(mount / "photo" / "a.jpg")


def test_the_config_file_names_the_cluster_and_its_path_map(tmp_path):
    from memories.config import load_settings
    from memories.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text('cluster = "nas.local"\npath_map = ["/volume1/photo=/mnt/photo"]\n')
    settings = load_settings({"MEMORIES_CONFIG": str(config)})
    assert settings.cluster == "tls://nas.local:8786"
    assert settings.path_map == ("/volume1/photo=/mnt/photo",)
    assert settings.cluster_certificate == tmp_path / "cluster"
    config.write_text('path_map = ["/volume1/photo"]\n')
    with pytest.raises(ConfigError, match="path_map"):
        load_settings({"MEMORIES_CONFIG": str(config)})


def test_builds_differ_in_words():
    ours = Build("1.2.0", (("encoder", "aaaa"), ("landmarks", "bbbb"), ("mtcnn onet.lz4", "c")))
    assert ours.differences(ours) == []
    assert ours.differences(Build("1.1.0", (("encoder", "aaaa"), ("landmarks", "bbbb")))) == [
        "memories 1.1.0, not 1.2.0"
    ]  # a worker without MTCNN finds faces with HOG: the same encodings
    assert ours.differences(Build("1.2.0", (("encoder", "zzzz"),))) == [
        "another encoder model file", "no landmarks model file"]  # fmt: skip


def _dies_on_a_crash(photos):
    if any("crash" in photo.path_text for photo in photos):
        os._exit(1)  # a decoder that takes the whole worker down
    return [photo.width for photo in photos]


def test_a_batch_that_kills_every_worker_that_tries_it_gives_its_photos_as_not_analysed(
    tmp_path,
):
    import cloudpickle
    import dask.config
    from distributed import LocalCluster

    from memories.cluster.session import connect
    from memories.errors import PhotoOutOfReach
    from memories.model import Photo, PhotoKind

    photos = []
    for number, name in enumerate(["a.jpg", "crash.jpg", "b.jpg"]):
        (tmp_path / name).write_bytes(b"x")
        photos.append(Photo(str(tmp_path / name), f"hash{number}", "JPEG", PhotoKind.PHOTO,
                            10 + number, 10, 1, None, None, None, None))  # fmt: skip
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None) as local,  # fmt: skip
        connect(local.scheduler_address, path_map=PathMap(), insecure=True,
                certificates=None) as cluster,  # fmt: skip
    ):
        results = {photo.path_text: result for photo, result in
                   cluster.map_in_batches(_dies_on_a_crash, photos, batch_size=1)}  # fmt: skip
    assert results[str(tmp_path / "a.jpg")] == 10 and results[str(tmp_path / "b.jpg")] == 12
    crashed = results[str(tmp_path / "crash.jpg")]
    assert isinstance(crashed, PhotoOutOfReach)
    assert "every cluster worker that tried it died" in crashed.reason
