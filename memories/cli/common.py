"""What every command shares: options, settings, consoles, progress bars, error handling."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
)
from rich.text import Text

from memories.config import Settings, load_settings
from memories.errors import ExitStatus, MemoriesError, unwritable

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
TodayOption = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="The day to plan for ('on this day', years in review) [default: today].",
        show_default=False,
    ),
]


def day_of(today: datetime | None) -> date:
    """The day a `--today` option names, or today."""
    return today.date() if today else date.today()


LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="The language of titles, dates, cards and the gallery: de, en, es, fr, it, ja, "
        "nl, pl, pt or zh (or `language = \"de\"` in the config) [default: the system's "
        "(LC_ALL, LC_MESSAGES or LANG), else en]. Ids and folder names stay the same in "
        "every language.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print data as JSON on stdout.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Worker processes [default: one per core]."),
]
AllowDownloadOption = Annotated[
    bool,
    typer.Option("--allow-download", help="Fetch the AI restyle model from Hugging Face if it "
                 "is not on this machine (said first; the only network use)."),
]
KeepLocationOption = Annotated[
    bool,
    typer.Option(
        "--keep-location",
        help="Let outputs say where the photos were taken (GPS in JPEGs and videos); "
        "by default they carry no location.",
    ),
]
WaitOption = Annotated[
    bool, typer.Option("--wait", help="Wait for another run on the library to finish.")
]
ClusterOption = Annotated[
    str | None,
    typer.Option("--cluster", help="A Dask scheduler of your own machines (tls://HOST:8786) "
                 "whose workers analyse new photos and draw memories [default: the config "
                 "file's `cluster`, else this machine alone].", show_default=False),
]
PathMapOption = Annotated[
    list[str] | None,
    typer.Option("--path-map", help="FOLDER=FOLDER ON THE WORKERS: where the cluster's workers "
                 "see a folder of this machine (repeatable).", show_default=False),
]
InsecureOption = Annotated[
    bool,
    typer.Option("--insecure", help="Allow a plain tcp:// scheduler on this machine (nothing "
                 "is encrypted: never for other machines)."),
]

run_options = {"debug": False}


_Command = TypeVar("_Command", bound=Callable[..., Any])


def reports_errors(command: _Command) -> _Command:
    """Turn our exceptions into one line on stderr and the exit status they stand for."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        debug = run_options["debug"]
        try:
            return command(*args, **kwargs)
        except MemoriesError as error:
            if debug:
                raise
            _say_error(error)
        except KeyboardInterrupt:
            stderr().print("memories: interrupted; finished work is kept, run again to go on")
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except (typer.Exit, typer.TyperException):
            raise
        except Exception as error:
            if debug:
                raise
            if isinstance(error, OSError) and (explained := unwritable(error)):
                _say_error(explained)  # no space, or no permission: nothing can go on
            stderr().print(
                f"memories: internal error: {type(error).__name__}: {error} "
                "(run with --debug for details)",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(ExitStatus.INTERNAL_ERROR) from None

    return run  # type: ignore[return-value]


def _say_error(error: MemoriesError) -> NoReturn:
    stderr().print(f"memories: {printable(str(error))}", markup=False, highlight=False)
    raise typer.Exit(error.exit_status) from None


def settings_from(**flags: Any) -> Settings:
    return load_settings(os.environ, **flags)


def stdout() -> Console:
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # logs and pipes: keep each table row on one line
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class ProgressDisplay:
    """A Rich progress bar per stage on stderr, shown only on a terminal; the core calls it."""

    def __init__(self, *, enabled: bool) -> None:
        console = stderr()
        self._progress = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _PerSecond(),
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


class _PerSecond(ProgressColumn):
    """How many a second a stage does (photos, memories), on average since it began."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed
        if not elapsed or elapsed < 1 or not task.completed:
            return Text("")
        speed = task.completed / elapsed
        return Text(f"{speed:.1f}/s" if speed < 100 else f"{speed:,.0f}/s", style="dim")


def count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def shown(path: Path) -> str:
    """A path for people: bytes that are not UTF-8 in a file name show as U+FFFD, and
    control characters as escapes (a name cannot move the cursor or retitle the terminal)."""
    return printable(os.fsdecode(path))


def printable(text: str) -> str:
    """`text` on one line: bytes of a file name that are not UTF-8 (carried as surrogates)
    as U+FFFD, control characters as `\x1b`-style escapes."""
    return _SURROGATE.sub("\ufffd", text).translate(_CONTROL_ESCAPES)


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
