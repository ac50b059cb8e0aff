"""When a recap's cuts fall when it has music: on its beats, on a bar where one is near,
photos longer in quiet passages and shorter in loud ones, hard cuts where the music is loud
and crossfades where it is quiet, and the end card on the start of a phrase. Pure: the
music comes in as its analysis (render/music.py)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from memories.render.storyboard import Look, Shot, ShotKind, one_after_another

if TYPE_CHECKING:
    from memories.render.music import MusicAnalysis

LOUD = 0.6
"""Loudness (0 quietest to 1 loudest of the track) from which a cut is hard, not a fade."""
QUIET_LONGER = 0.35
"""A photo in the track's quietest passage lasts this share longer than its due, one in the
loudest this share shorter."""
LONGEST_PHOTO = 1.4
"""A photo may be held this many times the look's longest, to reach a beat or a bar."""
SHORTEST_SCREEN = 1.0
"""No shot is on screen (from its cut to the next) for less than this, in seconds."""
TITLE_RANGE = (0.7, 1.6)
"""The title's first cut lands on a bar within these shares of the look's title length."""
END_RANGE = (0.85, 1.25)
"""The end card starts on a phrase within these shares of where it would start unmusically."""


def cut_on_beats(shots: Sequence[Shot], music: MusicAnalysis, look: Look) -> list[Shot]:
    """`shots` (title, middle shots, end card, with the durations they would have without
    music) placed so that every cut falls on a beat of `music`. A track without beats
    leaves the shots crossfading one after another."""
    if len(music.beats) < 4 or len(shots) < 3:
        return one_after_another(shots, look.crossfade)
    title, middle, end = shots[0], list(shots[1:-1]), shots[-1]
    earliest, latest = (look.title_seconds * share for share in TITLE_RANGE)
    title_end = _snap(music, look.title_seconds, earliest, latest)
    screen = [_screen_time(shot, look) for shot in middle]
    unmusical_end = title_end + sum(screen)
    least = title_end + sum(_bounds(shot, look)[0] for shot in middle)
    end_start = _snap(music, unmusical_end,
                      max(least, unmusical_end * END_RANGE[0]), unmusical_end * END_RANGE[1],
                      grid=music.phrases)  # fmt: skip
    cuts = _cuts(middle, screen, music, look, title_end, end_start)
    fades = _fades(cuts, music, look, end.duration)
    placed = [replace(title, start=0.0, duration=cuts[0] + fades[0], fade=0.0)]
    for index, shot in enumerate(middle):
        start, next_cut = cuts[index], cuts[index + 1]
        duration = next_cut + fades[index + 1] - start
        placed.append(replace(shot, start=start, duration=duration, fade=fades[index]))
    placed.append(replace(end, start=end_start, duration=end.duration, fade=fades[-1]))
    return placed


def _fades(cuts: Sequence[float], music: MusicAnalysis, look: Look,
           end_seconds: float) -> list[float]:  # fmt: skip
    """The fade at each cut: the first and the last crossfade, the others are hard where the
    music is loud; none longer than half the time on screen on either side of it."""
    fades = []
    for index, cut in enumerate(cuts):
        wanted = look.crossfade
        if 0 < index < len(cuts) - 1 and music.loudness_at(cut) >= LOUD:
            wanted = 0.0
        before = cut - cuts[index - 1] if index else cut
        after = cuts[index + 1] - cut if index + 1 < len(cuts) else end_seconds
        fades.append(min(wanted, before / 2, after / 2))
    return fades


def _cuts(middle: Sequence[Shot], screen: Sequence[float], music: MusicAnalysis, look: Look,
          first: float, last: float) -> list[float]:  # fmt: skip
    """The cut before each middle shot, and `last` (the end card's): the time between
    `first` and `last` shared in proportion to what each shot is due (clips their length,
    photos more in quiet passages), each cut then moved to the nearest beat it may take."""
    fixed = [shot.kind is ShotKind.CLIP for shot in middle]
    due = [
        seconds if is_fixed
        else seconds * _quiet_factor(music, first + sum(screen[:i]) + seconds / 2)
        for i, (seconds, is_fixed) in enumerate(zip(screen, fixed, strict=True))
    ]  # fmt: skip
    flexible = sum(d for d, f in zip(due, fixed, strict=True) if not f)
    rigid = sum(d for d, f in zip(due, fixed, strict=True) if f)
    stretch = max(0.1, (last - first - rigid) / flexible) if flexible else 1.0
    cuts, ideal = [first], first
    for index, shot in enumerate(middle[:-1]):
        ideal += due[index] if fixed[index] else due[index] * stretch
        shortest, longest = _bounds(shot, look)
        room_after = sum(_bounds(s, look)[0] for s in middle[index + 1 :])
        longest = min(longest, last - room_after - cuts[-1])
        cuts.append(_snap(music, ideal, cuts[-1] + shortest, cuts[-1] + longest))
    cuts.append(last)
    return cuts


def _snap(music: MusicAnalysis, wanted: float, earliest: float, latest: float,
          grid: Sequence[float] = ()) -> float:  # fmt: skip
    """The beat nearest `wanted` within [earliest, latest], or a time of `grid` (else a bar)
    when one is the beat on the other side of `wanted`; `wanted` itself (kept within range)
    when no beat is in range."""
    latest = max(latest, earliest)
    beat = _nearest(music.beats, wanted, earliest, latest)
    if beat is None:
        return min(latest, max(earliest, wanted))
    interval = 60.0 / music.tempo if music.tempo else 0.5
    for strong in (grid, music.bars):
        found = _nearest(strong, wanted, earliest, latest)
        if found is not None and abs(found - wanted) < interval:
            return found
    return beat


def _nearest(times: Sequence[float], wanted: float, earliest: float,
             latest: float) -> float | None:  # fmt: skip
    low, high = bisect.bisect_left(times, earliest), bisect.bisect_right(times, latest)
    within = times[low:high]
    return min(within, key=lambda time: abs(time - wanted)) if within else None


def _screen_time(shot: Shot, look: Look) -> float:
    """Seconds from a shot's cut to the next one's, as it would be without music."""
    return shot.duration - look.crossfade


def _bounds(shot: Shot, look: Look) -> tuple[float, float]:
    """The shortest and longest a middle shot may be on screen: a clip no longer than it
    is, a photo up to a little more than the look's longest."""
    due = _screen_time(shot, look)
    if shot.kind is ShotKind.CLIP:
        return min(SHORTEST_SCREEN, due), due
    shortest = max(SHORTEST_SCREEN, look.shortest_photo - look.crossfade)
    return min(shortest, due), max(due, look.max_photo_seconds * LONGEST_PHOTO - look.crossfade)


def _quiet_factor(music: MusicAnalysis, time: float) -> float:
    return 1 + QUIET_LONGER * (1 - 2 * music.loudness_at(time))
