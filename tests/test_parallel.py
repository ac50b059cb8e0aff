"""Worker processes: a stopped run drops the work in flight at once instead of finishing it."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from memories.parallel import map_in_batches


def slow_batch(paths: list[Path]) -> list[str]:
    """Takes long, then leaves a mark that it finished."""
    time.sleep(3)
    for path in paths:
        path.write_text("finished")
    return [path.name for path in paths]


def test_stopping_ends_the_workers_without_finishing_their_batches(tmp_path):
    marks = [tmp_path / f"{n}.done" for n in range(8)]
    results = map_in_batches(slow_batch, marks, workers=2, batch_size=1, parallel_from=2)
    ctrl_c = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))  # while they run
    ctrl_c.start()
    with pytest.raises(KeyboardInterrupt):
        list(results)
    ctrl_c.cancel()
    assert not multiprocessing.active_children()
    assert [mark for mark in marks if mark.exists()] == []


def collector_on(items: list[int]) -> list[bool]:
    return [gc.isenabled() for _ in items]


def test_workers_collect_garbage_while_their_parent_holds_the_collector_back():
    gc.disable()  # as a build does while it plans
    try:
        results = list(map_in_batches(collector_on, list(range(4)), workers=2, parallel_from=2))
    finally:
        gc.enable()
    assert [enabled for _, enabled in results] == [True] * 4
