"""Google Takeout sidecars: which `.json` belongs to which photo, and what it says."""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from datetime import UTC, datetime

import pytest
from conftest import DEVDATA
from hypothesis import given
from hypothesis import strategies as st

from memories.scan.takeout import (
    EDITED_SUFFIXES,
    TakeoutFacts,
    match_sidecars,
    read_takeout_sidecar,
)

GPTH_CASES = DEVDATA / "peers" / "gpth-neo-unit"


def google_cut(stem: str) -> str:
    """The sidecar name Google writes for `stem`: cut to 46 characters, then `.json`."""
    return stem[:46] + ".json"


def matches(media: list[str], sidecars: list[str]) -> dict[str, str]:
    return match_sidecars(media, sidecars)


# Matching: the name shapes of real exports ---------------------------------------------------


def test_sidecar_named_after_the_whole_media_name():
    assert matches(["IMG_1.jpg"], ["IMG_1.jpg.json"]) == {"IMG_1.jpg": "IMG_1.jpg.json"}


def test_supplemental_metadata_sidecar_of_2024_exports():
    sidecar = "IMG_1.jpg.supplemental-metadata.json"
    assert matches(["IMG_1.jpg"], [sidecar]) == {"IMG_1.jpg": sidecar}


def test_supplemental_sidecar_wins_over_the_plain_one():
    sidecars = ["photo.jpg.json", "photo.jpg.supplemental-metadata.json"]
    assert matches(["photo.jpg"], sidecars) == {"photo.jpg": "photo.jpg.supplemental-metadata.json"}


@pytest.mark.parametrize(
    "suffix",
    [".supplemental-meta", ".supplemental-metad", ".supplemen", ".suppl", ".su", ".s", "."],
)
def test_supplemental_suffix_cut_short(suffix):
    sidecar = f"filename_for_truncation.jpg{suffix}.json"
    assert matches(["filename_for_truncation.jpg"], [sidecar]) == {
        "filename_for_truncation.jpg": sidecar
    }


def test_supplemental_suffix_cut_at_googles_limit():
    media = "PXL_20230615_142312345.PORTRAIT.jpg"
    sidecar = google_cut(media + ".supplemental-metadata")
    assert sidecar == "PXL_20230615_142312345.PORTRAIT.jpg.supplement.json"
    assert matches([media], [sidecar]) == {media: sidecar}


def test_media_name_cut_inside_its_extension():
    assert matches(["IMG_1234.JPG"], ["IMG_1234.JP.json"]) == {"IMG_1234.JPG": "IMG_1234.JP.json"}
    media = "verylongname_from_a_messenger_app_2019_0612.jpeg"
    sidecar = google_cut(media)
    assert sidecar == "verylongname_from_a_messenger_app_2019_0612.jp.json"
    assert matches([media], [sidecar]) == {media: sidecar}


def test_media_name_cut_inside_its_base_only_at_googles_limit():
    media = "a_very_long_file_name_somebody_typed_on_a_laptop_2019.jpg"
    assert matches([media], [google_cut(media)]) == {media: google_cut(media)}
    assert matches([media], ["a_very_long_file_name.json"]) == {}


def test_a_cut_name_keeps_the_whole_base_name():
    assert matches(["IMG_12.jpg"], ["IMG_1.json"]) == {}
    assert matches(["IMG_12.jpg"], ["IMG_1.jpg.json"]) == {}


def test_older_exports_drop_the_extension():
    assert matches(["IMG_1.jpg"], ["IMG_1.json"]) == {"IMG_1.jpg": "IMG_1.json"}


def test_name_without_an_extension():
    media = "03.03.13 - 1"
    assert matches([media], ["03.03.13 - 1.json", "03.03.json"]) == {media: "03.03.13 - 1.json"}


