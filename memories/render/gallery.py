"""The offline gallery: an index of every memory as a card and one page per memory, plain HTML
that opens straight from disk with no server and nothing fetched from the network."""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from memories.language import ENGLISH, Language, language
from memories.render.files import save_text

KIND_ORDER = ("event", "trip", "on_this_day", "person", "year", "place", "season", "month",
              "together", "person_year", "birthday", "then_and_now")  # fmt: skip
"""Filter buttons follow this order; a kind not listed here still gets a button, after these.
Their labels, and every word of the pages, are in the language files' `[gallery]` and
`[kinds]` (memories.language)."""


PAGE = "index.html"
PAGE_VERSION = 2
"""Raised when `memory_page` writes something else for the same record and template, so that
every memory's page is written again."""


def write_gallery(
    root: Path, records: Sequence[Mapping[str, Any]], *, language: str = ENGLISH
) -> Path:
    """Write root/index.html (every memory as a card) and root/<id>/index.html (one page per
    memory); return the index path."""
    index = write_index(root, records, language=language)  # checks every id first
    for record in records:
        write_memory_page(root, record)
    return index


def write_index(
    root: Path, records: Sequence[Mapping[str, Any]], *, language: str = ENGLISH
) -> Path:
    """Write root/index.html, every memory as a card, newest first, in `language`; return
    its path."""
    for record in records:
        _check_id(record["id"])
    by_id = sorted(records, key=lambda record: record["id"])
    newest_first = sorted(by_id, key=lambda record: record["end"], reverse=True)
    index = root / PAGE
    save_text(index_page(newest_first, language), index)
    return index


def write_memory_page(root: Path, record: Mapping[str, Any]) -> None:
    """Write root/<id>/index.html, the memory's own page."""
    _check_id(record["id"])
    save_text(memory_page(record), root / record["id"] / PAGE)


def page_fingerprint() -> tuple[int, str]:
    """What a memory's page is made from besides its record: a change here means every page
    must be written again (a re-run otherwise leaves the pages of unchanged memories alone)."""
    return PAGE_VERSION, _template("memory.html").template


def index_page(records: Sequence[Mapping[str, Any]], code: str = ENGLISH) -> str:
    """The index: a count, a filter button per kind present, and the cards in the given order."""
    words = language(code)
    kinds = {record["kind"] for record in records}
    ordered_kinds = [kind for kind in KIND_ORDER if kind in kinds]
    ordered_kinds += sorted(kinds - set(KIND_ORDER))
    filters = [_filter_button("all", words.say("gallery", "all"))] if records else []
    filters += [_filter_button(kind, words.kind(kind)) for kind in ordered_kinds]
    cards = [_card(record, words) for record in records]
    if not cards:
        cards = [f'<p class="empty">{_escape(words.say("gallery", "empty"))}</p>']
    return _template("index.html").substitute(
        lang=words.code, memories=_escape(words.say("gallery", "memories")),
        count=_escape(words.say("gallery", "count", count=len(records))),
        filters="\n".join(filters), cards="\n".join(cards),
    )  # fmt: skip


def memory_page(record: Mapping[str, Any]) -> str:
    """One memory's page, with links relative to its own folder, in the language of its
    words."""
    words = language(record.get("language") or ENGLISH)
    say = functools.partial(words.say, "gallery")
    outputs: Mapping[str, str] = record.get("outputs") or {}
    photos = [_photo_item(photo, words) for photo in record.get("photos") or []]
    when_and_where = [part for part in (record.get("dates"), record.get("place")) if part]
    title, route = record["title"], _route_words(record)
    return _template("memory.html").substitute(
        lang=words.code,
        memories=_escape(say("memories")),
        back=_escape(say("back")),
        title=_escape(title),
        kind=_escape(words.kind(record["kind"])),
        meta=" · ".join(_escape(part) for part in when_and_where),
        people=_people_list(record.get("people") or [], say("people")),
        video=_video(outputs),
        collage=_figure(outputs.get("collage"), say("collage", title=title))
        + _figure(outputs.get("restyled_collage"), say("restyle", title=title),
                  say("restyle_caption"))
        + _figure(outputs.get("map"), say("route", route=route), route),
        insights=_insights(record.get("insights") or [], say("in_numbers")),
        photo_count=_escape(say("photos", count=len(photos))),
        photos="\n".join(photos),
    )  # fmt: skip


def _insights(insights: Sequence[Mapping[str, Any]], heading: str) -> str:
    """A year's numbers as cards: each headline with its detail."""
    if not insights:
        return ""
    cards = "".join(
        f"<li><strong>{_escape(card['headline'])}</strong><span>{_escape(card['detail'])}</span>"
        "</li>" for card in insights
    )  # fmt: skip
    return f'<h2>{_escape(heading)}</h2><ul class="insights">{cards}</ul>'


