"""The catalog's tables, as a list of migrations: each takes the schema one version up."""

from __future__ import annotations

SCHEMA_VERSION = 8

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE photos (
        content_hash TEXT PRIMARY KEY,
        format TEXT NOT NULL,
        kind TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        orientation INTEGER NOT NULL,
        taken_at TEXT,
        taken_at_source TEXT,
        latitude REAL,
        longitude REAL,
        camera TEXT,
        duration REAL
    );
    CREATE TABLE files (
        path BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT REFERENCES photos (content_hash),
        error TEXT,
        CHECK ((content_hash IS NULL) <> (error IS NULL))
    );
    CREATE INDEX files_by_content_hash ON files (content_hash);
    """,
    # 1 -> 2: what analysis learnt about each photo, and the opt-in online geocoder's answers
    """
    CREATE TABLE quality (
        content_hash TEXT PRIMARY KEY REFERENCES photos (content_hash) ON DELETE CASCADE,
        sharpness REAL,
        brightness REAL,
        clipped REAL,
        dhash INTEGER,
        error TEXT
    );
    CREATE TABLE geocode_cache (
        provider TEXT NOT NULL,
        latitude REAL NOT NULL,
        longitude REAL NOT NULL,
        place TEXT,
        PRIMARY KEY (provider, latitude, longitude)
    );
    """,
    # 2 -> 3: faces, the people they are grouped into, and which photos were looked at
    """
    CREATE TABLE face_scans (
        content_hash TEXT PRIMARY KEY REFERENCES photos (content_hash) ON DELETE CASCADE,
        error TEXT
    );
    CREATE TABLE people (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT,
        hidden INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE faces (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        content_hash TEXT NOT NULL REFERENCES photos (content_hash) ON DELETE CASCADE,
        box_top INTEGER NOT NULL,
        box_right INTEGER NOT NULL,
        box_bottom INTEGER NOT NULL,
        box_left INTEGER NOT NULL,
        landmarks TEXT NOT NULL,
        encoding BLOB NOT NULL,
        score REAL NOT NULL,
        person_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
        pinned INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX faces_by_photo ON faces (content_hash);
    CREATE INDEX faces_by_person ON faces (person_id);
    """,
    # 3 -> 4: work owed by a run that was stopped between two stages
    """
    CREATE TABLE pending_work (task TEXT PRIMARY KEY);
    """,
    # 4 -> 5: the place each located photo was named after, and by which namer (a photo with
    # a NULL city is nowhere the namer knows: at sea, in a plane)
    """
    CREATE TABLE places (
        content_hash TEXT PRIMARY KEY REFERENCES photos (content_hash) ON DELETE CASCADE,
        namer TEXT NOT NULL,
        city TEXT,
        region TEXT,
        country TEXT,
        country_code TEXT,
        latitude REAL,
        longitude REAL
    );
    """,
    # 5 -> 6: where each date's zone came from, Live Photo and motion photo clips, the photo a
    # file belongs to (a Live Photo's clip, a RAW beside its JPEG), the Takeout sidecar used,
    # and which version of the reader read each file (an older one's files are read again)
    """
    ALTER TABLE photos ADD COLUMN zone_source TEXT;
    ALTER TABLE photos ADD COLUMN content_id TEXT;
    ALTER TABLE photos ADD COLUMN motion_offset INTEGER;
    ALTER TABLE photos ADD COLUMN motion_length INTEGER;
    ALTER TABLE files ADD COLUMN sidecar BLOB;
    ALTER TABLE files ADD COLUMN reader INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE companions (
        content_hash TEXT PRIMARY KEY REFERENCES photos (content_hash) ON DELETE CASCADE,
        of_hash TEXT NOT NULL REFERENCES photos (content_hash) ON DELETE CASCADE,
        role TEXT NOT NULL
    );
    """,
    # 6 -> 7: how sharp each face is (a blurred face does not vote in grouping; faces found
    # before are NULL and count as before)
    """
    ALTER TABLE faces ADD COLUMN sharpness REAL;
    """,
    # 7 -> 8: a person's birthday, as the user gave it (an ISO date; NULL: not given)
    """
    ALTER TABLE people ADD COLUMN birthday TEXT;
    """,
)
assert len(MIGRATIONS) == SCHEMA_VERSION
