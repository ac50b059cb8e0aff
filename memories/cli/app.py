"""The `memories` app and its commands about photos and memories."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from memories import __version__, pipeline
from memories.cli.cluster import cluster_app, print_cluster
from memories.cli.common import (
    AllowDownloadOption,
    ClusterOption,
    InsecureOption,
    JsonOption,
    KeepLocationOption,
    LanguageOption,
    LibraryOption,
    PathMapOption,
    PhotosArgument,
    ProgressDisplay,
    QuietOption,
    TodayOption,
    WaitOption,
    WorkersOption,
    count,
    day_of,
    reports_errors,
    run_options,
    settings_from,
    shown,
    stderr,
    stdout,
)
from memories.cli.people import FORGET_EPILOG, forget, people_app
from memories.cli.reports import (
    print_memories,
    print_plan_summary,
    print_render_report,
    print_scan_report,
    when,
    why_in_words,
)
from memories.cli.restyle import RESTYLE_EPILOG, restyle
from memories.cli.share import SHARE_EPILOG, share
from memories.cli.verify import VERIFY_EPILOG, verify
from memories.config import Settings
from memories.contracts import event_record, memory_record, photo_record, skipped_record
from memories.errors import ExitStatus, MemoriesError
from memories.model import MemoryKind
from memories.scan.overview import overview

app = typer.Typer(
    name="memories",
    help=(
        "Turn a folder of photos into memories (collages, recap videos, on this day, people, "
        "trips), privately, on this machine. Nothing is uploaded; originals are never changed.\n\n"
        "Examples:\n\n"
        "  memories demo\n\n"
        "  memories build ~/Pictures   (then open ~/Memories/index.html)\n\n"
        "  memories restyle IMG_2231.JPG --style watercolour\n\n"
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

GeocoderOption = Annotated[
    str | None,
    typer.Option(
        help="offline (default) or nominatim: online, sends photo coordinates to OpenStreetMap.",
        show_default=False,
    ),
]
KindOption = Annotated[
    list[MemoryKind] | None,
    typer.Option("--kind", "--kinds", "-k", help="Only memories of this kind (repeatable)."),
]


def _version(value: bool) -> None:
    if value:
        print(f"memories {__version__}")
        raise typer.Exit()


app.add_typer(people_app, name="people")
app.add_typer(cluster_app, name="cluster")
app.command(epilog=FORGET_EPILOG)(reports_errors(forget))
app.command(epilog=RESTYLE_EPILOG)(reports_errors(restyle))
app.command(epilog=VERIFY_EPILOG)(reports_errors(verify))
app.command(epilog=SHARE_EPILOG)(reports_errors(share))


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    run_options["debug"] = debug or bool(os.environ.get("MEMORIES_DEBUG"))


@app.command(
    epilog=(
        "Examples:\n\n"
        "  memories scan ~/Pictures\n\n"
        "  memories scan ~/Pictures ~/Phone --library /data/Memories\n\n"
        "  memories scan ~/Pictures --json | jq '.[] | select(.gps)'"
    )
)
@reports_errors
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
    settings = settings_from(library=library, workers=workers)
    with ProgressDisplay(enabled=not quiet) as progress:
        report = pipeline.scan(photos, settings, wait=wait, progress=progress)
    catalogued = [] if quiet and not as_json else pipeline.catalogued_photos(settings, photos)
    if as_json:
        path_of = {photo.content_hash: photo.path_text for photo in catalogued}
        records = [
            photo_record(photo, path_of.get(photo.companion_of or "")) for photo in catalogued
        ]
        records += [skipped_record(skipped) for skipped in report.skipped]
        records.sort(key=lambda record: record["path"])
        print(json.dumps(records, indent=2))
    console = stderr() if as_json else stdout()
    print_scan_report(report, overview(catalogued), settings, console=console, quiet=quiet)
    raise typer.Exit(report.exit_status)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  memories build ~/Pictures\n\n"
        "  memories build ~/Pictures --quiet   (from cron)\n\n"
        "  memories build ~/Pictures --since 2025-01-01 --aspect 9:16 --music ~/Music/calm\n\n"
        "  memories build ~/Pictures --kind trip --kind on_this_day --no-video\n\n"
        "  memories build /volume1/photo --cluster tls://nas.local:8786 "
        "--path-map /volume1/photo=/mnt/photo"
    )
)
@reports_errors
def build(
    photos: PhotosArgument,
    library: LibraryOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Render only memories that end on or after "
            "this day (others are left as they are).",
            show_default=False,
        ),
    ] = None,
    kind: KindOption = None,
    no_video: Annotated[bool, typer.Option("--no-video", help="Make no recap videos.")] = False,
    videos_per_run: Annotated[
        int | None,
        typer.Option(min=1, help="Make at most this many recap videos in this run, newest "
                     "memories first; the next runs make the others [default: 10].",
                     show_default=False),
    ] = None,
    no_faces: Annotated[
        bool, typer.Option("--no-faces", help="Do not look for faces (nor compute any face data).")
    ] = False,
    size: Annotated[
        int | None,
        typer.Option(
            min=256,
            max=8192,
            help="Long edge of collages in pixels [default: 2048].",
            show_default=False,
        ),
    ] = None,
    layout: Annotated[
        str | None,
        typer.Option(
            help="One collage layout for all: mosaic, hero, grid, prints, or your own "
            "[default: chosen per memory].",
            show_default=False,
        ),
    ] = None,
    aspect: Annotated[
        str | None,
        typer.Option(
            help="Video shape: 16:9, 9:16 (phones) or 1:1 [default: 16:9].", show_default=False
        ),
    ] = None,
    look: Annotated[
        str | None,
        typer.Option(
            help="Video look: gentle, lively, or your own [default: gentle].", show_default=False
        ),
    ] = None,
    music: Annotated[
        Path | None,
        typer.Option(
            help="Music for the videos: a file, or a folder to pick from.", show_default=False
        ),
    ] = None,
    encoder: Annotated[
        str | None,
        typer.Option(help="Video encoder: auto (this machine's GPU when one works, else "
                     "libx264), nvenc, qsv, vaapi, amf or libx264 [default: auto].",
                     show_default=False),
    ] = None,
    restyle: Annotated[
        str | None,
        typer.Option(help="Also restyle the best photos of each memory in this AI style "
                     "(see `memories restyle`), with a collage of them.", show_default=False),
    ] = None,
    allow_download: AllowDownloadOption = False,
    keep_location: KeepLocationOption = False,
    today: TodayOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    workers: WorkersOption = None,
    cluster: ClusterOption = None,
    path_map: PathMapOption = None,
    insecure: InsecureOption = False,
    wait: WaitOption = False,
    language: LanguageOption = None,
) -> None:
    """Make memories from photos: scan, analyse what is new (quality, places, faces), plan,
    and render collages, recap videos and the gallery (LIBRARY/index.html).

    Re-runs redo only what changed. Exit code 1 when some files were skipped. With
    --cluster, the workers of your own Dask cluster analyse the new photos and draw the
    memories; the catalog stays on this machine.
    """
    settings = settings_from(
        library=library, workers=workers, geocoder=geocoder, faces=False if no_faces else None,
        language=language,
        video=False if no_video else None, videos_per_run=videos_per_run, size=size,
        layout=layout, aspect=aspect, look=look, music=music, encoder=encoder,
        keep_location=True if keep_location else None, cluster=cluster,
        path_map=tuple(path_map) if path_map else None,
    )  # fmt: skip
    _build_and_report(
        photos, settings, today=day_of(today), kinds=_kinds(kind),
        since=since.date() if since else None, as_json=as_json, quiet=quiet, wait=wait,
        restyle=restyle, allow_download=allow_download, insecure=insecure,
    )  # fmt: skip


@app.command(
    epilog=(
        "Examples:\n\n  memories demo\n\n  memories demo --library ~/memories-demo --all-videos"
    )
)
@reports_errors
def demo(
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            "-l",
            help="Where to build it [default: a memories-demo folder in the temporary folder].",
            show_default=False,
        ),
    ] = None,
    all_videos: Annotated[
        bool,
        typer.Option(
            "--all-videos",
            help="A recap video for every memory, not only the newest event (takes a few minutes).",
        ),
    ] = False,
    quiet: QuietOption = False,
    language: LanguageOption = None,
) -> None:
    """Build the bundled sample photos into a library and say where to look.

    Makes every collage and the gallery, and a 720p recap video (the `preview` look) of the
    newest event, in well under a minute. Nothing is uploaded; the sample photos are not
    changed.
    """
    from memories.demo import DEMO_LOOK, DEMO_VIDEO_KINDS, demo_library, sample_photos

    settings = settings_from(library=library or demo_library(), language=language)
    if settings.look == Settings().look:  # unless a look of your own is configured
        settings = replace(settings, look=DEMO_LOOK)
    _build_and_report(
        [sample_photos()], settings, today=day_of(None), kinds=None, since=None, as_json=False,
        quiet=quiet, wait=False, video_limit=None if all_videos else 1,
        video_kinds=None if all_videos else DEMO_VIDEO_KINDS,
    )  # fmt: skip


def _build_and_report(
    photos: list[Path], settings: Settings, *, today: date, kinds: frozenset[MemoryKind] | None,
    since: date | None, as_json: bool, quiet: bool, wait: bool, video_limit: int | None = None,
    video_kinds: frozenset[MemoryKind] | None = None, restyle: str | None = None,
    allow_download: bool = False, insecure: bool = False,
) -> None:  # fmt: skip
    _announce_network_use(settings)
    if settings.language_note and not quiet:
        stderr().print(f"Note: {settings.language_note}", markup=False)
    with ProgressDisplay(enabled=not quiet) as progress:
        report = pipeline.build(
            photos, settings, today=today, kinds=kinds, since=since, video_limit=video_limit,
            video_kinds=video_kinds, restyle=restyle, allow_download=allow_download,
            insecure=insecure,
            announce=lambda message: stderr().print(f"Note: {message}", markup=False),
            wait=wait, progress=progress,
        )  # fmt: skip
    assert report.plan is not None
    memories = report.plan.memories
    if as_json:
        outputs = pipeline.rendered_outputs(settings)
        print(json.dumps([memory_record(m, outputs.get(m.id)) for m in memories], indent=2))
    console = stderr() if as_json else stdout()
    print_scan_report(report.scan, overview(report.photos), settings, console=console, quiet=quiet)
    for skipped in report.undecodable:
        console.print(f"  {shown(skipped.path)}: {skipped.reason}", markup=False)
    if report.out_of_reach:
        console.print(f"Not analysed in this run ({count(len(report.out_of_reach), 'photo')}; "
                      "the next run tries again):", markup=False)  # fmt: skip
        for skipped in report.out_of_reach:
            console.print(f"  {shown(skipped.path)}: {skipped.reason}", markup=False)
    if report.render_note and not quiet:
        console.print(report.render_note, markup=False)
    if not quiet:
        if report.measured:
            console.print(f"Measured the quality of {count(report.measured, 'new photo')}.")
        if report.looked_for_faces:
            console.print(f"Looked for faces in {count(report.looked_for_faces, 'new photo')}.")
        if report.faces_note and settings.faces:
            console.print(report.faces_note, markup=False)
        print_plan_summary(report.plan, console)
        if not as_json:
            print_memories(memories, console)
    rendered = report.rendered
    if rendered is not None:
        print_render_report(rendered, report.seconds, console, quiet=quiet)
    status = report.scan.exit_status
    skipped_any = report.undecodable or report.out_of_reach or (
        rendered and (rendered.failed or rendered.left_out))
    if skipped_any and status is ExitStatus.OK:
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
@reports_errors
def list_memories(
    library: LibraryOption = None,
    today: TodayOption = None,
    kind: KindOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
    language: LanguageOption = None,
) -> None:
    """List the memories planned from the catalog, newest first."""
    settings = settings_from(library=library, geocoder=geocoder, language=language)
    _announce_network_use(settings)
    memories = pipeline.plan(settings, today=day_of(today), kinds=_kinds(kind)).memories
    if as_json:
        outputs = pipeline.rendered_outputs(settings)
        print(json.dumps([memory_record(m, outputs.get(m.id)) for m in memories], indent=2))
    else:
        print_memories(memories, stdout())


@app.command(
    epilog=(
        "Examples:\n\n  memories show 2024-04-03-trip-kyoto\n\n"
        "  memories show 2024-in-review --json"
    )
)
@reports_errors
def show(
    memory_id: Annotated[
        str, typer.Argument(help="A memory's id, from `memories list`.", metavar="ID")
    ],
    library: LibraryOption = None,
    today: TodayOption = None,
    geocoder: GeocoderOption = None,
    as_json: JsonOption = False,
    language: LanguageOption = None,
) -> None:
    """Show one memory: its title, dates, place, people and photos."""
    settings = settings_from(library=library, geocoder=geocoder, language=language)
    _announce_network_use(settings)
    memories = pipeline.plan(settings, today=day_of(today)).memories
    memory = next((memory for memory in memories if memory.id == memory_id), None)
    if memory is None:
        raise MemoriesError(f"no memory with id {memory_id!r}; `memories list` shows them")
    if as_json:
        print(json.dumps(memory_record(memory), indent=2))
        return
    console = stdout()
    console.print(f"[bold]{escape(memory.title)}[/]  {escape(memory.dates)}")
    details = {
        "id": memory.id, "kind": memory.kind.value, "place": memory.place or "-",
        "people": ", ".join(memory.people) or "-", "cover": shown(memory.cover.path),
    }  # fmt: skip
    if memory.chapters:
        details["chapters"] = ", ".join(memory.chapters)
    for key, value in details.items():
        console.print(f"  {key:<9}{value}", markup=False)
    console.print(f"  {len(memory.photos)} photos:", markup=False)
    for photo in memory.photos:
        console.print(f"    {photo.local_time:%Y-%m-%d %H:%M}  {shown(photo.path)}", markup=False)


@app.command(epilog="Examples:\n\n  memories events\n\n  memories events --json")
@reports_errors
def events(
    library: LibraryOption = None, geocoder: GeocoderOption = None, as_json: JsonOption = False
) -> None:
    """List every event: runs of photos close in time and place. Each dated photo is in one."""
    settings = settings_from(library=library, geocoder=geocoder)
    _announce_network_use(settings)
    plan = pipeline.plan(settings, today=day_of(None))
    if as_json:
        print(json.dumps([event_record(event) for event in plan.events], indent=2))
        return
    console = stdout()
    table = Table("id", "when", "place", "photos", "starts because", box=None, pad_edge=False)
    for event in plan.events:
        table.add_row(
            escape(event.id), escape(when(event.start, event.end)),
            escape(event.place or "-"), str(len(event.photos)), escape(why_in_words(event.why)),
        )  # fmt: skip
    console.print(table)
    print_plan_summary(plan, console)


@app.command(
    epilog=(
        "Examples:\n\n  memories doctor\n\n  memories doctor --json\n\n"
        "  memories doctor --repair   (a damaged catalog, from the photo folders built)\n\n"
        "  memories doctor --repair ~/Pictures\n\n"
        "  memories doctor --cluster tls://nas.local:8786   (its workers, and what they see)"
    )
)
@reports_errors
def doctor(
    photos: Annotated[
        list[Path] | None,
        typer.Argument(
            help="With --repair: the photo folders [default: those built before].",
            metavar="PHOTOS",
            show_default=False,
        ),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Rebuild a damaged catalog from the photos, keeping your decisions about "
            "people (the damaged file is kept aside).",
        ),
    ] = False,
    no_faces: Annotated[
        bool, typer.Option("--no-faces", help="With --repair: do not look for faces.")
    ] = False,
    library: LibraryOption = None,
    cluster: Annotated[
        str | None,
        typer.Option("--cluster", help="List this Dask scheduler's workers instead: cores, "
                     "memory, GPU, version, and whether they read the photo folders.",
                     show_default=False),
    ] = None,
    path_map: PathMapOption = None,
    insecure: InsecureOption = False,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    wait: WaitOption = False,
) -> None:
    """Show what is installed and usable: images, HEIC, ffmpeg, faces, AI restyle, GPU,
    and whether the library's catalog is sound; `--repair` rebuilds it when it is not;
    `--cluster` lists a cluster's workers."""
    from memories.doctor import CheckStatus, run_checks

    if cluster is not None:
        print_cluster(cluster, path_map, insecure, library, as_json)
        return
    settings = settings_from(library=library, faces=False if no_faces else None)
    if repair:
        _repair(photos or [], settings, quiet=quiet, wait=wait)
        return
    if photos:
        raise MemoriesError("PHOTOS are only for --repair")
    checks = run_checks(settings.library, settings.restyle_model, settings.face_device)
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
        stdout().print(table)
    if any(check.status is CheckStatus.PROBLEM for check in checks):
        raise typer.Exit(ExitStatus.USAGE)