@pytest.mark.parametrize(
    "sidecar",
    [
        "photo.jpg(1).json",
        "photo.jpg.supplemental-metadata(1).json",
        "photo.jpg(1).supplemental-metadata.json",
        "photo.jpg.supplem(1).json",
    ],
)
def test_duplicate_number_moves_to_the_end_of_the_sidecar_name(sidecar):
    assert matches(["photo(1).jpg"], [sidecar]) == {"photo(1).jpg": sidecar}


def test_numbered_sidecar_is_never_the_unnumbered_photos():
    assert matches(["photo.jpg"], ["photo.jpg(1).json"]) == {}
    sidecars = ["photo.jpg(1).json", "photo.jpg.json"]
    assert matches(["photo.jpg"], sidecars) == {"photo.jpg": "photo.jpg.json"}


def test_original_and_duplicate_each_get_their_own():
    media = ["photo.jpg", "photo(1).jpg", "photo(2).jpg"]
    sidecars = [
        "photo.jpg.supplemental-metadata.json",
        "photo.jpg.supplemental-metadata(1).json",
        "photo.jpg.supplemental-metadata(2).json",
    ]
    assert matches(media, sidecars) == dict(zip(media, sidecars, strict=True))


def test_exact_name_wins_over_a_numbered_reading():
    sidecars = ["photo(1).jpg.json", "photo.jpg(1).json"]
    assert matches(["photo(1).jpg"], sidecars) == {"photo(1).jpg": "photo(1).jpg.json"}


def test_extension_added_by_a_fixer_tool():
    sidecar = "IMG_2367.HEIC.supplemental-metadata.json"
    assert matches(["IMG_2367.HEIC.jpg"], [sidecar]) == {"IMG_2367.HEIC.jpg": sidecar}


@pytest.mark.parametrize(
    "sidecar",
    ["IMG_2367.HEIC.supplemental-metadata(1).json", "IMG_2367.HEIC(1).supplemental-metadata.json"],
)
def test_extension_added_by_a_fixer_tool_to_a_duplicate(sidecar):
    assert matches(["IMG_2367(1).HEIC.jpg"], [sidecar]) == {"IMG_2367(1).HEIC.jpg": sidecar}


def test_live_photo_pair_each_with_its_own_numbered_sidecar():
    media = ["IMG_2367(1).HEIC.jpg", "IMG_2367(1).MP4"]
    sidecars = [
        "IMG_2367.HEIC.supplemental-metadata(1).json",
        "IMG_2367.MP4.supplemental-metadata(1).json",
    ]
    assert matches(media, sidecars) == dict(zip(media, sidecars, strict=True))


def test_live_photo_video_does_not_take_the_photos_sidecar():
    media = ["IMG_2367.HEIC", "IMG_2367.MP4"]
    assert matches(media, ["IMG_2367.HEIC.json"]) == {"IMG_2367.HEIC": "IMG_2367.HEIC.json"}


def test_fixer_variant_does_not_drop_a_second_extension():
    assert matches(["IMG_1.HEIC.jpg"], ["IMG_1.json"]) == {}


@pytest.mark.parametrize("suffix", EDITED_SUFFIXES)
def test_edited_copy_shares_the_originals_sidecar(suffix):
    media = ["IMG_1.jpg", f"IMG_1{suffix}.jpg"]
    sidecar = "IMG_1.jpg.supplemental-metadata.json"
    assert matches(media, [sidecar]) == {name: sidecar for name in media}


def test_edited_copy_without_its_original_still_finds_the_sidecar():
    assert matches(["IMG_1-edited.jpg"], ["IMG_1.jpg.json"]) == {
        "IMG_1-edited.jpg": "IMG_1.jpg.json"
    }


def test_edited_copy_with_a_sidecar_of_its_own_keeps_it():
    media = ["IMG_1.jpg", "IMG_1-edited.jpg"]
    sidecars = ["IMG_1.jpg.json", "IMG_1-edited.jpg.json"]
    assert matches(media, sidecars) == dict(zip(media, sidecars, strict=True))


