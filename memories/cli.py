"""The command line: thin Typer commands, one core call each, errors turned into exit codes.

This is the only module that knows Typer and Rich.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from memories import __version__, pipeline
from memories.config import Settings, load_settings
from memories.contracts import event_record, memory_record, photo_record, skipped_record
from memories.errors import ExitStatus, MemoriesError
from memories.library import LibraryFolder
from memories.model import Memory, MemoryKind
from memories.scan.index import ScanReport
from memories.scan.overview import Overview, overview

app = typer.Typer(
    name="memories",
    help=(
        "Turn a folder of photos into memories (collages, recap videos, on this day, people, "
        "trips), privately, on this machine. Nothing is uploaded; originals are never changed.\n\n"
        "Examples:\n\n"
        "  memories scan ~/Pictures\n\n"
        "  memories scan ~/Pictures /media/phone --json > photos.json\n\n"
        "  memories doctor"
    ),
    epilog=(
        "Exit codes: 0 done; 1 done, some files skipped; 2 usage error; 3 library in use; "
        "4 no photos found; 70 internal error; 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PhotosArgument = Annotated[
    list[Path],
    typer.Argument(help="Folders (or single files) of photos and videos.", metavar="PHOTOS..."),
]
LibraryOption = Annotated[
    Path | None,
    typer.Option(
        "--library",
        "-l",
        help="Library folder [default: $MEMORIES_LIBRARY, the config file, or ~/Memories].",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print data as JSON on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Worker processes [default: one per core]."),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for another run on the library to finish.")
]

TodayOption = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="The day to plan for ('on this day', years in review) [default: today].",
        show_default=False,
    ),
]
GeocoderOption = Annotated[
    str | None,
    typer.Option(
        help="offline (default) or nominatim: online, sends photo coordinates to OpenStreetMap.",
        show_default=False,
    ),
]
KindOption = Annotated[
    list[MemoryKind] | None,
    typer.Option("--kind", "-k", help="Only memories of this kind (repeatable)."),
]

_Command = TypeVar("_Command", bound=Callable[..., Any])


def _reports_errors(command: _Command) -> _Command:
    """Turn our exceptions into one line on stderr and the exit status they stand for."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        debug = _run_options["debug"]
        try:
            return command(*args, **kwargs)
        except MemoriesError as error:
            if debug:
                raise
            _stderr().print(f"memories: {error}", markup=False, highlight=False)
            raise typer.Exit(error.exit_status) from None
        except KeyboardInterrupt:
            _stderr().print("memories: interrupted; finished work is kept, run again to go on")
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except (typer.Exit, typer.TyperException):
            raise
        except Exception as error:
            if debug:
                raise
            _stderr().print(
                f"memories: internal error: {type(error).__name__}: {error} "
                "(run with --debug for details)",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(ExitStatus.INTERNAL_ERROR) from None

    return run  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"memories {__version__}")
        raise typer.Exit()


_run_options = {"debug": False}


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _run_options["debug"] = debug or bool(os.environ.get("MEMORIES_DEBUG"))


