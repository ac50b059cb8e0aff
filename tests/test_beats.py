"""Recaps cut on the music: cuts on beats, bars and phrases, longer photos in quiet
passages, hard cuts in loud ones, as golden data and as rules.

Set MEMORIES_UPDATE_GOLDEN=1 to rewrite tests/golden/storyboard_beats.json after a
deliberate change, then read the diff.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memories.render.framing import Subject
from memories.render.music import MusicAnalysis
from memories.render.storyboard import Look, ShotKind, ShotSubject, plan_storyboard
from memories.render.templates import load_templates

GOLDEN = Path(__file__).parent / "golden" / "storyboard_beats.json"
LOOKS = load_templates("video", Look)
FACE = (900, 3500, 1500, 2900)


def steady(tempo: float, seconds: float, quiet_until: float = 20.0) -> MusicAnalysis:
    """A track on a steady grid, quiet until `quiet_until`, loud after."""
    interval = 60.0 / tempo
    beats = tuple(round(interval * n, 3) for n in range(int(seconds / interval)))
    loudness = tuple(0.2 if n * 0.5 < quiet_until else 0.9 for n in range(int(seconds * 2)))
    return MusicAnalysis(duration=seconds, tempo=tempo, beats=beats, bars=beats[::4],
                         phrases=beats[::16], loudness=loudness)  # fmt: skip


def subjects(count: int, clip_at: int | None = 4) -> list[ShotSubject]:
    shapes = [(4000, 3000, (FACE,)), (3000, 4000, ()), (4000, 2250, ())]
    chosen = [ShotSubject(Subject(*shapes[n % 3])) for n in range(count)]
    if clip_at is not None:
        chosen.insert(clip_at, ShotSubject(Subject(1920, 1080), clip_seconds=7.5))
    return chosen


def test_golden_storyboard_on_beats():
    board = plan_storyboard(subjects(10), LOOKS["gentle"], size=(1920, 1080),
                            music=steady(120, 90))  # fmt: skip
    actual = json.loads(json.dumps(asdict(board)))
    if os.environ.get("MEMORIES_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(actual, indent=1) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


def test_cuts_fall_on_beats_and_the_end_card_on_a_phrase():
    music = steady(120, 90)
    board = plan_storyboard(subjects(10), LOOKS["gentle"], size=(1920, 1080), music=music)
    for shot in board.shots[1:]:
        assert shot.start in music.beats, f"{shot.kind} at {shot.start} is off the beat"
    assert board.shots[-1].kind is ShotKind.END and board.shots[-1].start in music.phrases


def test_photos_last_longer_where_the_music_is_quiet_and_cut_hard_where_it_is_loud():
    music = steady(120, 90)
    board = plan_storyboard(subjects(12, clip_at=None), LOOKS["gentle"], size=(1920, 1080),
                            music=music)  # fmt: skip
    photos = [shot for shot in board.shots if shot.kind is ShotKind.PHOTO]
    on_screen = {shot.start: after.start - shot.start
                 for shot, after in zip(board.shots, board.shots[1:], strict=False)
                 if shot.kind is ShotKind.PHOTO}  # fmt: skip
    quiet = [on_screen[s.start] for s in photos if s.start + on_screen[s.start] <= 20]
    loud = [on_screen[s.start] for s in photos if s.start >= 20 and s is not photos[-1]]
    assert quiet and loud and min(quiet) > max(loud)
    assert all(shot.fade == 0 for shot in photos if shot.start > 20), "hard cuts when loud"
    assert all(shot.fade > 0 for shot in photos if shot.start < 19), "crossfades when quiet"


def test_a_clip_is_never_given_more_than_it_has():
    board = plan_storyboard([*subjects(3, clip_at=None),
                             ShotSubject(Subject(1920, 1080), clip_seconds=2.2),
                             *subjects(3, clip_at=None)],
                            LOOKS["lively"], size=(1920, 1080), music=steady(97, 80))  # fmt: skip
    clip = next(shot for shot in board.shots if shot.kind is ShotKind.CLIP)
    assert clip.clip_from + clip.duration <= 2.2 + 1e-6 or clip.clip_from == 0


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(1, 30),
    tempo=st.floats(60, 180),
    quiet_until=st.floats(0, 60),
    look=st.sampled_from(sorted(LOOKS)),
)
def test_any_recap_on_beats_keeps_its_shape(count, tempo, quiet_until, look):
    music = steady(tempo, 200, quiet_until)
    chosen = subjects(count, clip_at=count // 2)
    board = plan_storyboard(chosen, LOOKS[look], size=(1080, 1920), music=music)
    unmusical = plan_storyboard(chosen, LOOKS[look], size=(1080, 1920))
    shots = board.shots
    assert shots[0].kind is ShotKind.TITLE and shots[-1].kind is ShotKind.END
    for earlier, later in itertools.pairwise(shots):
        assert later.start > earlier.start, "in order"
        assert later.start + later.fade == pytest.approx(earlier.end, abs=0.002), "no gaps"
        assert later.fade <= (later.duration / 2) + 0.002
    assert 0.75 * unmusical.duration <= board.duration <= 1.3 * unmusical.duration
