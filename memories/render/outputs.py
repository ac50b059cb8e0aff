"""The memory folders in the library: which need rendering (their inputs or settings
changed), rendering them (cover, collage, recap video, then memory.json last), removing
those of memories no longer planned, and the gallery over all of them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from memories.config import DEFAULT_RESTYLE_MODEL
from memories.errors import MemoriesError, UnreadablePhoto
from memories.library import LibraryFolder
from memories.model import Memory, MemoryKind, Photo, ProgressCallback, Skipped, TimelinePhoto
from memories.render.files import leftover_partials, save_jpeg, save_json, write_atomically
from memories.render.gallery import PAGE, page_fingerprint, write_index, write_memory_page
from memories.render.location import Point, middle_of

if TYPE_CHECKING:
    from memories.render.encoders import Encoder
    from memories.render.layout import LayoutTemplate
    from memories.render.restyle import Restyled, Restyler, Style
    from memories.render.storyboard import Look
    from memories.render.veil import Strangers, Veil

RENDERING = "Rendering memories"
RENDER_VERSION = 3
"""Raised when the renderer changes what it draws, so that every memory is drawn again."""
MEMORY_FILE = "memory.json"
COVER_SIZE = (960, 640)
MAP_SIZE = (1600, 900)
"""A trip's route map on its gallery page."""


@dataclass(frozen=True, kw_only=True)
class RenderSettings:
    """What the outputs look like; part of each output's fingerprint."""

    long_edge: int = 2048
    layout: str | None = None
    """A collage layout's name; None chooses one per memory."""
    video: bool = True
    aspect: str = "16:9"
    look: str = "gentle"
    music: Path | None = None
    encoder: str = "auto"
    """The H.264 encoder of recap videos: `auto` (this machine's GPU's when one works,
    else libx264), or one by name (render/encoders.py); not part of any fingerprint."""
    video_limit: int | None = None
    """Make recap videos for only this many memories (the newest); None for all."""
    videos_per_run: int | None = None
    """Encode at most this many recap videos in this run; the other memories that want one
    get theirs in later runs. None for no limit."""
    video_kinds: frozenset[MemoryKind] | None = None
    """Make recap videos only for memories of these kinds; None for all."""
    user_templates: Path | None = None
    """A folder with the user's own `collage/` and `video/` templates."""
    workers: int = 2
    restyle: str | None = None
    """An AI style: the best photos of each memory restyled, and a collage of them."""
    restyle_model: str = DEFAULT_RESTYLE_MODEL
    restyle_photos: int = 3
    allow_download: bool = False
    keep_location: bool = False
    """Outputs carry GPS (see render/location.py); by default they carry none."""
    language: str = "en"
    """The language of the gallery's index (each memory's words and page are in the
    language it was planned in)."""


@dataclass(frozen=True, kw_only=True)
class RenderScope:
    """Which memories this run looks after; outputs of others are left as they are."""

    since: date | None = None
    kinds: frozenset[MemoryKind] | None = None

    def covers(self, kind: str, end: str) -> bool:
        if self.kinds is not None and kind not in self.kinds:
            return False
        return self.since is None or end[:10] >= self.since.isoformat()


@dataclass
class RenderReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)
    """Memories that could not be rendered (a photo gone since the scan), with the reason."""
    videos_owed: list[str] = field(default_factory=list)
    """Memories whose recap video waits for a later run (`videos_per_run` were made)."""
    left_out: list[Skipped] = field(default_factory=list)
    """Files a recap encoded in this run left out (music or a clip that does not decode)."""
    notes: list[str] = field(default_factory=list)
    """What recaps encoded in this run did otherwise than asked (a looped track, another
    encoder)."""
    gallery: Path | None = None
    seconds: float = 0.0


