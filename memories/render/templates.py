"""The data that shapes outputs (collage layouts, video looks): TOML files shipped in
`memories/templates/<kind>/`, plus the user's own in `~/.config/memories/<kind>/`."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

from memories.errors import ConfigError

_Template = TypeVar("_Template")


def load_templates(
    kind: str, shape: type[_Template], user_folder: Path | None = None
) -> dict[str, _Template]:
    """Every template of `kind` by name (the file's stem), the user's overriding ours."""
    found: dict[str, _Template] = {}
    packaged = files("memories") / "templates" / kind
    sources: list[Any] = sorted(
        (entry for entry in packaged.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    if user_folder is not None and user_folder.is_dir():
        sources += sorted(user_folder.glob("*.toml"))
    for source in sources:
        name = source.name.removesuffix(".toml")
        found[name] = _parse(name, source.read_text(encoding="utf-8"), shape, kind)
    return found


def pick_template(templates: dict[str, _Template], name: str, kind: str) -> _Template:
    """The template called `name`, or a one-line error listing the ones there are."""
    if name not in templates:
        raise ConfigError(f"no {kind} called {name!r} (there are: {', '.join(sorted(templates))})")
    return templates[name]


def _parse(name: str, text: str, shape: type[_Template], kind: str) -> _Template:
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the {kind} {name!r} is not valid TOML: {error}") from None
    known = {field.name for field in fields(shape)}  # type: ignore[arg-type]
    if unknown := sorted(set(values) - known):
        raise ConfigError(f"the {kind} {name!r} has unknown keys: {', '.join(unknown)}")
    try:
        return shape(name=name, **values)  # type: ignore[call-arg]
    except (TypeError, ValueError) as error:
        raise ConfigError(f"the {kind} {name!r}: {error}") from None