@app.command(
    epilog=(
        "Examples:\n\n"
        "  memories scan ~/Pictures\n\n"
        "  memories scan ~/Pictures ~/Phone --library /data/Memories\n\n"
        "  memories scan ~/Pictures --json | jq '.[] | select(.gps)'"
    )
)
@_reports_errors
def scan(
    photos: PhotosArgument,
    library: LibraryOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    workers: WorkersOption = None,
    wait: WaitOption = False,
) -> None:
    """Index photos and videos into the library's catalog: dates, places, sizes, kinds.

    Only new and changed files are read; moved files are recognised by their content; files
    that cannot be used are listed with the reason and the exit code is 1.
    """
    settings = _settings(library=library, workers=workers)
    with _ProgressDisplay(enabled=not quiet) as progress:
        report = pipeline.scan(photos, settings, wait=wait, progress=progress)
    catalogued = [] if quiet and not as_json else pipeline.catalogued_photos(settings, photos)
    if as_json:
        records = [photo_record(photo) for photo in catalogued]
        records += [skipped_record(skipped) for skipped in report.skipped]
        records.sort(key=lambda record: record["path"])
        print(json.dumps(records, indent=2))
    console = _stderr() if as_json else _stdout()
    _print_scan_report(report, overview(catalogued), settings, console=console, quiet=quiet)
    raise typer.Exit(report.exit_status)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  memories build ~/Pictures\n\n"
        "  memories build ~/Pictures --quiet   (from cron)\n\n"
        "  memories build ~/Pictures --kind trip --kind on_this_day --today 2025-06-14"
    )
)
@_reports_errors
def build(
    photos: PhotosArgument,
    library: LibraryOption = None,
    today: TodayOption = None,
    kind: KindOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    workers: WorkersOption = None,
    wait: WaitOption = False,
) -> None:
    """Scan the photos, analyse what is new, and plan the memories.

    Re-runs only read new and changed photos. Exit code 1 when some files were skipped.
    """
    settings = _settings(library=library, workers=workers, geocoder=geocoder)
    _announce_network_use(settings)
    with _ProgressDisplay(enabled=not quiet) as progress:
        report = pipeline.build(
            photos, settings, today=_day(today), kinds=_kinds(kind), wait=wait, progress=progress
        )
    assert report.plan is not None
    memories = report.plan.memories
    if as_json:
        print(json.dumps([memory_record(memory) for memory in memories], indent=2))
    console = _stderr() if as_json else _stdout()
    _print_scan_report(report.scan, overview(report.photos), settings, console=console, quiet=quiet)
    for skipped in report.undecodable:
        console.print(f"  {_shown(skipped.path)}: {skipped.reason}", markup=False)
    if not quiet:
        if report.measured:
            console.print(f"Measured the quality of {_count(report.measured, 'new photo')}.")
        _print_plan_summary(report.plan, console)
        if not as_json:
            _print_memories(memories, console)
    status = report.scan.exit_status
    if report.undecodable and status is ExitStatus.OK:
        status = ExitStatus.SKIPPED
    raise typer.Exit(status)


@app.command(
    name="list",
    epilog=(
        "Examples:\n\n"
        "  memories list\n\n"
        "  memories list --kind trip --json\n\n"
        "  memories list --today 2025-06-14 --kind on_this_day"
    ),
)
@_reports_errors
def list_memories(
    library: LibraryOption = None,
    today: TodayOption = None,
    kind: KindOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the memories planned from the catalog, newest first."""
    settings = _settings(library=library, geocoder=geocoder)
    _announce_network_use(settings)
    memories = pipeline.plan(settings, today=_day(today), kinds=_kinds(kind)).memories
    if as_json:
        print(json.dumps([memory_record(memory) for memory in memories], indent=2))
    else:
        _print_memories(memories, _stdout())


@app.command(
    epilog=(
        "Examples:\n\n  memories show 2024-04-03-trip-kyoto\n\n"
        "  memories show 2024-in-review --json"
    )
)
@_reports_errors
def show(
    memory_id: Annotated[
        str, typer.Argument(help="A memory's id, from `memories list`.", metavar="ID")
    ],
    library: LibraryOption = None,
    today: TodayOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one memory: its title, dates, place, people and photos."""
    settings = _settings(library=library, geocoder=geocoder)
    _announce_network_use(settings)
    memories = pipeline.plan(settings, today=_day(today)).memories
    memory = next((memory for memory in memories if memory.id == memory_id), None)
    if memory is None:
        raise MemoriesError(f"no memory with id {memory_id!r}; `memories list` shows them")
    if as_json:
        print(json.dumps(memory_record(memory), indent=2))
        return
    console = _stdout()
    console.print(f"[bold]{escape(memory.title)}[/]  {escape(memory.dates)}")
    details = {
        "id": memory.id, "kind": memory.kind.value, "place": memory.place or "-",
        "people": ", ".join(memory.people) or "-", "cover": _shown(memory.cover.path),
    }  # fmt: skip
    if memory.chapters:
        details["chapters"] = ", ".join(memory.chapters)
    for key, value in details.items():
        console.print(f"  {key:<9}{value}", markup=False)
    console.print(f"  {len(memory.photos)} photos:", markup=False)
    for photo in memory.photos:
        console.print(f"    {photo.local_time:%Y-%m-%d %H:%M}  {_shown(photo.path)}", markup=False)


@app.command(epilog="Examples:\n\n  memories events\n\n  memories events --json")
@_reports_errors
def events(
    library: LibraryOption = None, geocoder: GeocoderOption = None, as_json: JsonOption = False
) -> None:
    """List every event: runs of photos close in time and place. Each dated photo is in one."""
    settings = _settings(library=library, geocoder=geocoder)
    _announce_network_use(settings)
    plan = pipeline.plan(settings, today=_day(None))
    if as_json:
        print(json.dumps([event_record(event) for event in plan.events], indent=2))
        return
    console = _stdout()
    table = Table("id", "when", "place", "photos", box=None, pad_edge=False)
    for event in plan.events:
        table.add_row(
            escape(event.id), escape(_when(event.start, event.end)),
            escape(event.place or "-"), str(len(event.photos)),
        )  # fmt: skip
    console.print(table)
    _print_plan_summary(plan, console)


@app.command(epilog="Examples:\n\n  memories doctor\n\n  memories doctor --json")
@_reports_errors
def doctor(library: LibraryOption = None, as_json: JsonOption = False) -> None:
    """Show what is installed and usable: images, HEIC, ffmpeg, faces, AI restyle, GPU."""
    from memories.doctor import CheckStatus, run_checks

    checks = run_checks(_settings(library=library).library)
    if as_json:
        print(
            json.dumps(
                [{**vars(check), "status": check.status.value} for check in checks], indent=2
            )
        )
    else:
        table = Table(box=None, show_header=False, pad_edge=False)
        marks = {CheckStatus.OK: "[green]ok[/]", CheckStatus.MISSING: "[yellow]--[/]",
                 CheckStatus.PROBLEM: "[red]!![/]"}  # fmt: skip
        for check in checks:
            table.add_row(marks[check.status], escape(check.name), escape(check.detail))
        _stdout().print(table)
    if any(check.status is CheckStatus.PROBLEM for check in checks):
        raise typer.Exit(ExitStatus.USAGE)


def _settings(**flags: Any) -> Settings:
    return load_settings(os.environ, **flags)


def _stdout() -> Console:
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # logs and pipes: keep each table row on one line
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class _ProgressDisplay:
    """A Rich progress bar per stage on stderr, shown only on a terminal; the core calls it."""

    def __init__(self, *, enabled: bool) -> None:
        console = _stderr()
        self._progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            )
            if enabled and console.is_terminal
            else None
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> Callable[[str, int, int | None], None] | None:
        if self._progress is None:
            return None
        self._progress.start()
        return self._update

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _update(self, stage: str, done: int, total: int | None) -> None:
        assert self._progress is not None
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)


