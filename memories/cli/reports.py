"""How commands print their results for people: scan, plan and render summaries, tables."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from memories import pipeline
from memories.cli.common import count, shown
from memories.config import Settings
from memories.library import LibraryFolder
from memories.model import Cut, Memory
from memories.render.outputs import RenderReport
from memories.scan.index import ScanReport
from memories.scan.overview import Overview

MAX_SKIPPED_SHOWN = 25


def print_render_report(
    rendered: RenderReport, seconds: dict[str, float], console: Console, *, quiet: bool
) -> None:
    for failed in rendered.failed:
        console.print(f"  not rendered: {failed.reason} ({shown(failed.path)})", markup=False)
    for left_out in rendered.left_out:
        console.print(f"  {shown(left_out.path)}: {left_out.reason}", markup=False)
    if quiet:
        return
    for note in rendered.notes:
        console.print(f"  {note}", markup=False)
    console.print(
        f"Rendered memories in {rendered.seconds:.1f} s: {len(rendered.new):,} new, "
        f"{len(rendered.updated):,} updated, {len(rendered.unchanged):,} unchanged, "
        f"{len(rendered.removed):,} removed"
        + (f", {len(rendered.failed):,} failed." if rendered.failed else "."),
        markup=False,
    )
    if rendered.videos_owed:
        console.print(
            f"{len(rendered.videos_owed):,} more recap "
            f"{'video is' if len(rendered.videos_owed) == 1 else 'videos are'} left for the "
            "next runs (see --videos-per-run).",
            markup=False,
        )
    console.print(
        "Time: " + ", ".join(f"{stage} {spent:.1f} s" for stage, spent in seconds.items()) + ".",
        markup=False,
    )
    if rendered.gallery is not None:
        console.print(f"Open {shown(rendered.gallery)} to see them.", markup=False)



def print_scan_report(
    report: ScanReport, seen: Overview, settings: Settings, *, console: Console, quiet: bool
) -> None:
    if not quiet:
        console.print(
            f"Scanned {report.found:,} photos and videos in {report.seconds:.1f} s: "
            f"{report.new:,} new, {report.changed:,} changed, {report.moved:,} moved or copied, "
            f"{report.unchanged:,} unchanged, {report.removed:,} removed.",
            markup=False,
        )
        if seen.count:
            console.print(describe(seen), markup=False)
        console.print(
            f"Catalog: {shown(LibraryFolder(settings.library).catalog_path)}", markup=False
        )
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    if report.skipped:
        listed = report.skipped[:MAX_SKIPPED_SHOWN]
        console.print(f"Skipped {len(report.skipped):,} files:", markup=False)
        for skipped in listed:
            console.print(f"  {shown(skipped.path)}: {skipped.reason}", markup=False)
        if len(report.skipped) > len(listed):
            console.print(f"  ... and {len(report.skipped) - len(listed):,} more (all in --json)")
    elif report.found == 0:
        console.print("No photos or videos found there.")



def when(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"


def print_memories(memories: list[Memory], console: Console) -> None:
    if not memories:
        console.print("No memories yet: they need more dated photos.")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("id", "kind", "title", "dates", "place"):
        table.add_column(column, overflow="fold")
    table.add_column("photos", justify="right")
    for memory in memories:
        table.add_row(
            escape(memory.id), memory.kind.value, escape(memory.title), escape(memory.dates),
            escape(memory.place or "-"), str(len(memory.photos)),
        )  # fmt: skip
    console.print(table)


def print_plan_summary(plan: pipeline.Plan, console: Console) -> None:
    home = f"; home: {plan.home.city}" if plan.home else ""
    console.print(
        f"{count(len(plan.memories), 'memory', 'memories')} from "
        f"{len(plan.timeline.photos):,} dated photos and videos in "
        f"{count(len(plan.events), 'event')} and {count(len(plan.trips), 'trip')}{home}.",
        markup=False,
    )
    if plan.timeline.undated:
        console.print(
            f"{len(plan.timeline.undated):,} photos have no reliable date (only their file "
            "time) and are in no event or memory.",
            markup=False,
        )


def describe(seen: Overview) -> str:
    """`28 in these folders, taken 24 Dec 2022 to 20 Aug 2024: 27 photos, 1 screenshot; ...`"""
    kinds = ", ".join(
        f"{count:,} {kind.value}{'s' if count > 1 else ''}" for kind, count in seen.kinds.items()
    )
    span = ""
    if seen.first and seen.last:
        span = f", taken {seen.first:%-d %b %Y} to {seen.last:%-d %b %Y}"
    line = f"{seen.count:,} in these folders{span}: {kinds}; {seen.with_place:,} with a place"
    if seen.dated_by_file_time:
        line += f"; {seen.dated_by_file_time:,} dated only by file time (a guess)"
    if seen.companions:
        files = "1 file" if seen.companions == 1 else f"{seen.companions:,} files"
        line += f"; {files} (Live Photo clips, RAWs) shown through their photos"
    return line + "."


def why_in_words(why: Cut | None) -> str:
    """`place: 14.2 km after 52 min` - what started an event, as `memories events` shows it."""
    if why is None or why.rule == "first":
        return "first photo"
    gap = _duration(why.gap_minutes or 0)
    if why.rule == "place":
        return f"moved {why.km} km, after {gap}"
    words = {"gap": "no photos", "night": "the night", "pause": "a pause"}
    return f"{words.get(why.rule, why.rule)}: {gap}"


def _duration(minutes: int) -> str:
    """`45 min`, `3 h 20`, `26 h`, and `12 days` past two days."""
    if minutes >= 2 * 24 * 60:
        return f"{round(minutes / (24 * 60))} days"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"
