"""The bundled demo library holds what the demo and later stages rely on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from memories import pipeline
from memories.model import DateSource, PhotoKind

SAMPLE_PHOTOS = Path(__file__).resolve().parents[1] / "sample_photos"
KYOTO = (35.0116, 135.7681)
LYON = (45.764, 4.8357)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    from memories.config import Settings

    settings = Settings(library=tmp_path_factory.mktemp("demo") / "Memories", workers=2)
    report = pipeline.scan([SAMPLE_PHOTOS], settings)
    return report, {photo.path.name: photo for photo in pipeline.catalogued_photos(settings)}


def near(point, centre, degrees=0.2) -> bool:
    return point is not None and all(
        abs(a - b) < degrees for a, b in zip(point, centre, strict=True)
    )


def test_small_and_clean(scanned):
    report, photos = scanned
    assert report.skipped == [] and report.exit_status == 0
    assert len(photos) >= 25
    assert sum(path.stat().st_size for path in SAMPLE_PHOTOS.iterdir()) < 8_000_000


def test_events_on_different_days_and_on_this_day(scanned):
    _, photos = scanned
    days = Counter(photo.taken_at.date() for photo in photos.values())
    assert sum(1 for count in days.values() if count >= 3) >= 3
    june_14 = {day.year for day in days if (day.month, day.day) == (6, 14)}
    assert len(june_14) >= 2


def test_a_week_in_kyoto_and_a_home_area(scanned):
    _, photos = scanned
    kyoto = [photo for photo in photos.values() if near(photo.gps, KYOTO)]
    assert len({photo.taken_at.date() for photo in kyoto}) >= 4
    assert all(photo.taken_at.utcoffset().total_seconds() == 9 * 3600 for photo in kyoto)
    assert sum(1 for photo in photos.values() if near(photo.gps, LYON)) >= 10


def test_special_cases_are_present(scanned):
    _, photos = scanned
    kinds = Counter(photo.kind for photo in photos.values())
    assert kinds[PhotoKind.SCREENSHOT] == 1
    assert any(photo.format == "HEIF" and photo.gps for photo in photos.values())
    assert any(photo.orientation == 6 for photo in photos.values())
    assert any(photo.taken_at_source is DateSource.FILENAME and photo.kind is PhotoKind.PHOTO
               for photo in photos.values())  # fmt: skip
    burst = [photo for photo in photos.values() if photo.path.name.startswith("IMG_20240614_1830")]
    assert len(burst) == 3
