"""The SQLite catalog of a library: files, photos, what analysis learnt, faces and people."""

from memories.catalog.faces import FaceOnPhoto, PersonSummary
from memories.catalog.schema import SCHEMA_VERSION
from memories.catalog.store import Catalog, FileState, catalog_problem, set_catalog_aside

__all__ = [
    "SCHEMA_VERSION",
    "Catalog",
    "FaceOnPhoto",
    "FileState",
    "PersonSummary",
    "catalog_problem",
    "set_catalog_aside",
]