def render_memories(
    memories: Sequence[Memory],
    photos: Mapping[str, Photo],
    root: Path,
    settings: RenderSettings,
    *,
    scope: RenderScope = RenderScope(),
    progress: ProgressCallback | None = None,
    announce: Callable[[str], None] = lambda message: None,
    cluster: RenderCluster | None = None,
) -> RenderReport:
    """Bring the memory folders under `root` up to date with the planned memories.
    `announce` hears what the user must know before it happens (a model download). With a
    `cluster`, the memories that need drawing are drawn by its workers."""
    started = time.perf_counter()
    report = RenderReport()
    for partial in leftover_partials(root):  # from a run that was killed mid-write
        partial.unlink(missing_ok=True)
    renderer = Renderer(load_render_templates(settings), settings, announce)
    chosen = [memory for memory in memories
              if scope.covers(memory.kind.value, memory.end.isoformat())]  # fmt: skip
    jobs, report.videos_owed = renderer.plan_jobs(chosen, root)
    to_draw = []
    for job in jobs:
        if cluster is not None and (record := renderer.up_to_date(job, root / job.memory.id)):
            renderer.records[job.memory.id] = record
            report.unchanged.append(job.memory.id)
        else:
            to_draw.append(job)
    stage = RENDERING
    if cluster is not None:
        drawn: Iterable[tuple[RenderJob, RenderOutcome]] = cluster.render(
            to_draw, photos, root, renderer.templates, settings)
        stage = cluster.label(RENDERING)
    else:
        drawn = ((job, renderer.draw(job, root, photos)) for job in to_draw)
    done = len(report.unchanged)
    if progress:
        progress(stage, done, len(jobs))
    for job, outcome in drawn:
        if isinstance(outcome, UnreadablePhoto):
            report.failed.append(Skipped(outcome.path, f"{job.memory.id}: {outcome.reason}"))
        else:
            state, renderer.records[job.memory.id] = outcome
            getattr(report, state).append(job.memory.id)
            if _encoded_now(job, outcome[1]):
                _gather_video_notes(report, job.memory.id, outcome[1])
        done += 1
        if progress:
            progress(stage, done, len(jobs))
    if cluster is not None:  # from a worker that died mid-write (its memory was drawn again)
        for partial in leftover_partials(root):
            partial.unlink(missing_ok=True)
    report.removed = _remove_unplanned(root, {memory.id for memory in memories}, scope)
    if renderer.credentials_missing:
        report.notes.append(f"outputs carry no Content Credentials: {renderer.credentials_missing}")
    report.gallery = write_index(root, rendered_records(root, known=renderer.records),
                                 language=settings.language)  # fmt: skip
    report.seconds = time.perf_counter() - started
    return report


class RenderCluster(Protocol):
    """Workers that draw memories (see `memories.cluster.session`)."""

    def render(
        self, jobs: Sequence[RenderJob], photos: Mapping[str, Photo], root: Path,
        templates: RenderTemplates, settings: RenderSettings,
    ) -> Iterator[tuple[RenderJob, RenderOutcome]]: ...  # fmt: skip

    def label(self, stage: str) -> str: ...


@dataclass(frozen=True)
class RenderJob:
    """One memory to bring up to date, with what the run decided for it."""

    memory: Memory
    video: bool
    """Whether it has a recap video in this run (made now, or kept)."""
    music: Path | None
    previous: dict[str, Any] | None = None
    """Its memory.json as this run found it (read once, when the run planned its jobs)."""


RenderOutcome = tuple[str, dict[str, Any]] | UnreadablePhoto
"""`new`, `updated` or `unchanged` with the memory's memory.json; or why it could not be
drawn (a photo gone since the scan)."""


@dataclass(frozen=True)
class RenderTemplates:
    """The layouts, look and style outputs are drawn with, loaded once (and sent as they
    are to a cluster's workers, which need not hold the user's template folder)."""

    layouts: dict[str, LayoutTemplate]
    look: Look
    style: Style | None