def test_edited_copy_of_a_duplicate_and_decomposed_accents():
    assert matches(["IMG_1-edited(1).jpg"], ["IMG_1.jpg(1).json"]) == {
        "IMG_1-edited(1).jpg": "IMG_1.jpg(1).json"
    }
    macos = unicodedata.normalize("NFD", "IMG_1-modifié.jpg")
    assert matches([macos], ["IMG_1.jpg.json"]) == {macos: "IMG_1.jpg.json"}


def test_no_false_positive_from_another_photos_sidecar():
    assert matches(["target_photo.jpg"], ["different_photo.jpg.json"]) == {}


@pytest.mark.parametrize(
    "folder_file",
    ["metadata.json", "Metadaten.json", "métadonnées.json", "metadati.json", "metadatos.json",
     "print-subscriptions.json", "shared_album_comments.json",
     "user-generated-memory-titles.json", "metadata(1).json"],
)  # fmt: skip
def test_album_and_account_files_are_nobodys_sidecar(folder_file):
    stem = folder_file.removesuffix(".json").removesuffix("(1)")
    media = [f"{stem}.jpg", f"{stem}(1).jpg", "IMG_1.jpg"]
    assert matches(media, [folder_file]) == {}


def test_case_sensitive_match_first_then_any_case():
    assert matches(["IMG_1.JPG"], ["IMG_1.jpg.json"]) == {"IMG_1.JPG": "IMG_1.jpg.json"}
    media = ["photo.jpg", "PHOTO.jpg"]
    sidecars = ["PHOTO.jpg.json", "photo.jpg.json"]
    assert matches(media, sidecars) == {
        "photo.jpg": "photo.jpg.json",
        "PHOTO.jpg": "PHOTO.jpg.json",
    }
    assert matches(["photo.jpg"], ["PHOTO.JPG.json", "photo.jpg.json"]) == {
        "photo.jpg": "photo.jpg.json"
    }


def test_decomposed_accents_from_macos_match():
    media = "Café à Lyon.jpg"
    sidecar = unicodedata.normalize("NFD", media) + ".json"
    assert matches([media], [sidecar]) == {media: sidecar}


def test_a_sidecar_goes_to_one_media_file_only():
    found = matches(["photo.jpg", "photo.png"], ["photo.json"])
    assert list(found.values()) == ["photo.json"]


def test_no_sidecars_and_no_media():
    assert matches(["IMG_1.jpg"], []) == {}
    assert matches([], ["IMG_1.jpg.json"]) == {}


# Matching: properties ------------------------------------------------------------------------

_NAME_PIECES = st.sampled_from(
    ["IMG_1", "IMG_12", "photo", "(1)", "(2)", ".jpg", ".JPG", ".HEIC", ".mp4", ".json",
     ".supplemental-metadata", ".suppl", ".", "-edited", "-bearbeitet", "metadata", "é", "e\u0301",
     " ", "~2"]
)  # fmt: skip
_NAMES = st.lists(st.one_of(_NAME_PIECES, st.text(max_size=4)), max_size=6).map("".join)


def _is_edited(name: str) -> bool:
    folded = unicodedata.normalize("NFC", name).casefold()
    return any(suffix in folded for suffix in EDITED_SUFFIXES)


@given(st.lists(_NAMES, max_size=12), st.lists(_NAMES, max_size=12))
def test_each_sidecar_has_at_most_one_owner_besides_edited_copies(media, stems):
    sidecars = [stem + ".json" for stem in stems]
    found = match_sidecars(media, sidecars)
    assert set(found) <= set(media)
    assert set(found.values()) <= set(sidecars)
    owners: dict[str, list[str]] = {}
    for media_name, sidecar in found.items():
        owners.setdefault(sidecar, []).append(media_name)
    for names in owners.values():
        assert sum(not _is_edited(name) for name in names) <= 1, names
    assert match_sidecars(list(reversed(media)), list(reversed(sidecars))) == found


@given(st.lists(st.text(), max_size=8), st.lists(st.text(), max_size=8))
def test_matching_never_raises_on_arbitrary_names(media, sidecars):
    match_sidecars(media, sidecars)


