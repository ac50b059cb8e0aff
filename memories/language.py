"""The language memories speaks in its outputs: titles, dates and date ranges, the words on
cards and gallery pages. Phrases are data, one file per language (`languages/*.toml`),
with CLDR's plural rules; dates, lists of names and country names come from CLDR through
Babel. The planner words memories in English and records what each title says
(`model.Phrase`); `localized` says it again in another language, leaving ids alone."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from memories.errors import ConfigError
from memories.model import Memory, Phrase, Place

if TYPE_CHECKING:
    from babel import Locale

SUPPORTED = ("en", "de", "fr", "es", "it", "nl", "pt", "ja", "zh", "pl")
ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    code: str
    phrases: Mapping[str, Any]

    def say(self, section: str, key: str, *, count: int | None = None, **values: Any) -> str:
        """The phrase `section.key` with `values` filled in; a phrase by number takes the
        form CLDR's plural rule gives `count` in this language."""
        phrase = self.phrases[section][key]
        if isinstance(phrase, Mapping):
            phrase = phrase.get(self._plural(count or 0), phrase["other"])
        shown = self.number(count) if count is not None else None
        return str(phrase).format(count=shown, **values)

    def number(self, value: int) -> str:
        """`1,240` in English, `1.240` in German."""
        from babel.numbers import format_decimal

        if self.code == ENGLISH:
            return f"{value:,}"
        return str(format_decimal(value, locale=self.code))

    def days_in_year(self, start: date, end: date | None = None) -> str:
        """`14 June`, `3-14 August`, `30 July - 2 August`: days within a year the words
        already name (a year in review's)."""
        from babel.dates import format_interval, format_skeleton

        if self.code == ENGLISH:
            return _english_days(start, end)
        if end is None or end == start:
            return format_skeleton("MMMMd", start, locale=self.code)
        return format_interval(start, end, "MMMMd", locale=self.code)

    def some_of(self, names: Sequence[str], shown: int) -> str:
        """`Kyoto, Osaka and Nara`, or `Kyoto, Osaka, Nara and 4 more`."""
        if len(names) > shown:
            return self.say("insights", "more", names=", ".join(names[:shown]),
                            count=len(names) - shown)  # fmt: skip
        return self.people(names)

    def title(self, phrase: Phrase, place: str | None, *, country: bool = False) -> str:
        """A memory's title from what it says; `place` (in this language) is its place, a
        country (or two) when `country`."""
        values = dict(phrase.values)
        key = "trip_to_country" if phrase.key == "trip_to" and country else phrase.key
        if "place" in values and place is not None:
            values["place"] = place
        if key == "month":
            from babel.dates import format_skeleton

            title = format_skeleton("yMMMM", date(values["year"], values["month"], 1),
                                    locale=self.code)  # fmt: skip
        elif key in ("season", "season_across"):
            values["season"] = self.say("seasons", values["season"])
            title = self.say("titles", key, **values)
        elif key in ("event_part", "event_part_in", "event_weekday_part"):
            part = values.pop("part")
            if "weekday" in values:
                values["weekday"] = self.weekday(values["weekday"])
            title = str(self.phrases["titles"][key][part]).format(**values)
        else:
            title = self.say("titles", key, count=values.pop("count", None), **values)
        return title[:1].upper() + title[1:]

    def date_span(self, start: date | datetime, end: date | datetime) -> str:
        """`14. Juni 2024`, `3.–9. Apr. 2024`, `2024年6月14日` (CLDR's own forms)."""
        from babel.dates import format_interval, format_skeleton

        if self.code == ENGLISH:
            from memories.plan.words import date_span

            return date_span(start, end)
        first, last = _day(start), _day(end)
        if first == last:
            return format_skeleton("yMMMMd", first, locale=self.code)
        return format_interval(first, last, "yMMMMd", locale=self.code)

    def moment(self, moment: datetime) -> str:
        """A photo's date and time: `14. Juni 2024, 18:30`."""
        from babel.dates import format_skeleton

        if self.code == ENGLISH:
            return f"{moment.day} {moment:%b %Y, %H:%M}"
        pattern = str(_locale(self.code).datetime_formats["medium"])  # "{1}, {0}"
        return pattern.format(format_skeleton("Hm", moment, locale=self.code),
                              format_skeleton("yMMMd", moment, locale=self.code))  # fmt: skip

    def weekday(self, number: int) -> str:
        """The day of the week, Monday being 0."""
        from babel.dates import get_day_names

        return str(get_day_names("wide", locale=self.code)[number])

    def people(self, names: Sequence[str], most: int = 4) -> str:
        """`Ana und Léo`, `Ana, Ben, Chloé, Dev und andere`: names (or any words) as a list."""
        from babel.lists import format_list

        if len(names) > most:
            return self.say("cards", "and_others", names=", ".join(names[:most]))
        if self.code == ENGLISH:  # "Ana, Ben and Chloé": no serial comma
            return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else (
                names[0] if names else "")  # fmt: skip
        return format_list(list(names), locale=self.code) if names else ""

    def country(self, code: str, fallback: str) -> str:

        return str(_locale(self.code).territories.get(code.upper(), fallback))

    def kind(self, kind: str) -> str:
        return str(self.phrases["kinds"].get(kind, kind.replace("_", " ").capitalize()))

    def _plural(self, count: int) -> str:

        return str(_locale(self.code).plural_form(count))