def load_render_templates(settings: RenderSettings) -> RenderTemplates:
    from memories.render.layout import LayoutTemplate
    from memories.render.storyboard import ASPECTS, Look
    from memories.render.templates import load_templates, pick_template

    user = settings.user_templates
    layouts = load_templates("collage", LayoutTemplate, user and user / "collage")
    if settings.layout is not None:
        pick_template(layouts, settings.layout, "collage layout")
    look = pick_template(load_templates("video", Look, user and user / "video"),
                         settings.look, "video look")  # fmt: skip
    if settings.aspect not in ASPECTS:
        raise MemoriesError(f"aspect must be one of {', '.join(ASPECTS)}")
    style = None
    if settings.restyle is not None:
        from memories.render.restyle import Style

        styles = load_templates("styles", Style, user and user / "styles")
        style = pick_template(styles, settings.restyle, "style")
    return RenderTemplates(layouts, look, style)


def rendered_records(
    root: Path, known: Mapping[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The memory.json of every rendered memory under `root`; those in `known` (by memory
    id, just read or written) are not read again."""
    records = []
    for path in sorted(root.glob(f"*/{MEMORY_FILE}")):
        record = (known or {}).get(path.parent.name) or _read_record(path)
        if record is not None:
            records.append(record)
    return records


class Renderer:
    """Draws memories' outputs; on a cluster, one per worker process draws all it is sent."""

    def __init__(
        self,
        templates: RenderTemplates,
        settings: RenderSettings,
        announce: Callable[[str], None] = lambda message: None,
        state_dir: Path | None = None,
    ) -> None:
        """`state_dir` is the library's `.memories/` (its signing key) when the outputs are
        not drawn in the library's memory folders."""
        self.templates = templates
        self.state_dir = state_dir
        self.settings = settings
        self.layouts = templates.layouts
        self.look = templates.look
        self.style = templates.style
        self.frame_size = self.look.frame_size(settings.aspect)
        self.announce = announce
        self.records: dict[str, dict[str, Any]] = {}
        """The memory.json of each memory brought up to date, by id."""
        # parts of every memory's fingerprints, worked out once for the whole library
        self.layouts_as_data = {name: asdict(each) for name, each in sorted(self.layouts.items())}
        self.look_as_data = asdict(self.look)
        self.page_with = _digest(page_fingerprint())
        self._restyler: Restyler | None = None
        self._encoder: Encoder | None = None
        self.credentials_missing: str | None = None
        """Why outputs carry no Content Credentials in this run (the bindings are missing)."""

    def plan_jobs(
        self, memories: Sequence[Memory], root: Path
    ) -> tuple[list[RenderJob], list[str]]:
        """What each memory gets in this run, and the memories whose recap video waits for
        a later run: one that needs encoding after this run made its share of videos
        (`videos_per_run`, newest memories first) keeps the video it has until then,
        unless what it is made of changed."""
        from memories.render.video import pick_music

        settings = self.settings
        kinds = settings.video_kinds
        filmed = [memory for memory in memories if kinds is None or memory.kind in kinds]
        with_video = {memory.id for memory in filmed[: settings.video_limit] if settings.video}
        videos_left = settings.videos_per_run
        jobs, owed = [], []
        for memory in memories:
            video = memory.id in with_video
            music = pick_music(settings.music, memory.id) if video else None
            folder = root / memory.id
            previous = _read_record(folder / MEMORY_FILE)
            if video and videos_left is not None:
                done = previous.get("fingerprints", {}) if previous else {}
                if _video_stale(folder, done, self._video_fingerprint(memory, music)):
                    if videos_left == 0:
                        owed.append(memory.id)
                        video, music = False, None
                    else:
                        videos_left -= 1
            jobs.append(RenderJob(memory, video, music, previous))
        return jobs, owed

    def up_to_date(self, job: RenderJob, folder: Path) -> dict[str, Any] | None:
        """The memory's memory.json when every output it wants was made from these inputs
        and settings and is there; None when something must be drawn."""
        previous = job.previous
        if previous is None:
            return None
        done = previous.get("fingerprints", {})
        outputs = previous.get("outputs", {})
        if all(done.get(key) == value for key, value in self._wanted(job).items()) and all(
            (folder / name).is_file() for name in (*outputs.values(), PAGE)
        ):
            return previous
        return None

    def draw(self, job: RenderJob, root: Path, photos: Mapping[str, Photo]) -> RenderOutcome:
        """Bring one memory's folder under `root` up to date; an unreadable photo gives its
        error."""
        try:
            return self.bring_up_to_date(job, root / job.memory.id, photos)
        except UnreadablePhoto as error:
            return error

    def _wanted(self, job: RenderJob) -> dict[str, str]:
        """The fingerprint of each output the memory should have in this run."""
        memory = job.memory
        wanted = {"still": self._still_fingerprint(memory), "page": self.page_with,
                  "cover": self._cover_fingerprint(memory),
                  "map": _digest(_route(memory))}  # fmt: skip
        if job.video:
            wanted["video"] = self._video_fingerprint(memory, job.music)
        if self.style is not None:
            wanted["restyle"] = _digest(
                _inputs(memory), asdict(self.style), self.settings.restyle_model,
                self.settings.restyle_photos, self._located(memory),
            )  # fmt: skip
        return wanted

    def bring_up_to_date(
        self, job: RenderJob, folder: Path, photos: Mapping[str, Photo]
    ) -> tuple[str, dict[str, Any]]:
        """Render what changed of one memory; say whether it was new, updated or unchanged,
        with its memory.json."""
        memory, with_video, music = job.memory, job.video, job.music
        if (unchanged := self.up_to_date(job, folder)) is not None:
            return "unchanged", unchanged
        previous = job.previous
        done = previous.get("fingerprints", {}) if previous else {}
        wanted = self._wanted(job)
        restyled = previous.get("restyled", []) if previous else []
        outputs = dict(previous.get("outputs", {})) if previous else {}
        inputs = _digest(_inputs(memory))
        fingerprints: dict[str, str] = {"inputs": inputs}
        if "inputs" in done:  # what the memory is made of, apart from how it is drawn
            changed = done["inputs"] != inputs
        else:  # a record from before "inputs" was kept: its stills tell
            changed = done.get("still") != wanted["still"]
        if done.get("still") != wanted["still"] or not (folder / "collage.jpg").is_file():
            # the cover and the map have no words: a new language leaves them as they are
            kept = {drawn for drawn in ("cover", "map") if done.get(drawn) == wanted[drawn]
                    and (folder / f"{drawn}.jpg").is_file()}  # fmt: skip
            outputs.update(self.draw_stills(memory, folder, photos, keep=kept))
        for drawn in ("still", "cover", "map"):
            fingerprints[drawn] = wanted[drawn]
        fingerprints["page"] = wanted["page"]
        video_notes = previous.get("video_notes", []) if previous else []
        if with_video:
            if _video_stale(folder, done, wanted["video"]):
                video_notes = self.encode(memory, folder / "recap.mp4", music, photos)
            outputs["video"] = "recap.mp4"
            fingerprints["video"] = wanted["video"]
        elif done.get("video") and changed:
            (folder / "recap.mp4").unlink(missing_ok=True)  # shows what the memory no longer is
            outputs.pop("video", None)
            video_notes = []
        elif "video" in done:
            fingerprints["video"] = done["video"]
        if self.style is not None:
            name = outputs.get("restyled_collage")
            if (
                done.get("restyle") != wanted["restyle"]
                or not name
                or not (folder / name).is_file()
            ):
                restyled = self._restyle(memory, folder, outputs, photos)
            fingerprints["restyle"] = wanted["restyle"]
        elif "restyle" in done:
            fingerprints["restyle"] = done["restyle"]
        record = memory_file_record(memory, outputs, fingerprints, music)
        if self.settings.keep_location:
            record["location"] = _point(self._location(*memory.photos))
        record["restyled"] = restyled
        record["video_notes"] = video_notes
        save_json(record, folder / MEMORY_FILE)
        write_memory_page(folder.parent, record)
        return ("new" if previous is None else "updated"), record

    def draw_stills(
        self,
        memory: Memory,
        folder: Path,
        photos: Mapping[str, Photo],
        *,
        veil: Veil | None = None,
        route_map: bool = True,
        keep: Collection[str] = (),
    ) -> dict[str, str]:
        """The cover, the collage and a trip's map, in `folder`; their names by output. A
        `veil` blurs the faces it names; without `route_map` a trip has no map; the cover or
        map named in `keep` is there already, made from the same inputs."""
        from memories.render.collage import draw_collage, draw_cover, plan_collage
        from memories.render.trip_map import draw_route_map, plan_route_map, trip_stops

        plan = plan_collage(memory, photos, self.layouts, layout=self.settings.layout,
                            long_edge=self.settings.long_edge)  # fmt: skip
        outputs = {"cover": "cover.jpg"}
        if "cover" not in keep:
            save_jpeg(draw_cover(memory, photos, COVER_SIZE, veil), folder / "cover.jpg",
                      quality=85, location=self._location(memory.cover))  # fmt: skip
        if plan is not None:
            save_jpeg(draw_collage(plan, memory, veil=veil), folder / "collage.jpg",
                      location=self._location(*memory.photos))  # fmt: skip
            self._made_from(folder, "collage.jpg", [p.content_hash for p in plan.photos],
                            "collage")  # fmt: skip
            outputs["collage"] = "collage.jpg"
        stops = trip_stops(memory) if route_map else ()
        if stops and "map" in keep:
            outputs["map"] = "map.jpg"
        elif stops:
            drawn = draw_route_map(plan_route_map(stops, MAP_SIZE),
                                   background=self.look.background, ink=self.look.ink)  # fmt: skip
            save_jpeg(drawn, folder / "map.jpg", quality=92)
            outputs["map"] = "map.jpg"
        return outputs

    def _restyle(
        self, memory: Memory, folder: Path, outputs: dict[str, str], photos: Mapping[str, Photo]
    ) -> list[dict[str, Any]]:
        """The best photos in the memory's style, in `restyled/`, and a collage of them;
        each labelled AI-made. Hidden people are in no memory, so never restyled."""
        from memories.render.collage import collage_candidates, draw_collage, plan_collage
        from memories.render.restyle import Picture, Restyler, save_labelled
        from memories.scan.images import decode_displayed

        assert self.style is not None
        stills = collage_candidates(memory)
        best = sorted(stills, key=lambda photo: (-photo.score, photo.instant))
        chosen = sorted(best[: self.settings.restyle_photos], key=lambda photo: photo.instant)
        if not chosen:
            return []
        if self._restyler is None:
            self._restyler = Restyler(self.settings.restyle_model,
                                      allow_download=self.settings.allow_download,
                                      announce=self.announce)  # fmt: skip
        pictures = []
        for photo in chosen:
            source = photos[photo.content_hash]
            image = decode_displayed(source, "RGB", self.style.size * 2, srgb=True)
            scale = image.width / source.width
            boxes = tuple(tuple(round(v * scale) for v in box) for _, box in photo.faces)
            pictures.append(Picture(image, boxes))  # type: ignore[arg-type]
        results = self._restyler.restyle(pictures, self.style)
        records = []
        for photo, result in zip(chosen, results, strict=True):
            name = f"restyled/{photo.path.stem}-{self.style.name}.jpg"
            save_labelled(result, folder / name, location=self._location(photo))
            self._sign_restyle(folder, name, photo.content_hash, result)
            records.append({"photo": str(photo.path), "file": name, **result.record()})
        sample = replace(memory, photos=tuple(chosen),
                         cover=memory.cover if memory.cover in chosen else chosen[0])  # fmt: skip
        plan = plan_collage(sample, photos, self.layouts, long_edge=self.settings.long_edge)
        if plan is not None:
            made = {p.content_hash: r.image for p, r in zip(chosen, results, strict=True)}
            name = f"collage-{self.style.name}.jpg"
            save_labelled(results[0], folder / name, draw_collage(plan, sample, made),
                          location=self._location(*chosen))  # fmt: skip
            self._made_from(folder, name, [p.content_hash for p in chosen],
                            "collage of AI restyles")  # fmt: skip
            outputs["restyled_collage"] = name
        return records

    def encode(
        self,
        memory: Memory,
        path: Path,
        music: Path | None,
        photos: Mapping[str, Photo],
        *,
        strangers: Strangers | None = None,
        route_map: bool = True,
    ) -> list[dict[str, Any]]:
        """Encode the memory's recap; what it left out or did otherwise, as memory.json
        keeps it. With `strangers`, their faces are blurred in every still and followed
        through every clip; without `route_map` a trip's recap has no map."""
        from memories.render.collage import subject_of
        from memories.render.video import encode_video, plan_video

        subjects = {photo.content_hash: subject_of(photo, photos[photo.content_hash])
                    for photo in memory.photos if photo.kind.value == "photo"}  # fmt: skip
        plan = plan_video(memory, photos, subjects, self.look, size=self.frame_size,
                          music=music, route_map=route_map)  # fmt: skip
        if strangers is not None:
            plan = replace(plan, veil=strangers.video_veil(plan))
        threads, location = self.settings.workers, self._location(*memory.photos)
        notes = list(plan.notes)
        write_atomically(
            path,
            lambda partial: notes.extend(encode_video(
                plan, memory, partial, threads=threads, location=location,
                encoder=self._video_encoder())),
            suffix=".mp4",
        )  # fmt: skip
        self._made_from(path.parent, path.name, [photo.content_hash for photo in plan.sources],
                        "recap video")  # fmt: skip
        return [{"path": note.path or None, "reason": note.reason, "left_out": note.left_out}
                for note in notes]  # fmt: skip

    def _made_from(self, folder: Path, name: str, hashes: Sequence[str], what: str) -> None:
        """Content Credentials on an output made from these photos (named by their hashes),
        signed with the library's own key (render/credentials.py)."""
        from memories.render.credentials import sign_made_from, sign_quietly

        missing = sign_quietly(sign_made_from, folder / name, ingredient_hashes=hashes,
                               what=what, folder=self.state_dir or _state_dir(folder))  # fmt: skip
        self.credentials_missing = missing or self.credentials_missing

    def _sign_restyle(self, folder: Path, name: str, original: str, restyled: Restyled) -> None:
        from memories.render.credentials import sign_quietly, sign_restyle

        missing = sign_quietly(sign_restyle, folder / name, original_hash=original,
                               model=restyled.model, style=restyled.style, seed=restyled.seed,
                               strength=restyled.strength,
                               folder=self.state_dir or _state_dir(folder))  # fmt: skip
        self.credentials_missing = missing or self.credentials_missing

    def _video_encoder(self) -> Encoder:
        """The encoder this machine makes recaps with, chosen on the first recap of the run
        (trying a GPU's costs a moment, and the answer is remembered)."""
        from memories.render.encoders import choose_encoder, user_cache_dir

        if self._encoder is None:
            self._encoder = choose_encoder(self.settings.encoder,
                                           cache_dir=user_cache_dir(os.environ))  # fmt: skip
        return self._encoder

    def _location(self, *photos: TimelinePhoto) -> Point | None:
        """Where these photos were taken, for outputs made of them; None unless the user
        asked outputs to keep locations."""
        if not self.settings.keep_location:
            return None
        return middle_of(photo.gps for photo in photos)

    def _still_fingerprint(self, memory: Memory) -> str:
        return _digest(_inputs(memory), self.settings.long_edge, self.settings.layout,
                       self.layouts_as_data, self._located(memory), _route(memory))  # fmt: skip

    def _cover_fingerprint(self, memory: Memory) -> str:
        """What the cover is drawn from: the photos, not the words."""
        return _digest(_pictures(memory), self._located(memory))

    def _video_fingerprint(self, memory: Memory, music: Path | None) -> str:
        heard = None
        if music is not None:
            stat = music.stat()
            heard = [str(music), stat.st_size, stat.st_mtime_ns]
        return _digest(_inputs(memory), self.settings.aspect, self.look_as_data, heard,
                       self._located(memory), _route(memory))  # fmt: skip

    def _located(self, memory: Memory) -> Any:
        """The photos' places and the memory's, in a fingerprint only when outputs carry
        them."""
        if not self.settings.keep_location:
            return None
        return [[photo.gps for photo in memory.photos], self._location(*memory.photos)]


def memory_file_record(
    memory: Memory, outputs: Mapping[str, str], fingerprints: Mapping[str, str],
    music: Path | None,
) -> dict[str, Any]:  # fmt: skip
    """What memory.json holds: what the memory is made of, its outputs, and fingerprints
    of the inputs and settings each output was made from."""
    from memories.contracts import memory_record

    record = memory_record(memory)
    record["photos"] = [
        {"path": str(photo.path), "content_hash": photo.content_hash,
         "taken_at": photo.local_time.isoformat()}
        for photo in memory.photos
    ]  # fmt: skip
    record["outputs"] = dict(sorted(outputs.items()))
    record["music"] = str(music) if music else None
    if outputs.get("map"):
        from memories.render.trip_map import trip_stops

        record["route"] = [stop.name for stop in trip_stops(memory)]
    record["fingerprints"] = dict(fingerprints)
    record["made_by"] = "memories"
    return record


def _route(memory: Memory) -> list[Any]:
    """A trip's stops, as fingerprints see them: its map changes with them."""
    from memories.render.trip_map import trip_stops

    return [[stop.name, stop.latitude, stop.longitude] for stop in trip_stops(memory)]


def _state_dir(memory_folder: Path) -> Path:
    """The library's `.memories/`, beside a memory's folder: where its signing key is."""
    return LibraryFolder(memory_folder.parent).state_dir


def _encoded_now(job: RenderJob, record: Mapping[str, Any]) -> bool:
    """Whether the memory's recap was encoded in this run: its fingerprint is new."""
    made = record.get("fingerprints", {}).get("video")
    before = (job.previous or {}).get("fingerprints", {}).get("video")
    return made is not None and made != before


def _gather_video_notes(report: RenderReport, memory_id: str, record: Mapping[str, Any]) -> None:
    """What a recap encoded in this run left out (files skipped) or changed (notes)."""
    for note in record.get("video_notes", []):
        if note["left_out"]:
            report.left_out.append(Skipped(Path(note["path"] or memory_id),
                                           f"recap of {memory_id}: {note['reason']}"))  # fmt: skip
        else:
            report.notes.append(f"recap of {memory_id}: {note['reason']}")


def _video_stale(folder: Path, done: Mapping[str, str], wanted: str) -> bool:
    """Whether the memory's recap must be encoded: made from other inputs, or missing."""
    return done.get("video") != wanted or not (folder / "recap.mp4").is_file()


def _inputs(memory: Memory) -> Any:
    """What a memory is: its pictures and its words."""
    return [*_pictures(memory), memory.title, memory.dates, memory.place, list(memory.people),
            [[insight.headline, insight.detail] for insight in memory.insights]]  # fmt: skip


def _pictures(memory: Memory) -> Any:
    """What a memory shows, apart from its words."""
    return [
        memory.id, memory.kind.value, memory.cover.content_hash, RENDER_VERSION,
        [[photo.content_hash, [list(box) for _, box in photo.faces]] for photo in memory.photos],
    ]  # fmt: skip


def _point(point: Point | None) -> list[float] | None:
    return [round(value, 6) for value in point] if point is not None else None


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("made_by") == "memories" else None


def _remove_unplanned(root: Path, planned: set[str], scope: RenderScope) -> list[str]:
    """Delete the folders of memories no longer planned (only folders we made)."""
    removed = []
    for path in sorted(root.glob(f"*/{MEMORY_FILE}")):
        if path.parent.name in planned:
            continue
        record = _read_record(path)
        if record is None or record.get("id") != path.parent.name:
            continue
        if scope.covers(str(record.get("kind")), str(record.get("end"))):
            shutil.rmtree(path.parent)
            removed.append(path.parent.name)
    return removed
