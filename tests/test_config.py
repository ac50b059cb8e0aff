from pathlib import Path

import pytest

from memories.config import Settings, config_file_path, load_settings
from memories.errors import ConfigError


def write_config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return {"MEMORIES_CONFIG": str(path)}


def test_defaults(tmp_path, monkeypatch):
    settings = load_settings({})
    assert settings.library == Path.home() / "Memories"
    assert settings.workers >= 1


def test_config_file_then_environment_then_flags(tmp_path):
    environ = write_config(tmp_path, 'library = "/from/config"\nworkers = 3\n')
    expected = Settings(library=Path("/from/config"), workers=3, templates=tmp_path,
                        cluster_certificate=tmp_path / "cluster")  # fmt: skip
    assert load_settings(environ) == expected
    environ["MEMORIES_LIBRARY"] = "/from/env"
    assert load_settings(environ).library == Path("/from/env")
    flagged = load_settings(environ, library=Path("/from/flag"), workers=None)
    assert (flagged.library, flagged.workers) == (Path("/from/flag"), 3)


def test_planning_settings(tmp_path):
    environ = write_config(
        tmp_path, 'home = "45.76, 4.84"\ntrip_distance_km = 250\nmax_photos = 30'
    )
    settings = load_settings(environ)
    assert (settings.home, settings.trip_distance_km, settings.max_photos) == (
        (45.76, 4.84),
        250,
        30,
    )


def test_videos_per_run_comes_from_the_config_file_and_is_ten_by_default(tmp_path):
    assert load_settings({}).videos_per_run == 10
    assert load_settings(write_config(tmp_path, "videos_per_run = 3")).videos_per_run == 3


def test_config_file_location_follows_xdg(tmp_path):
    assert config_file_path({"XDG_CONFIG_HOME": "/xdg"}) == Path("/xdg/memories/config.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("libary = '/typo'", "unknown setting 'libary'"),
        ("workers = 0", "workers: must be a whole number"),
        ("workers = 'many'", "workers: must be a whole number"),
        ("videos_per_run = 0", "videos_per_run: must be a whole number"),
        ("home = 'Lyon'", 'home: must be "latitude,longitude"'),
        ("home = '95,10'", "home: '95,10' is not a place on Earth"),
        ("geocoder = 'google'", "geocoder: must be one of offline, nominatim"),
        ("face_device = 'gpu'", "face_device: must be one of auto, cuda, cpu, dlib"),
        ("trip_distance_km = -5", "trip_distance_km: must be a number above 0"),
        ("library = ", "cannot read the config file"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(write_config(tmp_path, text))
