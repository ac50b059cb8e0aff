"""How `memories scan --json` agrees with what other photo tools' test suites expect.

    python benchmarks/peers.py [--peers ../shared/devdata/peers] [--memories PATH]
                               [--json-out FILE] [--verbose]

Scans the peers folder (real files from PhotoPrism's and ExifTool's test suites and Google
Takeout sidecar cases) once, through the CLI, into a throwaway library with the default
settings (no config file), then scores every established value in peers/expected.json; a
null there is not established and is never scored. Per file:
  - read: listed without error; a 0-byte placeholder must be skipped, a .THM thumbnail must
    not be listed as a photo, a truncated file may be skipped with a reason;
  - kind: photo/panorama, screenshot, video (or a photo's companion), animated (ours
    "other"), raw (format RAW), motion photo (a photo with its clip's offset); an image
    under 320 px without camera metadata may be "other" (counted right, tallied apart);
  - taken_at_local and utc_offset: our taken_at's wall clock (to the second) and offset;
  - taken_at_utc: ours, else our taken_at when it has an offset (to the second);
  - gps within 1e-4 degrees, size (as displayed) equal, duration_s within 0.05 s or 1%;
  - sidecar: the Takeout sidecar we used; live_pair: the clip or companion we paired.
A byte-identical copy without an object of its own is scored with its original's object.
Prints a table per field, the misses (all with --verbose), and the scan's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEVDATA_PEERS = Path(__file__).resolve().parents[2] / "shared" / "devdata" / "peers"
FIELDS = ("read", "kind", "taken_at_local", "utc_offset", "taken_at_utc", "gps", "size",
          "duration_s", "sidecar", "live_pair")  # fmt: skip
GPS_TOLERANCE = 1e-4
TINY_EDGE = 320
TINY_AS_OTHER = "other (tiny, no camera)"
MISSES_SHOWN = 10

Record = dict[str, Any]


class ScanFailed(Exception):
    """`memories scan` could not run, or did not print a JSON list."""


@dataclass(frozen=True)
class Found:
    """What the scan says about one expected file: its own object, or its original's."""

    record: Record | None
    original: Path | None = None


@dataclass(frozen=True)
class Scan:
    """The scan's objects by resolved path, and the folder it scanned."""

    peers: Path
    lookup: dict[Path, Found]


