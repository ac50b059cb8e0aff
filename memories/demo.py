"""The bundled sample photos, and where `memories demo` builds them."""

from __future__ import annotations

import tempfile
from pathlib import Path

from memories.errors import PhotosFolderMissing
from memories.model import MemoryKind

DEMO_VIDEO_KINDS = frozenset({MemoryKind.EVENT})
"""The demo films only the newest event, to finish in well under a minute."""
DEMO_LOOK = "preview"
"""720p videos: a taste of the real ones, made quickly."""


def sample_photos() -> Path:
    """`sample_photos/` beside the package, as a source checkout (or `pip install -e`) has it."""
    folder = Path(__file__).resolve().parent.parent / "sample_photos"
    if not folder.is_dir():
        raise PhotosFolderMissing(
            f"the sample photos are not here ({folder}): the demo needs a source checkout"
        )
    return folder


def demo_library() -> Path:
    """A stable folder, so that running the demo again only redoes what changed."""
    return Path(tempfile.gettempdir()) / "memories-demo"
