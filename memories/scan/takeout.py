"""Pair Google Takeout sidecars with the media they describe, and read their date and place.

Takeout keeps what it strips from EXIF in JSON files named after the media only loosely: cut to
51 characters (`IMG_1.jpg.suppl.json`), numbered (`IMG_1.jpg(1).json` is `IMG_1(1).jpg`'s).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from memories.scan.dates import from_timestamp_utc
from memories.scan.exif import valid_gps

_MAX_SIDECAR_BYTES = 1_000_000
_NAME_LIMIT = 46
"""Google cuts a sidecar's name to 46 characters before `.json` (51 in all)."""
_SUPPLEMENTAL = ".supplemental-metadata"
_COUNTER = re.compile(r"\((\d+)\)$")
_EXTENSION = re.compile(r"\.[0-9A-Za-z]{1,5}$")
_WITHOUT_EXTENSION = 2  # the spelling of older exports, `IMG_1.json` for `IMG_1.jpg`

EDITED_SUFFIXES = (
    "-edited", "-bearbeitet", "-modifié", "-editado", "-editada", "-ha editado", "-editat",
    "-modificato", "-bewerkt", "-edytowane", "-redigeret", "-redigert", "-redigerad",
    "-muokattu", "-upraveno", "-upravené", "-szerkesztett", "-redaguota", "-編集済み",
    "-編輯", "-已編輯", "-编辑", "-已编辑", "-편집됨", "-отредактировано",
)  # fmt: skip
"""What Google appends, in the account's language, to a copy edited in Google Photos."""

_FOLDER_FILES = frozenset(
    {"metadata.json", "metadaten.json", "métadonnées.json", "metadati.json", "metadatos.json",
     "metadades.json", "print-subscriptions.json", "shared_album_comments.json",
     "user-generated-memory-titles.json"}
)  # fmt: skip
"""JSON files about the album or the account, never about one photo (NFC, casefolded)."""


@dataclass(frozen=True, slots=True)
class TakeoutFacts:
    taken_at: datetime | None = None
    """UTC: Takeout stores a POSIX timestamp (`photoTakenTime`, not the upload time)."""
    gps: tuple[float, float] | None = None
    problem: str | None = None
    """Why a sidecar was ignored ("not valid JSON"); None when it was read or there is none."""


# Matching ------------------------------------------------------------------------------------

_Key = tuple[str, str | None]
"""The media name a sidecar was written for (possibly cut) and its duplicate number."""


class _Sidecar(NamedTuple):
    name: str
    supplemental: bool


@dataclass(frozen=True, slots=True)
class _Index:
    """One folder's sidecars by the media name each was written for, in one spelling of names."""

    spell: Callable[[str], str]
    by_key: dict[_Key, list[_Sidecar]]
    cut_at_limit: dict[_Key, list[_Sidecar]]
    """Sidecars whose name is as long as Google allows, so may be cut inside the base name."""
    limit_lengths: frozenset[int]


def match_sidecars(media_names: Collection[str], json_names: Collection[str]) -> dict[str, str]:
    """Which of one folder's `.json` files describes which of its media files (media -> json).

    Each sidecar goes to its best match only; an edited copy without a sidecar of its own
    shares its original's (`IMG_1-edited.jpg` -> `IMG_1.jpg.json`).
    """
    sidecar_names = set(json_names)
    exact = _index(sidecar_names, _exact)
    # A sidecar named after the whole name is the best match there is: no other claim comes first.
    matches = {
        name: _preferred(own)
        for name in sorted(set(media_names))
        if (own := exact.by_key.get((name, None)))
    }
    rest = sorted(set(media_names) - set(matches))
    if not rest or not sidecar_names:
        return matches
    indexes = (exact, _index(sidecar_names, _loose))
    taken = set(matches.values())
    claims = sorted(
        (rank, media_name, sidecar)
        for media_name in rest
        for rank, sidecar in _claims(media_name, indexes)
    )
    for _, media_name, sidecar in claims:
        if media_name not in matches and sidecar not in taken:
            matches[media_name] = sidecar
            taken.add(sidecar)
    for media_name in rest:
        original = None if media_name in matches else _original_of_edited(media_name)
        best = min(_claims(original, indexes), default=None) if original else None
        if best is not None:
            matches[media_name] = best[1]
    return matches