def _print_scan_report(
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
            console.print(_describe(seen), markup=False)
        console.print(
            f"Catalog: {_shown(LibraryFolder(settings.library).catalog_path)}", markup=False
        )
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    if report.skipped:
        shown = report.skipped[:_MAX_SKIPPED_SHOWN]
        console.print(f"Skipped {len(report.skipped):,} files:", markup=False)
        for skipped in shown:
            console.print(f"  {_shown(skipped.path)}: {skipped.reason}", markup=False)
        if len(report.skipped) > len(shown):
            console.print(f"  ... and {len(report.skipped) - len(shown):,} more (all in --json)")
    elif report.found == 0:
        console.print("No photos or videos found there.")


_MAX_SKIPPED_SHOWN = 25


def _day(today: datetime | None) -> date:
    return today.date() if today else date.today()


def _kinds(kinds: list[MemoryKind] | None) -> frozenset[MemoryKind] | None:
    return frozenset(kinds) if kinds else None


def _announce_network_use(settings: Settings) -> None:
    """Said before any coordinate leaves the machine, even with --quiet or --json."""
    if settings.geocoder == "nominatim":
        _stderr().print(
            "Note: geocoder = nominatim: the coordinates of photos without a cached place name "
            "are sent to nominatim.openstreetmap.org (OpenStreetMap) to name them.",
            markup=False,
        )


def _when(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"


def _print_memories(memories: list[Memory], console: Console) -> None:
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


def _print_plan_summary(plan: pipeline.Plan, console: Console) -> None:
    home = f"; home: {plan.home.city}" if plan.home else ""
    console.print(
        f"{_count(len(plan.memories), 'memory', 'memories')} from "
        f"{len(plan.timeline.photos):,} dated photos and videos in "
        f"{_count(len(plan.events), 'event')} and {_count(len(plan.trips), 'trip')}{home}.",
        markup=False,
    )
    if plan.timeline.undated:
        console.print(
            f"{len(plan.timeline.undated):,} photos have no reliable date (only their file "
            "time) and are in no event or memory.",
            markup=False,
        )


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def _describe(seen: Overview) -> str:
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
    return line + "."


def _shown(path: Path) -> str:
    """A path for people: bytes that are not UTF-8 in a file name show as U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def main() -> None:
    """The console script: SIGTERM (from cron, systemd, kill) stops like Ctrl-C does."""
    signal.signal(signal.SIGTERM, _interrupt)
    app(prog_name="memories")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