@dataclass(frozen=True)
class Verdict:
    field: str
    file: str
    right: bool
    expected: str
    ours: str
    tiny_as_other: bool = False
    via_duplicate: bool = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=DEVDATA_PEERS)
    parser.add_argument("--memories", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    peers = args.peers.resolve()
    try:
        expected = json.loads((peers / "expected.json").read_text(encoding="utf-8"))
        memories = args.memories or default_memories()
        records, seconds, exit_code = run_scan(memories, peers)
    except (OSError, ValueError, ScanFailed) as error:
        print(f"peers: cannot score the scan: {error}", file=sys.stderr)
        sys.exit(2)

    scan = Scan(peers, index_records(records))
    verdicts = [v for entry in expected for v in score_entry(entry, scan)]
    skipped = sum(1 for record in records if record.get("error"))
    print(f"peers: {len(expected)} expected files in {peers}")
    print(
        f"scan: {len(records)} objects ({skipped} skipped) in {seconds:.2f} s wall, "
        f"exit code {exit_code}, with {memories}\n"
    )
    print_table(verdicts)
    print_misses(verdicts, verbose=args.verbose)
    right = sum(v.right for v in verdicts)
    print(
        f"\ntotal: {len(verdicts)} established, {right} right, {len(verdicts) - right} wrong "
        f"({percent(right, len(verdicts))}% right); scan {seconds:.2f} s"
    )
    if args.json_out:
        args.json_out.write_text(json.dumps(report(verdicts, seconds, exit_code), indent=2))


def default_memories() -> Path:
    beside = Path(sys.executable).parent / "memories"
    if beside.is_file():
        return beside
    if on_path := shutil.which("memories"):
        return Path(on_path)
    raise ScanFailed("no memories executable beside this Python or on PATH (use --memories)")


def run_scan(memories: Path, peers: Path) -> tuple[list[Record], float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        # The user's config (home, geocoder) would change the answers: use the defaults.
        environ = {**os.environ, "MEMORIES_CONFIG": str(Path(scratch) / "absent.toml")}
        command = [str(memories), "scan", str(peers), "--library", str(Path(scratch) / "lib")]
        command += ["--json", "--workers", "2"]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=environ)
        except OSError as error:
            raise ScanFailed(f"{memories}: {error}") from None
        seconds = time.perf_counter() - started
    # A crash also exits 1 (Python's code for an uncaught exception): the output tells.
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    if done.returncode not in (0, 1):
        raise ScanFailed(f"exit code {done.returncode}: {last}")
    try:
        records = json.loads(done.stdout)
    except ValueError:
        raise ScanFailed(f"exit code {done.returncode}, no JSON on stdout: {last}") from None
    if not isinstance(records, list):
        raise ScanFailed(f"exit code {done.returncode}, its JSON is not a list: {last}")
    return records, seconds, done.returncode


def index_records(records: list[Record]) -> dict[Path, Found]:
    lookup = {Path(r["path"]).resolve(): Found(r) for r in records if r.get("path")}
    for record in records:
        for copy in record.get("duplicates") or []:
            # A copy's own object, when it has one, wins over its original's.
            lookup.setdefault(Path(copy).resolve(), Found(record, Path(record["path"])))
    return lookup


SIDECAR_FIELDS = frozenset({"sidecar", "taken_at_local", "utc_offset", "taken_at_utc", "gps"})
"""What a Takeout sidecar decides: a byte-identical copy beside another sidecar is one photo
in the scan, with the facts of one of them, so these are not scored through its original."""
NOT_SCORED: list[str] = []


def score_entry(entry: Record, scan: Scan) -> list[Verdict]:
    file = entry["file"]
    found = scan.lookup.get((scan.peers / file).resolve(), Found(None))
    record = found.record or {}
    via = found.original is not None
    read = Verdict("read", file, *check_read(entry, found.record), via_duplicate=via)
    verdicts = [read]
    if read.right and (found.record is None or record.get("error")):
        return verdicts  # rightly skipped or not listed: nothing else to score
    has_copies = via or bool(record.get("duplicates"))
    own_sidecar = has_copies and (entry.get("sidecar") or record.get("sidecar"))
    for field, check in CHECKS.items():
        if own_sidecar and field in SIDECAR_FIELDS and established(entry, field):
            NOT_SCORED.append(f"{field} {file}")
            continue
        if established(entry, field):
            right, expected, ours = check(entry, record, scan)
            if not right and not found.record:
                ours = "absent"
            elif not right and record.get("error"):
                ours = f"skipped: {record['error']}"
            tiny = right and field == "kind" and ours == TINY_AS_OTHER
            verdicts.append(Verdict(field, file, right, expected, ours, tiny, via))
    return verdicts


def established(entry: Record, field: str) -> bool:
    if field == "kind":
        return entry["kind"] not in ("placeholder", "thumbnail_sidecar")
    if field == "gps":
        return entry.get("lat") is not None and entry.get("lon") is not None
    if field == "size":
        return entry.get("width") is not None and entry.get("height") is not None
    return entry.get(field) is not None


def check_read(entry: Record, record: Record | None) -> tuple[bool, str, str]:
    error = (record or {}).get("error")
    ours = "absent" if record is None else f"skipped: {error}" if error else "read"
    ours_kind = (record or {}).get("kind")
    if entry["kind"] == "placeholder":
        return bool(error), "skipped", ours
    if entry["kind"] == "thumbnail_sidecar":
        right = record is None or bool(error) or ours_kind == "other"
        return right, "absent, or kind other", ours if ours != "read" else f"kind {ours_kind}"
    if "TRUNCATED JPEG" in (entry.get("notes") or ""):
        return record is not None, "read, or skipped with a reason", ours
    return record is not None and not error, "read", ours


def check_kind(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    kind, ours = entry["kind"], record.get("kind")
    motion = record.get("motion") or {}
    shown = f"{ours} ({record.get('format')})"
    if kind in ("photo", "panorama"):
        if ours == "other" and is_tiny(entry, record):
            return True, kind, TINY_AS_OTHER
        return ours == "photo", "photo", shown
    if kind == "screenshot":
        return ours == "screenshot", kind, shown
    if kind == "video":
        companion = record.get("companion_of")
        return ours == "video" or bool(companion), "video", f"{shown}, companion_of {companion}"
    if kind == "animated":
        return ours == "other", "other (animated)", shown
    if kind == "raw":
        return ours == "photo" and record.get("format") == "RAW", "photo (RAW)", shown
    if kind == "motion_photo":
        has_clip = motion.get("offset") is not None
        return ours == "photo" and has_clip, "photo with motion offset", f"{shown}, motion {motion}"
    return False, kind, shown


def is_tiny(entry: Record, record: Record) -> bool:
    width = record.get("width") or entry.get("width") or 0
    height = record.get("height") or entry.get("height") or 0
    return max(width, height) < TINY_EDGE and not record.get("camera")


def check_local(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    taken_at = parse_time(record.get("taken_at"))
    ours = taken_at.replace(tzinfo=None, microsecond=0) if taken_at else None
    expected = datetime.fromisoformat(entry["taken_at_local"]).replace(microsecond=0)
    return ours == expected, expected.isoformat(), show(record.get("taken_at"))


def check_offset(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    taken_at = parse_time(record.get("taken_at"))
    ours = taken_at.utcoffset() if taken_at else None
    expected = datetime.fromisoformat(f"2000-01-01T00:00:00{entry['utc_offset']}").utcoffset()
    shown = format_offset(ours) if ours is not None else f"none ({show(record.get('taken_at'))})"
    return ours == expected, entry["utc_offset"], shown


def check_utc(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    ours, shown = parse_time(record.get("taken_at_utc")), show(record.get("taken_at_utc"))
    if ours is None:
        taken_at = parse_time(record.get("taken_at"))
        ours = taken_at if taken_at and taken_at.utcoffset() is not None else None
        shown = f"from taken_at {show(record.get('taken_at'))}"
    expected = datetime.fromisoformat(entry["taken_at_utc"])
    right = ours is not None and to_second(as_utc(ours)) == to_second(as_utc(expected))
    return right, entry["taken_at_utc"], shown


def check_gps(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    gps = record.get("gps")
    right = isinstance(gps, list) and len(gps) == 2
    right = right and all(
        abs(ours - expected) <= GPS_TOLERANCE
        for ours, expected in zip(gps or [], (entry["lat"], entry["lon"]), strict=True)
    )
    return right, f"{entry['lat']}, {entry['lon']}", show(gps)


def check_size(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    ours = (record.get("width"), record.get("height"))
    expected = (entry["width"], entry["height"])
    return ours == expected, "{}x{}".format(*expected), "{}x{}".format(*ours)


def check_duration(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    ours, expected = record.get("duration"), entry["duration_s"]
    right = ours is not None and abs(ours - expected) <= max(0.05, 0.01 * expected)
    return right, f"{expected} s", show(ours)


def check_sidecar(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    ours = path_of(record.get("sidecar"))
    right = ours is not None and ours == path_of(scan.peers / entry["sidecar"])
    return right, entry["sidecar"], show(relative(ours, scan.peers) if ours else None)


def check_live_pair(entry: Record, record: Record, scan: Scan) -> tuple[bool, str, str]:
    motion = record.get("motion") or {}
    clip = path_of(motion.get("path"))
    shown = f"motion {show(motion or None)}, companion_of {show(record.get('companion_of'))}"
    file = path_of(scan.peers / entry["file"])
    if entry["live_pair"] == "embedded":
        right = clip is not None and clip in (file, path_of(record.get("path")))
        return right, "embedded", shown
    pair = path_of(scan.peers / entry["live_pair"])
    # The relation may be stated from either side: the MOV is the companion of the photo.
    theirs = scan.lookup.get(pair, Found(None)).record or {} if pair else {}
    right = pair in (clip, path_of(record.get("companion_of")))
    right = right or path_of(theirs.get("companion_of")) == file
    return right, entry["live_pair"], shown


CHECKS: dict[str, Callable[[Record, Record, Scan], tuple[bool, str, str]]] = {
    "kind": check_kind,
    "taken_at_local": check_local,
    "utc_offset": check_offset,
    "taken_at_utc": check_utc,
    "gps": check_gps,
    "size": check_size,
    "duration_s": check_duration,
    "sidecar": check_sidecar,
    "live_pair": check_live_pair,
}


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def as_utc(moment: datetime) -> datetime:
    """An instant without an offset is already UTC (what `taken_at_utc` promises)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_offset(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def to_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def path_of(value: Any) -> Path | None:
    """A path from the scan or from expected.json, resolved so that both compare alike."""
    return Path(value).resolve() if isinstance(value, str | Path) and str(value) else None


def relative(path: Path, peers: Path) -> str:
    return str(path.relative_to(peers)) if path.is_relative_to(peers) else str(path)


def show(value: Any) -> str:
    return "none" if value is None else str(value)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "-"


def tally(verdicts: list[Verdict]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for field in FIELDS:
        scored = [v for v in verdicts if v.field == field]
        right = sum(v.right for v in scored)
        counts[field] = {"established": len(scored), "right": right, "wrong": len(scored) - right}
    return counts


def print_table(verdicts: list[Verdict]) -> None:
    print(f"{'field':<16} {'established':>11} {'right':>6} {'wrong':>6} {'% right':>8}")
    for field, counts in tally(verdicts).items():
        established, right, wrong = counts["established"], counts["right"], counts["wrong"]
        share = percent(right, established)
        print(f"{field:<16} {established:>11} {right:>6} {wrong:>6} {share:>8}")
    tiny = sum(v.tiny_as_other for v in verdicts)
    copies = len({v.file for v in verdicts if v.via_duplicate})
    print(f"\nkind right as 'tiny as other' (under {TINY_EDGE} px, no camera): {tiny}")
    print(f"files scored with a byte-identical original's object: {copies}")
    print(
        f"not scored: {len(NOT_SCORED)} sidecar-decided values of byte-identical copies that "
        "sit beside sidecars of their own"
    )


def print_misses(verdicts: list[Verdict], *, verbose: bool) -> None:
    misses = [v for v in verdicts if not v.right]
    print(f"\nmisses ({len(misses)}): field  file  expected  ours")
    if not misses:
        return
    width = min(max(len(v.file) for v in misses), 72)
    for field in FIELDS:
        of_field = [v for v in misses if v.field == field]
        shown = of_field if verbose else of_field[:MISSES_SHOWN]
        for v in shown:
            copy = "  [scored via its original]" if v.via_duplicate else ""
            print(f"{v.field:<15} {v.file:<{width}}  {v.expected:<28}  {v.ours}{copy}")
        if len(shown) < len(of_field):
            print(f"{field:<15} ... and {len(of_field) - len(shown)} more (--verbose lists all)")


def report(verdicts: list[Verdict], seconds: float, exit_code: int) -> dict[str, Any]:
    return {
        "scan_seconds": round(seconds, 3),
        "scan_exit_code": exit_code,
        "fields": tally(verdicts),
        "established": len(verdicts),
        "right": sum(v.right for v in verdicts),
        "tiny_as_other": sum(v.tiny_as_other for v in verdicts),
        "misses": [asdict(v) for v in verdicts if not v.right],
    }


if __name__ == "__main__":
    main()