# Matching: the peer project's cases ----------------------------------------------------------


@pytest.mark.devdata
@pytest.mark.skipif(not GPTH_CASES.is_dir(), reason="../shared/devdata is not present")
def test_gpth_neo_cases_match_as_expected():
    expected = [
        entry
        for entry in json.loads((DEVDATA / "peers" / "expected.json").read_text())
        if entry["file"].startswith("gpth-neo-unit/")
    ]
    assert expected
    for entry in expected:
        case = (DEVDATA / "peers" / entry["file"]).parent
        names = [path.name for path in case.iterdir()]
        found = match_sidecars(
            [name for name in names if not name.endswith(".json")],
            [name for name in names if name.endswith(".json")],
        )
        sidecar = entry["sidecar"] and entry["sidecar"].rsplit("/", 1)[1]
        assert found.get(entry["file"].rsplit("/", 1)[1]) == sidecar, entry["file"]
        if sidecar:
            facts = read_takeout_sidecar(case / sidecar)
            taken_at = facts.taken_at and facts.taken_at.isoformat().replace("+00:00", "Z")
            assert taken_at == entry["taken_at_utc"], entry["file"]
            assert facts.gps == (
                (pytest.approx(entry["lat"]), pytest.approx(entry["lon"])) if entry["lat"] else None
            )


# Reading -------------------------------------------------------------------------------------

TAKEOUT_SIDECAR = {
    "title": "IMG_20150204_181855.jpg",
    "description": "",
    "imageViews": "12",
    "creationTime": {"timestamp": "1700000000", "formatted": "Nov 14, 2023, 10:13:20 PM UTC"},
    "photoTakenTime": {"timestamp": "1423073935", "formatted": "Feb 4, 2015, 6:18:55 PM UTC"},
    "geoData": {"latitude": 45.7640, "longitude": 4.8357, "altitude": 170.0,
                "latitudeSpan": 0.0, "longitudeSpan": 0.0},
    "geoDataExif": {"latitude": 45.7641, "longitude": 4.8358, "altitude": 170.0,
                    "latitudeSpan": 0.0, "longitudeSpan": 0.0},
    "url": "https://photos.google.com/photo/AF1QipExample",
    "googlePhotosOrigin": {"mobileUpload": {"deviceType": "ANDROID_PHONE"}},
}  # fmt: skip


@pytest.fixture
def write_sidecar(tmp_path):
    def write(content: object | bytes, name: str = "IMG_1.jpg.json"):
        path = tmp_path / name
        raw = content if isinstance(content, bytes) else json.dumps(content).encode()
        path.write_bytes(raw)
        return path

    return write


def test_real_sidecar_gives_taken_time_and_place(write_sidecar):
    facts = read_takeout_sidecar(write_sidecar(TAKEOUT_SIDECAR))
    assert facts == TakeoutFacts(
        taken_at=datetime(2015, 2, 4, 18, 18, 55, tzinfo=UTC), gps=(45.764, 4.8357)
    )


def test_place_falls_back_to_exif_geodata_when_geodata_is_zero(write_sidecar):
    sidecar = TAKEOUT_SIDECAR | {"geoData": {"latitude": 0.0, "longitude": 0.0, "altitude": 0.0}}
    assert read_takeout_sidecar(write_sidecar(sidecar)).gps == (45.7641, 4.8358)
    no_place = sidecar | {"geoDataExif": {"latitude": 0.0, "longitude": 0.0}}
    facts = read_takeout_sidecar(write_sidecar(no_place))
    assert facts.gps is None
    assert facts.problem is None


def test_upload_time_is_not_the_taken_time(write_sidecar):
    sidecar = {key: value for key, value in TAKEOUT_SIDECAR.items() if key != "photoTakenTime"}
    facts = read_takeout_sidecar(write_sidecar(sidecar))
    assert facts.taken_at is None
    assert facts.problem is None