@cache
def _locale(code: str) -> Locale:
    from babel import Locale

    return Locale.parse(code)


@cache
def language(code: str = ENGLISH) -> Language:
    """The language by its code (one of SUPPORTED)."""
    if code not in SUPPORTED:
        raise ConfigError(f"unknown language {code!r}; memories speaks {', '.join(SUPPORTED)}")
    text = resources.files("memories").joinpath("languages", f"{code}.toml").read_text("utf-8")
    return Language(code, tomllib.loads(text))


def choose_language(
    configured: str | None, environ: Mapping[str, str]
) -> tuple[str, str | None]:
    """The language of the outputs: the one configured, else the system's (LC_ALL,
    LC_MESSAGES, LANG), else English; and a note when the system's is one memories does not
    speak (English is used then)."""
    if configured:
        return language(configured.lower()).code, None
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if not value:
            continue
        code = value.split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
        if code in ("c", "posix", ""):
            return ENGLISH, None
        if code in SUPPORTED:
            return code, None
        return ENGLISH, (f"the system's language ({value}) is not one memories speaks; "
                         f"outputs are in English (see `language` in the config)")  # fmt: skip
    return ENGLISH, None


def localized(memory: Memory, code: str) -> Memory:
    """The memory in the language `code`: its title, dates and place (a country by CLDR's
    name for it) in that language; its id, folder and photos as they are."""
    if code == ENGLISH:
        return memory
    words = language(code)
    place, country = place_in(memory.place, (photo.place for photo in memory.photos), words)
    title = (words.title(memory.phrase, place, country=country) if memory.phrase
             else memory.title)  # fmt: skip
    return replace(memory, title=title, dates=words.date_span(memory.start, memory.end),
                   place=place, language=code)  # fmt: skip


def place_in(
    text: str | None, places: Iterable[Place | None], words: Language
) -> tuple[str | None, bool]:
    """A memory's place in the language, and whether it is a country (or two): countries
    ("France and Japan") by their names in CLDR, a town or region as the gazetteer named it."""
    if text is None:
        return None, False
    codes = {place.country: place.country_code for place in places if place is not None}
    if text in codes:
        return words.country(codes[text], text), True
    parts = text.split(" and ")
    if len(parts) == 2 and all(part in codes for part in parts):
        return words.people([words.country(codes[part], part) for part in parts]), True
    return text, False


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _english_days(start: date, end: date | None) -> str:
    if end is None or end == start:
        return f"{start.day} {_MONTHS[start.month - 1]}"
    if start.month == end.month:
        return f"{start.day}-{end.day} {_MONTHS[end.month - 1]}"
    return f"{start.day} {_MONTHS[start.month - 1]} - {end.day} {_MONTHS[end.month - 1]}"


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