def _preferred(sidecars: list[_Sidecar]) -> str:
    """The supplemental one, where a photo has both `.json` and `.supplemental-metadata.json`."""
    return min(sidecars, key=lambda sidecar: (not sidecar.supplemental, sidecar.name)).name


def _exact(name: str) -> str:
    return name


def _loose(name: str) -> str:
    """Windows exports change case, and macOS writes accents decomposed."""
    return unicodedata.normalize("NFC", name).casefold()


def _index(json_names: Collection[str], spell: Callable[[str], str]) -> _Index:
    by_key: dict[_Key, list[_Sidecar]] = defaultdict(list)
    cut_at_limit: dict[_Key, list[_Sidecar]] = defaultdict(list)
    for name in json_names:
        parsed = _sidecar_key(name, spell)
        if parsed is None:
            continue
        key, supplemental = parsed
        by_key[key].append(_Sidecar(name, supplemental))
        if not supplemental and _at_name_limit(key[0]):
            cut_at_limit[key].append(_Sidecar(name, supplemental))
    lengths = frozenset(len(core) for core, _ in cut_at_limit)
    return _Index(spell, dict(by_key), dict(cut_at_limit), lengths)


def _sidecar_key(json_name: str, spell: Callable[[str], str]) -> tuple[_Key, bool] | None:
    """`IMG_1.jpg.supplemental-metad(1).json` -> (("IMG_1.jpg", "1"), supplemental)."""
    if json_name[-5:].lower() != ".json":
        return None
    stem = spell(json_name[:-5])
    counter = _COUNTER.search(stem)
    if counter:
        stem = stem[: counter.start()]
    if _loose(stem) + ".json" in _FOLDER_FILES:
        return None
    dot = stem.rfind(".")
    # Any cut of the suffix, down to `IMG_1.jpg..json`; the full media name is still there.
    supplemental = dot > 0 and _SUPPLEMENTAL.startswith(stem[dot:].casefold())
    if supplemental:
        stem = stem[:dot]
        if counter is None:  # `IMG_1.jpg(1).supplemental-metadata.json`
            counter = _COUNTER.search(stem)
            stem = stem[: counter.start()] if counter else stem
    if not stem:
        return None
    return (stem, counter[1] if counter else None), supplemental


def _at_name_limit(core: str) -> bool:
    """Whether a name is as long as Google allows (in characters or, for some, UTF-8 bytes)."""
    return len(core) <= _NAME_LIMIT and len(core.encode("utf-8", "replace")) >= _NAME_LIMIT - 3


def _claims(media_name: str, indexes: tuple[_Index, ...]) -> Iterator[tuple[tuple[int, ...], str]]:
    """Every sidecar that may describe this media file, with a rank: lower is better."""
    for case_pass, index in enumerate(indexes):
        for variant, target in enumerate(_names_written_for(index.spell(media_name))):
            for numbered, name, counter in _duplicate_readings(target):
                for form, spelling, table in _spellings(name, index):
                    if variant and form == _WITHOUT_EXTENSION:
                        continue  # `IMG_1.json` is not `IMG_1.HEIC.jpg`'s, it may be `IMG_1.png`'s
                    for sidecar in table.get((spelling, counter), ()):
                        rank = (case_pass, variant, form, numbered, not sidecar.supplemental)
                        yield rank, sidecar.name


def _names_written_for(media_name: str) -> Iterator[str]:
    """The name itself, then the name before an extension a fixer tool added (`X.HEIC.jpg`)."""
    yield media_name
    base, extension = _split_extension(media_name)
    inner = _split_extension(base)[1]
    if extension and inner and any(char.isalpha() for char in inner):
        yield base