def _route_words(record: Mapping[str, Any]) -> str:
    """A trip's stops in order, as its map's caption: "Lyon → Annecy → Geneva"."""
    return " → ".join(record.get("route") or [])


def _card(record: Mapping[str, Any], words: Language) -> str:
    folder = _url(record["id"])
    outputs: Mapping[str, str] = record.get("outputs") or {}
    # A memory rendered without a cover still gets a picture when it has a collage.
    picture = outputs.get("cover") or outputs.get("collage")
    image = (
        f'<img src="{_escape(folder + "/" + _url(picture))}" loading="lazy" '
        f'alt="{_escape(record["title"])}">'
        if picture
        else ""
    )
    details = [record.get("dates"), record.get("place"), ", ".join(record.get("people") or [])]
    lines = "".join(f"<p>{_escape(detail)}</p>" for detail in details if detail)
    kind = record["kind"]
    return (
        f'<a class="card" href="{_escape(folder + "/index.html")}" data-kind="{_escape(kind)}">'
        f'<div class="cover">{image}<span class="kind">{_escape(words.kind(kind))}</span></div>'
        f'<div class="info"><h2 dir="auto">{_escape(record["title"])}</h2>{lines}</div></a>'
    )


def _filter_button(kind: str, label: str) -> str:
    return (
        f'<button type="button" data-filter="{_escape(kind)}" aria-pressed="false">'
        f"{_escape(label)}</button>"
    )


def _people_list(people: Sequence[str], label: str) -> str:
    if not people:
        return ""
    items = "".join(f'<li dir="auto">{_escape(name)}</li>' for name in people)
    return f'<ul class="people" aria-label="{_escape(label)}">{items}</ul>'


def _video(outputs: Mapping[str, str]) -> str:
    if not outputs.get("video"):
        return ""
    poster = f' poster="{_escape(_url(outputs["cover"]))}"' if outputs.get("cover") else ""
    return (
        f'<figure><video class="media" controls preload="metadata"{poster}>'
        f'<source src="{_escape(_url(outputs["video"]))}" type="video/mp4"></video></figure>'
    )


def _figure(name: str | None, alt: str, caption: str | None = None) -> str:
    """An image of the memory's folder; the restyled collage is captioned as AI-made, so it
    is never passed off as a photo."""
    if not name:
        return ""
    label = f"<figcaption>{_escape(caption)}</figcaption>" if caption else ""
    image = f'<img class="media" src="{_escape(_url(name))}" alt="{_escape(alt)}">'
    return f"<figure>{image}{label}</figure>"


def _photo_item(photo: Mapping[str, Any] | str, words: Language) -> str:
    if isinstance(photo, str):  # `memories list --json` gives bare paths, not memory.json's
        photo = {"path": photo}
    path = Path(photo["path"])
    # Relative paths have no meaningful file:// URI, so they are shown but not linked.
    name = (
        f'<a href="{_escape(path.as_uri())}">{_escape(path.name)}</a>'
        if path.is_absolute()
        else f"<span>{_escape(path.name)}</span>"
    )
    return f"<li>{name}{_taken_at(photo.get('taken_at'), words)}</li>"


def _taken_at(taken_at: str | None, words: Language) -> str:
    if not taken_at:
        return f'<span class="undated">{_escape(words.say("gallery", "date_unknown"))}</span>'
    try:
        shown = words.moment(datetime.fromisoformat(taken_at))
    except ValueError:
        shown = taken_at
    return f'<time datetime="{_escape(taken_at)}">{_escape(shown)}</time>'


def _check_id(memory_id: str) -> None:
    """Ids become folder names under the gallery root, so one must never reach outside it."""
    if memory_id in ("", ".", "..") or any(char in memory_id for char in "/\\\0"):
        raise ValueError(f"memory id {memory_id!r} is not a plain folder name")


def _url(part: str) -> str:
    """One path segment, percent-encoded so that `#`, `?`, spaces and the like stay literal."""
    return quote(part, safe="")


def _escape(value: object) -> str:
    """Safe both as element text and inside a double- or single-quoted attribute. Bytes of a
    file name that are not UTF-8 show as U+FFFD, as on the command line."""
    text = str(value)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte
        text = text.encode("utf-8", "replace").decode("utf-8")
    return html.escape(text, quote=True)


@functools.cache
def _template(name: str) -> Template:
    return Template((files("memories") / "templates" / "gallery" / name).read_text("utf-8"))