@pytest.mark.parametrize(
    ("timestamp", "taken_at"),
    [
        (1423073935, datetime(2015, 2, 4, 18, 18, 55, tzinfo=UTC)),
        (1423073935.5, datetime(2015, 2, 4, 18, 18, 55, 500000, tzinfo=UTC)),
        ("0", None),
        (0, None),
        ("-86400", None),
        ("99999999999999", None),
        ("nan", None),
        ("soon", None),
        (True, None),
        (None, None),
        ([1423073935], None),
    ],
)
def test_timestamps_as_strings_or_numbers_and_absurd_ones(write_sidecar, timestamp, taken_at):
    sidecar = TAKEOUT_SIDECAR | {"photoTakenTime": {"timestamp": timestamp}}
    assert read_takeout_sidecar(write_sidecar(sidecar)).taken_at == taken_at


def test_huge_numbers_do_not_overflow(write_sidecar):
    raw = b'{"photoTakenTime": {"timestamp": 1e400}, "geoData": {"latitude": 1e999}}'
    assert read_takeout_sidecar(write_sidecar(raw)) == TakeoutFacts()


@pytest.mark.parametrize(
    "foreign",
    [
        {"test": "data"},
        [{"SourceFile": "IMG_1.jpg", "DateTimeOriginal": "2024:06:14 15:30:12"}],
        {"SourceFile": "IMG_1.jpg", "GPSLatitude": 45.76},
        {"title": "Lyon 2015", "description": "", "access": "protected",
         "date": {"timestamp": "1423073935"}},
        "photoTakenTime",
        None,
        {"photoTakenTime": "1423073935"},
    ],
)  # fmt: skip
def test_other_json_is_not_a_sidecar(write_sidecar, foreign):
    assert read_takeout_sidecar(write_sidecar(foreign)) == TakeoutFacts(
        problem="not a Google Takeout sidecar"
    )


@pytest.mark.parametrize(
    "broken", [b"", b"{", b"\xff\xfe\x00garbage{", b'{"photoTakenTime": ', b"[" * 100_000]
)
def test_broken_bytes_are_not_valid_json(write_sidecar, broken):
    assert read_takeout_sidecar(write_sidecar(broken)) == TakeoutFacts(problem="not valid JSON")


def test_unreadable_and_oversized_sidecars(tmp_path, write_sidecar):
    missing = read_takeout_sidecar(tmp_path / "gone.json")
    assert missing.problem == "cannot be read: No such file or directory"
    assert read_takeout_sidecar(tmp_path).problem.startswith("cannot be read: ")
    oversized = write_sidecar(b" " * 1_000_001 + b"{}")
    assert read_takeout_sidecar(oversized).problem == "too large for a sidecar (over 1 MB)"


def test_no_sidecar_is_no_facts_and_no_problem():
    assert read_takeout_sidecar(None) == TakeoutFacts()


def test_facts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TakeoutFacts().gps = (1.0, 2.0)  # type: ignore[misc]
    assert not hasattr(TakeoutFacts(), "__dict__")


@given(st.binary(max_size=300))
def test_reading_never_raises_on_any_bytes(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("sidecar") / "IMG_1.jpg.json"
    path.write_bytes(raw)
    facts = read_takeout_sidecar(path)
    assert facts.problem or facts.taken_at is None or facts.taken_at.tzinfo is UTC


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "photoTakenTime": _JSON,
            "geoData": _JSON,
            "geoDataExif": _JSON,
            "title": _JSON,
            "url": _JSON,
        },
    )
)
def test_reading_never_raises_on_odd_values_under_googles_keys(tmp_path_factory, sidecar):
    path = tmp_path_factory.mktemp("sidecar") / "IMG_1.jpg.json"
    path.write_text(json.dumps(sidecar))
    facts = read_takeout_sidecar(path)
    if facts.gps is not None:
        assert abs(facts.gps[0]) <= 90 and abs(facts.gps[1]) <= 180