def _repair(photos: list[Path], settings: Settings, *, quiet: bool, wait: bool) -> None:
    console = stdout()
    with ProgressDisplay(enabled=not quiet) as progress:
        report = pipeline.repair(settings, photos, wait=wait, progress=progress)
    if report is None:
        if not quiet:
            console.print("The catalog is sound: nothing to repair.")
        return
    analysis = report.analysis
    if not quiet:
        if report.set_aside is not None:
            console.print(f"The damaged catalog is kept as {shown(report.set_aside)}.",
                          markup=False)  # fmt: skip
        console.print(
            f"Rebuilt the catalog from {', '.join(shown(f) for f in report.photo_folders)}: "
            f"{len(analysis.photos):,} photos, faces looked for in "
            f"{analysis.looked_for_faces:,}.",
            markup=False,
        )
        if analysis.restored is not None:
            people, faces = analysis.restored
            console.print(f"{people} people put back as you left them ({count(faces, 'face')}).")
        if analysis.faces_note:
            console.print(f"{analysis.faces_note}; your decisions about people come back with "
                          "the first build that looks for faces.", markup=False)  # fmt: skip
        console.print("Run `memories build` to bring the memories up to date.")
    # what the scan met: its warnings and the files skipped, quiet or not
    print_scan_report(analysis.scan, overview(analysis.photos), settings, console=console,
                      quiet=True)  # fmt: skip
    if analysis.scan.skipped:
        raise typer.Exit(ExitStatus.SKIPPED)


def _kinds(kinds: list[MemoryKind] | None) -> frozenset[MemoryKind] | None:
    return frozenset(kinds) if kinds else None


def _announce_network_use(settings: Settings) -> None:
    """Said before any coordinate leaves the machine, even with --quiet or --json."""
    if settings.geocoder == "nominatim":
        stderr().print(
            "Note: geocoder = nominatim: the coordinates of photos without a cached place name "
            "are sent to nominatim.openstreetmap.org (OpenStreetMap) to name them.",
            markup=False,
        )


def main() -> None:
    """The console script: SIGTERM (from cron, systemd, kill) stops like Ctrl-C does."""
    signal.signal(signal.SIGTERM, _interrupt)
    app(prog_name="memories")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
