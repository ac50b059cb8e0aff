"""Settings: one frozen dataclass, from defaults, then the config file, then env, then flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from memories.errors import ConfigError


def default_workers() -> int:
    """Worker processes: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run may be told. Config-file keys have the same names as these fields."""

    library: Path = field(default_factory=lambda: Path.home() / "Memories")
    workers: int = field(default_factory=default_workers)


def config_file_path(environ: Mapping[str, str]) -> Path:
    """`$MEMORIES_CONFIG`, else `$XDG_CONFIG_HOME/memories/config.toml` (`~/.config/...`)."""
    if explicit := environ.get("MEMORIES_CONFIG"):
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "memories" / "config.toml"


def load_settings(environ: Mapping[str, str], **flags: Any) -> Settings:
    """Defaults, overridden by the config file, then by `MEMORIES_LIBRARY`, then by flags
    (a flag left at None does not override)."""
    settings = _apply(Settings(), _read_config_file(config_file_path(environ)))
    if library := environ.get("MEMORIES_LIBRARY"):
        settings = replace(settings, library=Path(library).expanduser())
    return _apply(settings, {key: value for key, value in flags.items() if value is not None})


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the config file {path}: {error}") from None


def _apply(settings: Settings, values: Mapping[str, Any]) -> Settings:
    known = {setting.name for setting in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} (known: {', '.join(sorted(known))})")
        if key == "library":
            changes[key] = Path(str(value)).expanduser().absolute()
        elif key == "workers":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"workers must be a whole number of at least 1, not {value!r}")
            changes[key] = value
    return replace(settings, **changes)
