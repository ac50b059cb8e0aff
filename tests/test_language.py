"""Memories in the user's language: titles, dates, a year's numbers, cards and the gallery
in each language memories speaks (CLDR's dates, lists and plurals through Babel), chosen by
the config, the flag or the system's locale; ids and folders the same in every language."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from importlib import resources

import pytest
from test_golden import GOLDEN, LYON, TODAY, read_timeline
from typer.testing import CliRunner

from memories.cli import app
from memories.language import SUPPORTED, choose_language, language, localized
from memories.model import Memory, MemoryKind, PhotoKind, Phrase, Place, TimelinePhoto
from memories.plan.events import find_trips, segment_events
from memories.plan.memories import plan_memories
from memories.plan.words import date_span
from memories.render.gallery import index_page, memory_page
from memories.render.text import runs

KYOTO = Place("Kyoto", None, "Japan", "JP", 35.01, 135.77)
IN_LYON = Place("Lyon", None, "France", "FR", 45.76, 4.84)


def memory_of(kind: MemoryKind, title: str, phrase: Phrase, start: datetime, end: datetime,
              place: str | None = None, where: Place | None = None) -> Memory:  # fmt: skip
    photo = TimelinePhoto("/p/a.jpg", "h", PhotoKind.PHOTO, start, 0.0, None, where, 0.5,
                          None, True)  # fmt: skip
    return Memory("m", kind, title, date_span(start, end), start, end, place, (), (photo,),
                  photo, phrase=phrase)  # fmt: skip


MEMORIES = {
    "trip": memory_of(MemoryKind.TRIP, "Trip to Kyoto", Phrase.of("trip_to", place="Kyoto"),
                      datetime(2024, 3, 30, 9), datetime(2024, 4, 2, 18), "Kyoto", KYOTO),
    "trip_country": memory_of(MemoryKind.TRIP, "Trip to Japan",
                              Phrase.of("trip_to", place="Japan"), datetime(2024, 3, 30, 9),
                              datetime(2024, 4, 2, 18), "Japan", KYOTO),
    "on_this_day": memory_of(MemoryKind.ON_THIS_DAY, "On this day, 3 years ago",
                             Phrase.of("on_this_day", count=3), datetime(2022, 6, 14, 10),
                             datetime(2022, 6, 14, 18)),
    "year": memory_of(MemoryKind.YEAR, "2024 in review", Phrase.of("year", year=2024),
                      datetime(2024, 1, 21), datetime(2024, 8, 20)),
    "evening": memory_of(MemoryKind.EVENT, "An evening in Lyon",
                         Phrase.of("event_part_in", part="evening", place="Lyon"),
                         datetime(2024, 6, 14, 18), datetime(2024, 6, 14, 21), "Lyon", IN_LYON),
}  # fmt: skip
"""A trip over a month's turn (to a town, and to a country), an on this day, a year in
review and an evening."""

T = "\u2009"  # CLDR's thin space around a range's dash
WORDS = {
    "en": {
        "trip": ("Trip to Kyoto", "30 Mar - 2 Apr 2024"),
        "trip_country": ("Trip to Japan", "30 Mar - 2 Apr 2024"),
        "on_this_day": ("On this day, 3 years ago", "14 Jun 2022"),
        "year": ("2024 in review", "21 Jan - 20 Aug 2024"),
        "evening": ("An evening in Lyon", "14 Jun 2024"),
    },
    "de": {
        "trip": ("Reise nach Kyoto", f"30. März{T}–{T}2. Apr. 2024"),
        "trip_country": ("Reise nach Japan", f"30. März{T}–{T}2. Apr. 2024"),
        "on_this_day": ("Heute vor 3 Jahren", "14. Juni 2022"),
        "year": ("2024 im Rückblick", f"21. Jan.{T}–{T}20. Aug. 2024"),
        "evening": ("Ein Abend in Lyon", "14. Juni 2024"),
    },
    "fr": {
        "trip": ("Voyage à Kyoto", f"30 mars{T}–{T}2 avr. 2024"),
        "trip_country": ("Voyage : Japon", f"30 mars{T}–{T}2 avr. 2024"),
        "on_this_day": ("Ce jour-là, il y a 3 ans", "14 juin 2022"),
        "year": ("Rétrospective 2024", f"21 janv.{T}–{T}20 août 2024"),
        "evening": ("Une soirée à Lyon", "14 juin 2024"),
    },
    "es": {
        "trip": ("Viaje a Kyoto", f"30 de marzo{T}–{T}2 de abril de 2024"),
        "trip_country": ("Viaje a Japón", f"30 de marzo{T}–{T}2 de abril de 2024"),
        "on_this_day": ("Un día como hoy, hace 3 años", "14 de junio de 2022"),
        "year": ("2024 en resumen", f"21 de enero{T}–{T}20 de agosto de 2024"),
        "evening": ("Una noche en Lyon", "14 de junio de 2024"),
    },
    "it": {
        "trip": ("Viaggio a Kyoto", f"30 mar{T}–{T}02 apr 2024"),
        "trip_country": ("Viaggio in Giappone", f"30 mar{T}–{T}02 apr 2024"),
        "on_this_day": ("Accadde oggi, 3 anni fa", "14 giugno 2022"),
        "year": ("Il 2024 in sintesi", f"21 gen{T}–{T}20 ago 2024"),
        "evening": ("Una sera a Lyon", "14 giugno 2024"),
    },
    "nl": {
        "trip": ("Reis naar Kyoto", f"30 mrt{T}–{T}2 apr 2024"),
        "trip_country": ("Reis naar Japan", f"30 mrt{T}–{T}2 apr 2024"),
        "on_this_day": ("Vandaag 3 jaar geleden", "14 juni 2022"),
        "year": ("2024 in vogelvlucht", f"21 jan{T}–{T}20 aug 2024"),
        "evening": ("Een avond in Lyon", "14 juni 2024"),
    },
    "pt": {
        "trip": ("Viagem a Kyoto", f"30 de mar.{T}–{T}2 de abr. de 2024"),
        "trip_country": ("Viagem: Japão", f"30 de mar.{T}–{T}2 de abr. de 2024"),
        "on_this_day": ("Neste dia, há 3 anos", "14 de junho de 2022"),
        "year": ("2024 em revista", f"21 de jan.{T}–{T}20 de ago. de 2024"),
        "evening": ("Uma noite em Lyon", "14 de junho de 2024"),
    },
    "ja": {
        "trip": ("Kyotoへの旅", "2024年3月30日～4月2日"),
        "trip_country": ("日本への旅", "2024年3月30日～4月2日"),
        "on_this_day": ("3年前の今日", "2022年6月14日"),
        "year": ("2024年の振り返り", "2024年1月21日～8月20日"),
        "evening": ("Lyonの夜", "2024年6月14日"),
    },
    "zh": {
        "trip": ("Kyoto之旅", f"2024年3月30日{T}–{T}4月2日"),
        "trip_country": ("日本之旅", f"2024年3月30日{T}–{T}4月2日"),
        "on_this_day": ("3年前的今天", "2022年6月14日"),
        "year": ("2024年回顾", f"2024年1月21日{T}–{T}8月20日"),
        "evening": ("Lyon的晚上", "2024年6月14日"),
    },
    "pl": {
        "trip": ("Podróż: Kyoto", f"30 marca{T}–{T}2 kwietnia 2024"),
        "trip_country": ("Podróż: Japonia", f"30 marca{T}–{T}2 kwietnia 2024"),
        "on_this_day": ("Tego dnia, 3 lata temu", "14 czerwca 2022"),
        "year": ("Podsumowanie roku 2024", f"21 stycznia{T}–{T}20 sierpnia 2024"),
        "evening": ("Wieczór: Lyon", "14 czerwca 2024"),
    },
}


@pytest.mark.parametrize("code", SUPPORTED)
def test_titles_and_dates_in_each_language(code):
    said = {name: (localized(memory, code).title, localized(memory, code).dates)
            for name, memory in MEMORIES.items()}  # fmt: skip
    assert said == WORDS[code]


def test_a_plural_rule_other_than_englishs():
    """Polish: 1 rok, 2-4 lata, 5-21 lat, 22-24 lata again."""
    polish = language("pl")
    ago = [polish.title(Phrase.of("on_this_day", count=n), None) for n in (1, 2, 5, 12, 22)]
    assert ago == ["Tego dnia, 1 rok temu", "Tego dnia, 2 lata temu", "Tego dnia, 5 lat temu",
                   "Tego dnia, 12 lat temu", "Tego dnia, 22 lata temu"]  # fmt: skip
    photos = [polish.say("gallery", "photos", count=n) for n in (1, 3, 5, 1240)]
    assert photos == ["1 zdjęcie", "3 zdjęcia", "5 zdjęć", "1\xa0240 zdjęć"]
    assert language("fr").say("gallery", "photos", count=0) == "0 photo", "French: 0 is one"


@pytest.mark.parametrize("timeline", sorted(GOLDEN.glob("*.timeline")), ids=lambda p: p.stem)
def test_every_title_is_said_by_its_phrase_and_ids_stay_in_every_language(timeline):
    photos, setting = read_timeline(timeline)
    events = segment_events(photos, home=LYON)
    planned = plan_memories(photos, events, find_trips(events, LYON), today=TODAY,
                            home_city="Lyon", people_names=setting.names,
                            birthdays=setting.birthdays, home=LYON)  # fmt: skip
    english = language("en")
    for memory in planned:
        if memory.phrase is None:
            assert memory.title in setting.names.values(), "only a name has no phrase"
            continue
        assert english.title(memory.phrase, memory.place) == memory.title
        for code in SUPPORTED:
            other = localized(memory, code)
            assert (other.id, other.photos, other.language) == (memory.id, memory.photos, code)
            assert other.title and other.dates


def test_a_years_numbers_in_german():
    photos, setting = read_timeline(GOLDEN / "a_year.timeline")
    events = segment_events(photos, home=LYON)
    year = next(memory for memory in plan_memories(
        photos, events, find_trips(events, LYON), today=TODAY, home_city="Lyon",
        people_names=setting.names, home=LYON, language="de",
    ) if memory.kind is MemoryKind.YEAR)  # fmt: skip
    cards = {insight.kind: (insight.headline, insight.detail) for insight in year.insights}
    assert cards["days"] == ("8 Tage mit Fotos", "19 Fotos in 3 Monaten")
    assert cards["streak"] == ("3 Tage am Stück", "5.–7. April")
    assert cards["furthest"] == ("9.791 km von zu Hause: Osaka", "Japan, 6. April")
    assert cards["busiest_day"] == ("Der vollste Tag: 14. Juni (4 Fotos)", "Freitag in Lyon")
    assert cards["first_and_last"] == ("Erstes Foto: 2. April · letztes: 20. August",
                                       "140 Tage dazwischen")  # fmt: skip


def test_every_word_of_every_language_has_a_face_that_draws_it():
    for code in SUPPORTED:
        text = resources.files("memories").joinpath("languages", f"{code}.toml").read_text()
        for phrase in _strings(tomllib.loads(text)):
            for run, face in runs(phrase):
                for character in run:
                    assert character.isspace() or face.covers(character), (code, character)


def _strings(table):
    for value in table.values():
        if isinstance(value, dict):
            yield from _strings(value)
        else:
            yield str(value)


# Choosing the language ------------------------------------------------------------------


def test_the_language_follows_the_system_unless_one_is_configured():
    assert choose_language(None, {"LANG": "de_DE.UTF-8"}) == ("de", None)
    assert choose_language(None, {"LANG": "de_DE.UTF-8", "LC_ALL": "ja_JP.UTF-8"}) == ("ja", None)
    assert choose_language(None, {"LANG": "C.UTF-8"}) == ("en", None)
    assert choose_language(None, {}) == ("en", None)
    assert choose_language("fr", {"LANG": "de_DE.UTF-8"}) == ("fr", None)
    code, note = choose_language(None, {"LANG": "sv_SE.UTF-8"})
    assert code == "en" and note is not None and "sv_SE" in note and "English" in note


def test_an_unknown_language_is_one_line_naming_those_spoken(tmp_path):
    result = CliRunner().invoke(app, ["list", "-l", str(tmp_path), "--language", "xx"])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "'xx'" in line and all(code in line for code in SUPPORTED)


def test_a_system_language_memories_does_not_speak_is_noted_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    photos = tmp_path / "photos"
    photos.mkdir()
    result = CliRunner().invoke(app, ["build", str(photos), "-l", str(tmp_path / "L")])
    assert result.output.count("not one memories speaks") == 1


def test_help_says_how_to_choose_the_language():
    result = CliRunner().invoke(app, ["build", "--help"], terminal_width=200)
    assert "--language" in result.output and "LANG" in result.output


# The gallery ----------------------------------------------------------------------------


def test_the_gallery_in_french():
    record = {"id": "2024-06-14-lyon", "kind": "event", "title": "Une soirée à Lyon",
              "dates": "14 juin 2024", "place": "Lyon", "people": ["Ana"], "end": "2024-06-14",
              "language": "fr", "outputs": {"collage": "collage.jpg"},
              "photos": [{"path": "/p/IMG_1.jpg", "taken_at": "2024-06-14T18:30:00"}]}  # fmt: skip
    index = index_page([record], "fr")
    assert '<html lang="fr">' in index and "Souvenirs" in index and ">Tous<" in index
    assert "1 souvenir" in index and "Événement" in index
    page = memory_page(record)
    assert '<html lang="fr">' in page and "Tous les souvenirs" in page
    assert "1 photo" in page and "14 juin 2024, 18:30" in page
    assert "Collage : Une soirée à Lyon" in page


def test_a_new_language_draws_again_only_what_has_words(make_photo, photos_dir, quick_renders,
                                                        tmp_path):  # fmt: skip
    from test_build import scene

    quick_renders("workers = 1\n")
    for n in range(4):
        make_photo(f"IMG_{n}.jpg", image=scene(n), gps=(45.7640, 4.8357),
                   taken_at=f"2024:06:14 1{n}:00:00")  # fmt: skip
    library = tmp_path / "Memories"
    today = ("--today", "2025-06-14")
    assert CliRunner().invoke(app, ["build", str(photos_dir), "-l", str(library),
                                    "--language", "en", *today]).exit_code == 0  # fmt: skip
    folder = library / "2024-06-14-lyon"
    before = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    result = CliRunner().invoke(app, ["build", str(photos_dir), "-l", str(library),
                                      "--language", "de", *today])  # fmt: skip
    assert result.exit_code == 0, result.output
    after = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    assert sorted(after) == sorted(before), "the same files, in the same folder"
    assert after["cover.jpg"] == before["cover.jpg"], "no words on the cover"
    for drawn in ("collage.jpg", "recap.mp4", "index.html", "memory.json"):
        assert after[drawn] != before[drawn], drawn
    record = json.loads(after["memory.json"])
    assert record["title"] == "Ein Morgen in Lyon" and record["language"] == "de"
    assert '<html lang="de">' in (library / "index.html").read_text()
