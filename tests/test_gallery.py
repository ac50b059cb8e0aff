"""The offline gallery: ordering, one page per memory, escaping, no network, and how it shows in
a real headless Chromium."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image, ImageDraw, ImageStat

from memories.render.gallery import write_gallery

HOSTILE = ["<script>alert(1)</script>", '"onload="x', "../../etc", "&amp;", "line\nbreak"]
ODD_ID = "2021 trip #1 & 100%"
"""A safe folder name that still needs percent-encoding in a link."""
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # Chromium refuses to start as root with its sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, every run of text (character references
    decoded), and the text inside each <script>."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.texts: list[str] = []
        self._in_script = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._in_script:
            self.scripts[-1] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def colourful_jpeg(path: Path, seed: int, size: tuple[int, int] = (400, 300)) -> None:
    """Random discs on a random ground: a picture no blank screenshot could pass for."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y, side = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(30, 160)
        draw.ellipse((x, y, x + side, y + side), fill=tuple(rng.randrange(256) for _ in range(3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=85)


def memory(
    root: Path, memory_id: str, kind: str, end: str, outputs: tuple[str, ...], **fields: Any
) -> dict[str, Any]:
    """A memory.json record, with its cover and collage drawn into root/<id>/."""
    seed = sum(map(ord, memory_id))
    if "cover" in outputs:
        colourful_jpeg(root / memory_id / "cover.jpg", seed)
    if "collage" in outputs:
        colourful_jpeg(root / memory_id / "collage.jpg", seed + 1, (800, 500))
    names = {"cover": "cover.jpg", "collage": "collage.jpg", "video": "recap.mp4"}
    record: dict[str, Any] = {
        "id": memory_id, "kind": kind, "title": memory_id.title(), "dates": "3-9 Apr 2024",
        "start": end[:10] + "T08:00:00", "end": end, "place": "Lisbon", "people": ["Ana"],
        "photos": [
            {"path": "/photos/IMG_0001.jpg", "taken_at": end[:10] + "T09:30:00"},
            {"path": "/photos/my photo #2.jpg", "taken_at": None},
        ],
        "outputs": {key: names[key] for key in outputs},
    }  # fmt: skip
    return record | fields


@pytest.fixture
def gallery(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Six memories of four kinds, one without a video, one with hostile words everywhere."""
    root = tmp_path / "gallery"
    everything = ("cover", "collage", "video")
    records = [
        memory(root, "lisbon", "trip", "2024-04-09T18:00:00", everything),
        memory(root, "midsummer", "event", "2024-06-21T23:30:00", ("cover", "collage")),
        memory(root, "ana", "person", "2024-06-21T23:30:00", everything, people=["Ana", "Ben"]),
        memory(root, "year-2023", "year", "2023-12-31T22:00:00", everything, place=None),
        memory(root, ODD_ID, "trip", "2021-05-02T12:00:00", everything),
        memory(
            root, "hostile", "event", "2020-01-01T12:00:00", everything,
            title=HOSTILE[0], place=HOSTILE[1], dates=HOSTILE[3], people=HOSTILE,
            photos=[{"path": "/photos/<script>x.jpg", "taken_at": '"onerror="y'}],
        ),
    ]  # fmt: skip
    write_gallery(root, records)
    return root, records


def page(root: Path, *parts: str) -> Elements:
    return Elements(root.joinpath(*parts).read_text("utf-8"))


def test_cards_are_newest_first_and_carry_their_kind(gallery: tuple[Path, list[Any]]) -> None:
    root, _ = gallery
    cards = [attrs for attrs in page(root, "index.html").all("a") if attrs.get("data-kind")]
    hrefs = [unquote(str(card["href"])) for card in cards]
    # Two memories end at the same moment: the id breaks the tie.
    assert hrefs == [
        "ana/index.html", "midsummer/index.html", "lisbon/index.html", "year-2023/index.html",
        f"{ODD_ID}/index.html", "hostile/index.html",
    ]  # fmt: skip
    assert [card["data-kind"] for card in cards] == [
        "person", "event", "trip", "year", "trip", "event"
    ]  # fmt: skip
    filters = [attrs["data-filter"] for attrs in page(root, "index.html").all("button")]
    assert filters == ["all", "event", "trip", "person", "year"]


def test_each_card_shows_its_cover_lazily(gallery: tuple[Path, list[Any]]) -> None:
    root, records = gallery
    images = page(root, "index.html").all("img")
    assert len(images) == len(records)
    assert all(image["loading"] == "lazy" for image in images)
    for image in images:
        assert (root / unquote(str(image["src"]))).is_file()
    assert {"Lisbon", HOSTILE[0]} <= {image["alt"] for image in images}


def test_every_memory_gets_its_own_page(gallery: tuple[Path, list[Any]]) -> None:
    root, records = gallery
    for record in records:
        memory_page = page(root, record["id"], "index.html")
        assert memory_page.all("a")[0]["href"] == "../index.html"
        assert [image["src"] for image in memory_page.all("img")] == ["collage.jpg"]
        links = [str(a["href"]) for a in memory_page.all("a")[1:]]
        assert [Path(unquote(link.removeprefix("file://"))) for link in links] == [
            Path(photo["path"]) for photo in record["photos"]
        ]
    lisbon = page(root, "lisbon", "index.html")
    assert lisbon.all("video") == [{"class": "media", "controls": None, "preload": "metadata",
                                    "poster": "cover.jpg"}]  # fmt: skip
    assert lisbon.all("source") == [{"src": "recap.mp4", "type": "video/mp4"}]
    assert not list(root.rglob("*.partial"))


def test_a_memory_without_a_video_has_no_player(gallery: tuple[Path, list[Any]]) -> None:
    root, _ = gallery
    midsummer = page(root, "midsummer", "index.html")
    assert midsummer.all("video") == [] and midsummer.all("source") == []


def test_hostile_words_come_out_inert(gallery: tuple[Path, list[Any]]) -> None:
    root, _ = gallery
    for written in root.rglob("*.html"):
        text = written.read_text("utf-8")
        parsed = Elements(text)
        own_scripts = 1 if written == root / "index.html" else 0
        assert len(parsed.scripts) == own_scripts, written
        assert all("alert" not in script for script in parsed.scripts)
        handlers = [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
        assert handlers == [], written
        assert "<script>alert" not in text and '"onload="' not in text, written
        assert '"onerror="' not in text, written
    # Escaped exactly once: a parser reads back each word as it was given, `&amp;` included.
    for written in (root / "index.html", root / "hostile" / "index.html"):
        texts = Elements(written.read_text("utf-8")).texts
        assert HOSTILE[0] in texts and HOSTILE[3] in texts, written
    assert set(HOSTILE) <= set(page(root, "hostile", "index.html").texts)


def test_ids_are_percent_encoded_in_links(gallery: tuple[Path, list[Any]]) -> None:
    root, _ = gallery
    index = (root / "index.html").read_text("utf-8")
    assert 'href="2021%20trip%20%231%20%26%20100%25/index.html"' in index
    assert (root / ODD_ID / "index.html").is_file()


def test_nothing_points_at_the_network(gallery: tuple[Path, list[Any]]) -> None:
    root, _ = gallery
    for written in root.rglob("*.html"):
        text = written.read_text("utf-8")
        assert "http://" not in text and "https://" not in text, written
        for _, attrs in Elements(text).tags:
            for name in ("src", "href", "poster"):
                link = attrs.get(name) or ""
                assert not link.startswith("//"), (written, link)
                assert urlsplit(link).scheme in ("", "file"), (written, link)


def test_a_trip_page_shows_its_route_map_with_the_stops_in_words(tmp_path: Path) -> None:
    record = memory(tmp_path, "2024-04-03-trip-lisbon", "trip", "2024-04-09T20:00:00",
                    ("cover", "collage"), route=["Lisbon", "Sintra", "Porto"])  # fmt: skip
    record["outputs"]["map"] = "map.jpg"
    colourful_jpeg(tmp_path / record["id"] / "map.jpg", 3, (1600, 900))
    write_gallery(tmp_path, [record])
    shown = page(tmp_path, record["id"], "index.html")
    assert [image["src"] for image in shown.all("img")] == ["collage.jpg", "map.jpg"]
    assert shown.all("img")[1]["alt"] == "Route: Lisbon → Sintra → Porto"
    assert "Lisbon → Sintra → Porto" in (tmp_path / record["id"] / "index.html").read_text()


def test_a_years_page_shows_its_numbers(tmp_path: Path) -> None:
    insights = [{"kind": "days", "headline": "143 days with photos", "detail": "<b>2,210</b>",
                 "value": 143, "photos": ["a", "b"]}]  # fmt: skip
    record = memory(tmp_path, "2024-in-review", "year", "2024-12-30T20:00:00", ("collage",),
                    insights=insights)  # fmt: skip
    write_gallery(tmp_path, [record])
    text = (tmp_path / record["id"] / "index.html").read_text()
    assert "In numbers" in text and "<strong>143 days with photos</strong>" in text
    assert "&lt;b&gt;2,210&lt;/b&gt;" in text, "words come out inert"


def test_an_id_reaching_outside_the_gallery_is_refused(tmp_path: Path) -> None:
    for bad_id in ("../../etc", "..", "", "a/b"):
        record = memory(tmp_path, "x", "trip", "2024-01-01T00:00:00", (), id=bad_id)
        with pytest.raises(ValueError, match="not a plain folder name"):
            write_gallery(tmp_path / "gallery", [record])
    assert not (tmp_path / "gallery").exists()


def test_an_empty_gallery_says_so(tmp_path: Path) -> None:
    index = write_gallery(tmp_path, [])
    text = index.read_text("utf-8")
    assert "0 memories" in text and "No memories yet." in text
    assert Elements(text).all("button") == []


@pytest.fixture
def chromium() -> str:
    debian = Path("/usr/bin/chromium")
    path = str(debian) if debian.exists() else shutil.which("chromium")
    if path:
        return path
    if os.environ.get("MEMORIES_REQUIRE_BROWSER"):
        pytest.fail(
            "MEMORIES_REQUIRE_BROWSER is set, but there is no chromium to run the gallery in"
        )
    pytest.skip("no chromium to render the gallery in")


def run_chromium(chromium: str, profile: Path, *arguments: str) -> str:
    done = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_chromium_draws_the_gallery(
    chromium: str, gallery: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    root, _ = gallery
    shot = tmp_path / "shot.png"
    run_chromium(
        chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,900",
        (root / "index.html").as_uri(),
    )  # fmt: skip
    with Image.open(shot) as image:
        screenshot = image.convert("RGB")
    assert screenshot.size == (1200, 900)
    # A page of text on a plain ground has a few dozen colours; the covers bring thousands.
    assert len(screenshot.getcolors(maxcolors=1 << 20) or []) > 500
    assert min(ImageStat.Stat(screenshot).stddev) > 20


def test_chromium_applies_the_kind_filter_from_the_hash(
    chromium: str, gallery: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    root, _ = gallery
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom",
                       (root / "index.html").as_uri() + "#kind=trip")  # fmt: skip
    parsed = Elements(dom)
    cards = [attrs for attrs in parsed.all("a") if attrs.get("data-kind")]
    shown = [card["data-kind"] for card in cards if "hidden" not in card]
    assert shown == ["trip", "trip"] and len(cards) == 6
    pressed = [b["data-filter"] for b in parsed.all("button") if b["aria-pressed"] == "true"]
    assert pressed == ["trip"]


def test_chromium_shows_a_memory_page(
    chromium: str, gallery: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    root, _ = gallery
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom",
                       (root / ODD_ID / "index.html").as_uri())  # fmt: skip
    parsed = Elements(dom)
    assert [video["poster"] for video in parsed.all("video")] == ["cover.jpg"]
    assert [source["src"] for source in parsed.all("source")] == ["recap.mp4"]
    assert [image["src"] for image in parsed.all("img")] == ["collage.jpg"]
