"""The stages wired together, one function per command that does work on a library."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from memories.catalog import Catalog, catalog_problem, set_catalog_aside
from memories.config import Settings
from memories.decisions import read_decisions, save_decisions
from memories.errors import MemoriesError, PhotoOutOfReach, UnreadablePhoto
from memories.library import LibraryFolder, existing_catalog, locked
from memories.model import (
    Event,
    Memory,
    MemoryKind,
    Photo,
    Place,
    ProgressCallback,
    Quality,
    Skipped,
)  # fmt: skip
from memories.parallel import map_and_store
from memories.plan.timeline import FaceOf, Timeline
from memories.plan.zones import is_dated
from memories.render.outputs import (
    RenderReport,
    RenderScope,
    RenderSettings,
    render_memories,
    rendered_records,
)
from memories.scan.index import ScanReport, scan_folders

if TYPE_CHECKING:
    from memories.analyze.places import Namer
    from memories.cluster.session import Cluster

MEASURING = "Measuring quality"


@dataclass
class Plan:
    """What planning decided, and what it had to leave out."""

    timeline: Timeline
    events: list[Event]
    trips: list[list[Event]]
    memories: list[Memory]
    home: Place | None
    photos: Sequence[Photo] = ()
    """The catalogued photos it was planned from."""


@dataclass
class BuildReport:
    scan: ScanReport
    photos: list[Photo] = field(default_factory=list)
    """Every photo under the folders built, as catalogued."""
    measured: int = 0
    looked_for_faces: int = 0
    """Photos looked at for faces in this run."""
    faces_note: str | None = None
    """Why faces were not looked for, when they were not."""
    restored: tuple[int, int] | None = None
    """People and faces put back from the decisions file into a rebuilt catalog."""
    undecodable: list[Skipped] = field(default_factory=list)
    out_of_reach: list[Skipped] = field(default_factory=list)
    """Photos a cluster's worker could not open (a mount or path map to mend): a later run
    analyses them."""
    render_note: str | None = None
    """Why memories were drawn on this machine although a cluster was given."""
    plan: Plan | None = None
    rendered: RenderReport | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each stage: scan, quality, faces, plan, render."""