def _duplicate_readings(name: str) -> Iterator[tuple[int, str, str | None]]:
    """`IMG_1(1).jpg` as itself, then as duplicate 1 of `IMG_1.jpg` (numbered, name, counter)."""
    yield 0, name, None
    base, extension = _split_extension(name)
    counter = _COUNTER.search(base)
    if counter and counter.start() > 0:
        yield 1, base[: counter.start()] + extension, counter[1]


def _spellings(name: str, index: _Index) -> Iterator[tuple[int, str, dict[_Key, list[_Sidecar]]]]:
    """How a sidecar may spell the media name, best first: whole, cut in the extension, without
    the extension (older exports), cut inside the base name (only by Google's length limit)."""
    base, _ = _split_extension(name)
    yield 0, name, index.by_key
    for length in range(len(name) - 1, len(base), -1):
        yield 1, name[:length], index.by_key
    if base != name:
        yield _WITHOUT_EXTENSION, base, index.by_key
    for length in index.limit_lengths:
        if length < len(base):
            yield 3, name[:length], index.cut_at_limit


def _split_extension(name: str) -> tuple[str, str]:
    """`IMG_1.jpg` -> (`IMG_1`, `.jpg`); `03.03.13 - 1` has no extension."""
    match = _EXTENSION.search(name)
    if not match or match.start() == 0:
        return name, ""
    return name[: match.start()], match[0]


def _original_of_edited(media_name: str) -> str | None:
    """`IMG_1-edited.jpg` -> `IMG_1.jpg`, `IMG_1-bearbeitet(1).jpg` -> `IMG_1(1).jpg`."""
    base, extension = _split_extension(unicodedata.normalize("NFC", media_name))
    counter = _COUNTER.search(base)
    number = counter[0] if counter else ""
    base = base[: counter.start()] if counter else base
    for suffix in EDITED_SUFFIXES:
        if len(base) > len(suffix) and base[-len(suffix) :].casefold() == suffix:
            return base[: -len(suffix)] + number + extension
    return None


# Reading -------------------------------------------------------------------------------------

_SIDECAR_SECTIONS = ("photoTakenTime", "geoData", "geoDataExif", "creationTime")
_SIDECAR_MARKERS = ("imageViews", "url", "googlePhotosOrigin", "photoLastModifiedTime")


def read_takeout_sidecar(path: Path | None) -> TakeoutFacts:
    """What the sidecar says; nothing when there is none, with a problem when it is not usable."""
    if path is None:
        return TakeoutFacts()
    try:
        with path.open("rb") as file:
            raw = file.read(_MAX_SIDECAR_BYTES + 1)
    except OSError as error:
        return TakeoutFacts(problem=f"cannot be read: {error.strerror or error}")
    if len(raw) > _MAX_SIDECAR_BYTES:
        return TakeoutFacts(problem="too large for a sidecar (over 1 MB)")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested too deep
        return TakeoutFacts(problem="not valid JSON")
    if not _looks_like_takeout(data):
        return TakeoutFacts(problem="not a Google Takeout sidecar")
    timestamp = _number(_field(data, "photoTakenTime", "timestamp"))
    return TakeoutFacts(
        taken_at=from_timestamp_utc(timestamp) if timestamp is not None else None,
        gps=_point(data, "geoData") or _point(data, "geoDataExif"),
    )


def _looks_like_takeout(data: Any) -> bool:
    """Google's keys, not an exiftool dump, an album's metadata.json or some other JSON."""
    if not isinstance(data, dict):
        return False
    if any(isinstance(data.get(section), dict) for section in _SIDECAR_SECTIONS):
        return True
    return isinstance(data.get("title"), str) and any(key in data for key in _SIDECAR_MARKERS)


def _point(data: dict[str, Any], key: str) -> tuple[float, float] | None:
    latitude = _number(_field(data, key, "latitude"))
    longitude = _number(_field(data, key, "longitude"))
    if latitude is None or longitude is None:
        return None
    return valid_gps(latitude, longitude)


def _field(data: dict[str, Any], section: str, name: str) -> Any:
    inner = data.get(section)
    return inner.get(name) if isinstance(inner, dict) else None


def _number(value: Any) -> float | None:
    """Takeout writes numbers as strings ("1423073935"); true, NaN and 1e400 are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