def scan(
    photo_folders: Sequence[Path],
    settings: Settings,
    *,
    wait: bool = False,
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Index the photo folders into the library's catalog (incrementally)."""
    library = LibraryFolder(settings.library)
    with locked(library, wait=wait), Catalog.open(library.catalog_path) as catalog:
        return _index(catalog, library, photo_folders, settings, progress)


def build(
    photo_folders: Sequence[Path],
    settings: Settings,
    *,
    today: date,
    kinds: frozenset[MemoryKind] | None = None,
    since: date | None = None,
    render: bool = True,
    video_limit: int | None = None,
    video_kinds: frozenset[MemoryKind] | None = None,
    restyle: str | None = None,
    allow_download: bool = False,
    insecure: bool = False,
    announce: Callable[[str], None] = lambda message: None,
    wait: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Scan, analyse what is new, plan the memories, and render those that changed.
    `since` and `kinds` limit which memories are rendered (and removed when gone). With
    `settings.cluster`, the cluster's workers analyse and draw (see `memories.cluster`);
    `insecure` lets it be a plain `tcp://` scheduler on this machine."""
    library = LibraryFolder(settings.library)
    with (
        locked(library, wait=wait),
        _cluster(settings, insecure) as cluster,
        Catalog.open(library.catalog_path) as catalog,
        _cycle_collector_held_back() as planning_done,
    ):
        clock = _StageClock()
        report = _scan_and_analyse(catalog, library, photo_folders, settings, clock, progress,
                                   cluster)  # fmt: skip
        report.plan = _plan(catalog, report.photos, settings, today=today, kinds=kinds)
        clock.lap("plan")
        planning_done()
        report.undecodable = [
            Skipped(photo.path, reason) for photo, reason in report.plan.timeline.undecodable
        ]
        if render:
            drawing = cluster
            if cluster is not None and not cluster.find_render_workers(library.root):
                drawing = None
                report.render_note = (f"no cluster worker can write {library.root}: memories "
                                      "were drawn on this machine")  # fmt: skip
            report.rendered = render_memories(
                report.plan.memories,
                {photo.content_hash: photo for photo in report.photos},
                library.root,
                replace(
                    render_settings(settings),
                    video_limit=video_limit,
                    video_kinds=video_kinds,
                    restyle=restyle,
                    allow_download=allow_download,
                ),
                scope=RenderScope(since=since, kinds=kinds),
                progress=progress,
                announce=announce,
                cluster=drawing,
            )
            clock.lap("render")
        report.seconds = clock.laps
    return report


def _scan_and_analyse(
    catalog: Catalog,
    library: LibraryFolder,
    photo_folders: Sequence[Path],
    settings: Settings,
    clock: _StageClock,
    progress: ProgressCallback | None,
    cluster: Cluster | None = None,
) -> BuildReport:
    """Index the folders, then measure quality and find faces in what is new (on the
    cluster's workers, when there is one)."""
    report = BuildReport(scan=_index(catalog, library, photo_folders, settings, progress))
    report.photos = catalog.photos(photo_folders)
    clock.lap("scan")
    report.measured, unreached = _measure_quality(catalog, report.photos, settings.workers,
                                                  progress, cluster)  # fmt: skip
    clock.lap("quality")
    report.faces_note, unreached_faces = _find_faces(catalog, library, report, settings, progress,
                                                     cluster)  # fmt: skip
    clock.lap("faces")
    reasons = {error.path: error.reason for error in [*unreached, *unreached_faces]}
    report.out_of_reach = [Skipped(path, reason) for path, reason in reasons.items()]
    return report


def _index(
    catalog: Catalog,
    library: LibraryFolder,
    photo_folders: Sequence[Path],
    settings: Settings,
    progress: ProgressCallback | None,
) -> ScanReport:
    """Scan the folders into the catalog, and note them as built (for `doctor --repair`)."""
    report = scan_folders(photo_folders, catalog, exclude=library.root,
                          workers=settings.workers, progress=progress)  # fmt: skip
    save_decisions(library.decisions_path, catalog, photo_folders)
    return report


@dataclass
class RepairReport:
    set_aside: Path | None
    """Where the damaged catalog was moved (kept, never deleted); None when there was none."""
    photo_folders: list[Path]
    analysis: BuildReport
    """What was scanned and analysed; its `restored` says what was put back (None while
    faces are off: the decisions wait for a run that finds faces)."""


def repair(
    settings: Settings,
    photo_folders: Sequence[Path] = (),
    *,
    wait: bool = False,
    progress: ProgressCallback | None = None,
) -> RepairReport | None:
    """Rebuild a damaged catalog from the photos, putting back the user's decisions about
    people; None when the catalog is sound. The photo folders default to those built before
    (kept in the decisions file)."""
    library = LibraryFolder(settings.library)
    with locked(library, wait=wait):
        problem = catalog_problem(library.catalog_path)
        if problem is None and not _restoring(library):
            return None
        decisions = read_decisions(library.decisions_path)
        folders = list(photo_folders) or [f for f in decisions.photo_folders if f.exists()]
        if not folders:
            raise MemoriesError(
                "no photo folders are known for this library: "
                "name them, as in `memories doctor --repair ~/Pictures`"
            )
        set_aside = set_catalog_aside(library.catalog_path) if problem else None
        with Catalog.open(library.catalog_path) as catalog:
            if problem:
                with catalog.transaction():
                    catalog.start_restoring(max((d.person.id for d in decisions.people),
                                                default=0))  # fmt: skip
            analysis = _scan_and_analyse(catalog, library, folders, settings, _StageClock(),
                                         progress)  # fmt: skip
        return RepairReport(set_aside, folders, analysis)


def _restoring(library: LibraryFolder) -> bool:
    """Whether a repair that was stopped has yet to put back the people decisions."""
    with Catalog.open(library.catalog_path) as catalog:
        return catalog.restoring()


def render_settings(settings: Settings) -> RenderSettings:
    return RenderSettings(
        long_edge=settings.size, layout=settings.layout, video=settings.video,
        aspect=settings.aspect, look=settings.look, music=settings.music,
        encoder=settings.encoder, user_templates=settings.templates, workers=settings.workers,
        videos_per_run=settings.videos_per_run,
        restyle_model=settings.restyle_model, keep_location=settings.keep_location,
        language=settings.language,
    )  # fmt: skip


def rendered_outputs(settings: Settings) -> dict[str, dict[str, str]]:
    """The output files of each rendered memory, by memory id, as absolute paths."""
    root = LibraryFolder(settings.library).root
    return {
        record["id"]: {kind: str(root / record["id"] / name)
                       for kind, name in record.get("outputs", {}).items()}
        for record in rendered_records(root)
    }  # fmt: skip


@contextmanager
def _cycle_collector_held_back() -> Iterator[Callable[[], None]]:
    """Scanning and planning make a few objects for each photo of the whole library, none in
    reference cycles, and Python's cycle collector would walk them all again each time
    enough new ones piled up: a sixth of a nightly re-run at 100,000 photos. It is off until
    the caller says planning is done; from then on, until the block ends, it runs again
    but leaves what planning made out of its walks. Worker processes collect as usual."""
    enabled = gc.isenabled()
    gc.disable()

    def planning_done() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield planning_done
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


class _StageClock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self._last
        self._last = now


def plan(
    settings: Settings,
    *,
    today: date,
    kinds: frozenset[MemoryKind] | None = None,
    photo_folders: Sequence[Path] = (),
) -> Plan:
    """Plan memories from the catalog as it is (standalone: no scan, no analysis)."""
    with _existing_catalog(settings) as catalog:
        photos = catalog.photos(photo_folders)
        return _plan(catalog, photos, settings, today=today, kinds=kinds)


def catalogued_photos(settings: Settings, photo_folders: Sequence[Path] = ()) -> list[Photo]:
    """The photos the catalog knows (under `photo_folders`, if given), each dated one in its
    zone (from its file, GPS, the photos around it, the configured home, or this machine)."""
    from memories.plan.zones import resolve_zones
    from memories.scan.timezones import zone_at

    with _existing_catalog(settings) as catalog:
        photos = catalog.photos(photo_folders)
    home_zone = zone_at(*settings.home) if settings.home else None
    return resolve_zones(photos, home_zone)


def _existing_catalog(settings: Settings) -> Catalog:
    return existing_catalog(LibraryFolder(settings.library))


def _measure_quality(
    catalog: Catalog, photos: list[Photo], workers: int, progress: ProgressCallback | None,
    cluster: Cluster | None,
) -> tuple[int, list[PhotoOutOfReach]]:  # fmt: skip
    from memories.analyze.quality import measure_many

    todo = catalog.unmeasured(photos)

    def store(batch: list[tuple[Photo, Quality | UnreadablePhoto]]) -> None:
        with catalog.transaction():
            catalog.record_quality(batch)

    unreached = map_and_store(measure_many, todo, workers, store, every=200, stage=MEASURING,
                              progress=progress, cluster=cluster)  # fmt: skip
    return len(todo) - len(unreached), unreached


def _find_faces(
    catalog: Catalog,
    library: LibraryFolder,
    report: BuildReport,
    settings: Settings,
    progress: ProgressCallback | None,
    cluster: Cluster | None,
) -> tuple[str | None, list[PhotoOutOfReach]]:
    """Look for faces in new photos and group them; then put back the people decisions a
    rebuilt catalog owes (they wait for a run that finds faces)."""
    from memories.people import faces_available, find_and_group_faces, restore_owed_decisions

    if not settings.faces:
        return "faces: off (--no-faces or faces = false)", []
    if reason := faces_available():
        return f"faces: not looked for, {reason} (see `memories doctor`)", []
    report.looked_for_faces, unreached = find_and_group_faces(
        catalog, report.photos, settings.workers, progress, settings.face_device, cluster=cluster
    )
    report.restored = restore_owed_decisions(catalog, library.decisions_path)
    return None, unreached


@contextmanager
def _cluster(settings: Settings, insecure: bool) -> Iterator[Cluster | None]:
    """The cluster the settings name, connected and its workers checked; None without."""
    if settings.cluster is None:
        yield None
        return
    from memories.cluster.paths import PathMap
    from memories.cluster.session import connect

    path_map = PathMap.parse(settings.path_map)
    with connect(settings.cluster, path_map=path_map, insecure=insecure,
                 certificates=settings.cluster_certificate) as cluster:  # fmt: skip
        yield cluster


def _plan(
    catalog: Catalog,
    photos: list[Photo],
    settings: Settings,
    *,
    today: date,
    kinds: frozenset[MemoryKind] | None,
) -> Plan:
    from memories.language import localized
    from memories.plan.events import TripRules, find_trips, segment_events
    from memories.plan.memories import PlanRules, plan_memories
    from memories.plan.timeline import build_timeline

    places = _places(catalog, photos, settings)
    faces, showing_hidden, names = _people(catalog)
    home = _home(settings, photos, places, catalog)
    timeline = build_timeline(
        photos, qualities=catalog.qualities(), places=places, faces=faces,
        showing_hidden_people=showing_hidden, home_zone=_zone_of(home),
    )  # fmt: skip
    home_point = (home.latitude, home.longitude) if home else None
    trip_rules = TripRules(away_km=settings.trip_distance_km)
    events = segment_events(timeline.photos, home=home_point, trip_rules=trip_rules)
    trips = find_trips(events, home_point, trip_rules)
    chosen = kinds or settings.kinds or frozenset(MemoryKind)
    rules = PlanRules(max_photos=settings.max_photos, kinds=chosen)
    memories = plan_memories(
        timeline.photos, events, trips, today=today,
        home_city=home.city if home else None, people_names=names,
        birthdays=catalog.birthdays(), home=home_point, rules=rules,
        language=settings.language,
    )  # fmt: skip
    memories = [localized(memory, settings.language) for memory in memories]
    return Plan(timeline=timeline, events=events, trips=trips, memories=memories, home=home,
                photos=photos)  # fmt: skip


def _people(
    catalog: Catalog,
) -> tuple[dict[str, list[FaceOf]], set[str], dict[str, str]]:
    """Faces of visible people by photo, the photos showing a hidden person, and the names
    of the visible people who have one."""
    people = {person.id: person for person in catalog.people()}
    faces: dict[str, list[FaceOf]] = {}
    showing_hidden: set[str] = set()
    for content_hash, on_photo in catalog.faces_by_photo().items():
        if any(people[person].hidden for person, _ in on_photo):
            showing_hidden.add(content_hash)
        else:
            faces[content_hash] = [(str(person), box) for person, box in on_photo]
    names = {
        str(person.id): person.name
        for person in people.values()
        if person.name and not person.hidden
    }
    return faces, showing_hidden, names


def _places(catalog: Catalog, photos: list[Photo], settings: Settings) -> dict[str, Place | None]:
    """The place of each located photo, by content hash: as named on an earlier run, else
    named now and kept (so that an unchanged library never loads the gazetteer)."""
    namer = _namer(settings)
    named = catalog.places(namer)
    unnamed = [photo for photo in photos if photo.gps and photo.content_hash not in named]
    if unnamed:
        places = _gazetteer(catalog, settings).lookup([photo.gps for photo in unnamed if photo.gps])
        fresh = [(photo.content_hash, place) for photo, place in zip(unnamed, places, strict=True)]
        with catalog.transaction():
            catalog.record_places(namer, fresh)
        named.update(fresh)
    return named


def _namer(settings: Settings) -> str:
    """Which namer's places the catalog keeps for these settings."""
    from memories.analyze.places import OnlineGazetteer, offline_namer

    return OnlineGazetteer.provider if settings.geocoder == "nominatim" else offline_namer()


def _gazetteer(catalog: Catalog, settings: Settings) -> Namer:
    from memories.analyze.places import Gazetteer, OnlineGazetteer

    if settings.geocoder == "nominatim":
        return OnlineGazetteer(catalog)
    return Gazetteer.offline()


def _zone_of(home: Place | None) -> tzinfo | None:
    from memories.scan.timezones import zone_at

    return zone_at(home.latitude, home.longitude) if home else None


def _home(
    settings: Settings, photos: Sequence[Photo], places: Mapping[str, Place | None],
    catalog: Catalog,
) -> Place | None:  # fmt: skip
    from dataclasses import replace

    from memories.analyze.places import infer_home, remembered_place

    if settings.home:
        place = remembered_place(
            catalog, _namer(settings), settings.home,
            lambda point: _gazetteer(catalog, settings).lookup([point])[0],
        )  # fmt: skip
        if place is None:
            return None
        return replace(place, latitude=settings.home[0], longitude=settings.home[1])
    return infer_home(
        (photo.taken_at.date(), place)
        for photo in photos
        if photo.taken_at and is_dated(photo) and (place := places.get(photo.content_hash))
    )
