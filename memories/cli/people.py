"""The `memories people` commands and `memories forget`: reviewing and correcting who is who."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from memories import people as core
from memories.cli.common import (
    JsonOption,
    LibraryOption,
    ProgressDisplay,
    QuietOption,
    count,
    reports_errors,
    settings_from,
    shown,
    stderr,
    stdout,
)
from memories.contracts import person_record
from memories.model import Person

PersonArgument = Annotated[
    int, typer.Argument(help="A person's id, from `memories people`.", metavar="ID", min=1)
]

people_app = typer.Typer(
    help=(
        "People found in the photos: list them, name them, fix who is who.\n\n"
        "Faces are grouped into people on every build. Each decision (name, merge, split, "
        "hide) is kept by later builds and by --recluster."
    ),
    epilog=(
        "Examples:\n\n"
        "  memories people\n\n"
        "  memories people sheet 3     (look at person 3's faces)\n\n"
        '  memories people name 3 "Grace"\n\n'
        '  memories people name 3 "Ana" --birthday 2019-05-03\n\n'
        "  memories people merge 3 7\n\n"
        "  memories people --json"
    ),
    no_args_is_help=False,
    rich_markup_mode=None,
)


@people_app.callback(invoke_without_command=True)
@reports_errors
def people(
    context: typer.Context,
    library: LibraryOption = None,
    as_json: JsonOption = False,
    recluster: Annotated[
        bool,
        typer.Option(
            "--recluster",
            help="Group every face again from scratch, keeping names, decisions and ids.",
        ),
    ] = False,
) -> None:
    """List the people found in the photos: id, name, birthday, faces, photos, first and last
    seen."""
    if context.invoked_subcommand:
        return
    settings = settings_from(library=library)
    if recluster:
        grouping = core.regroup_people(settings)
        people_count = len(grouping.people) + len(grouping.new_people)
        stderr().print(
            f"Regrouped: {count(people_count, 'person', 'people')}, "
            f"{count(len(grouping.unassigned), 'face')} matching nobody.",
            markup=False,
        )
    listing = core.list_people(settings)
    if as_json:
        records = [
            person_record(
                summary,
                listing.faces.get(summary.person.id, []),
                listing.doubts.get(summary.person.id),
            )
            for summary in listing.people
        ]
        print(json.dumps(records, indent=2))
        return
    console = stdout()
    if not listing.people:
        console.print("No people yet: build a library with photos of faces first.")
        return
    table = Table("id", "name", "birthday", "faces", "photos", "first seen", "last seen",
                  box=None)  # fmt: skip
    for summary in listing.people:
        person = summary.person
        name = escape(person.name or "-") + (" (hidden)" if person.hidden else "")
        table.add_row(
            str(person.id), name, f"{person.birthday:%Y-%m-%d}" if person.birthday else "-",
            str(summary.faces), str(summary.photos),
            f"{summary.first_seen:%Y-%m-%d}" if summary.first_seen else "-",
            f"{summary.last_seen:%Y-%m-%d}" if summary.last_seen else "-",
        )  # fmt: skip
    console.print(table)
    for person_id, why in sorted(listing.doubts.items()):
        console.print(
            f"Person {person_id} may be two people: {why}; see `memories people sheet "
            f"{person_id}`, and `memories people split {person_id}` if so.",
            markup=False,
        )
    if listing.unassigned:
        verbs = "matches nobody well yet and is" if listing.unassigned == 1 else (
            "match nobody well yet and are")  # fmt: skip
        console.print(
            f"{count(listing.unassigned, 'face')} {verbs} in no person.",
            markup=False,
        )


@people_app.command(
    epilog=(
        "Examples:\n\n"
        '  memories people name 3 "Grace Hopper"\n\n'
        '  memories people name 3 "Ana" --birthday 2019-05-03\n\n'
        '  memories people name 3 "Ana" --birthday ""   (forget the birthday)'
    )
)
@reports_errors
def name(
    person_id: PersonArgument,
    new_name: Annotated[str, typer.Argument(help="The name to show.", metavar="NAME")],
    birthday: Annotated[
        str | None,
        typer.Option(
            "--birthday",
            help='Their birthday, as YYYY-MM-DD ("" forgets it) [default: left as it is].',
            metavar="DATE",
        ),
    ] = None,
    library: LibraryOption = None,
) -> None:
    """Name a person (and give their birthday): named people get memories of their own."""
    born = core.KEEP if birthday is None else core.parse_birthday(birthday, date.today())
    person = core.name_person(settings_from(library=library), person_id, new_name, birthday=born)
    _said(person, "named")


@people_app.command(
    epilog="Examples:\n\n  memories people merge 3 7\n\n  memories people merge 3 7 9"
)
@reports_errors
def merge(
    person_id: PersonArgument,
    others: Annotated[
        list[int], typer.Argument(help="People to merge into the first.", metavar="OTHER...")
    ],
    library: LibraryOption = None,
) -> None:
    """Merge people who are the same person into the first one (which keeps its id)."""
    _said(core.merge_people(settings_from(library=library), person_id, others), "merged")


@people_app.command(
    epilog=(
        "Examples:\n\n"
        "  memories people split 3              (into the groups its faces form)\n\n"
        "  memories people split 3 --face 41 --face 57   (move these faces out)"
    )
)
@reports_errors
def split(
    person_id: PersonArgument,
    faces: Annotated[
        list[int] | None,
        typer.Option("--face", help="A face id from the contact sheet (repeatable)."),
    ] = None,
    library: LibraryOption = None,
) -> None:
    """Separate a person who is really several: by sub-group, or move given faces out."""
    parts = core.split_person(settings_from(library=library), person_id, faces or ())
    stdout().print(
        f"Person {person_id} is now {count(len(parts), 'person', 'people')}: "
        f"{', '.join(map(str, parts))}. `memories people sheet` shows each one's faces.",
        markup=False,
    )


@people_app.command(epilog="Examples:\n\n  memories people hide 5")
@reports_errors
def hide(person_id: PersonArgument, library: LibraryOption = None) -> None:
    """Hide a person: no memory or output shows them, nor any photo they are in."""
    _said(core.hide_person(settings_from(library=library), person_id, hidden=True), "hidden")


@people_app.command(epilog="Examples:\n\n  memories people unhide 5")
@reports_errors
def unhide(person_id: PersonArgument, library: LibraryOption = None) -> None:
    """Show a hidden person again."""
    _said(core.hide_person(settings_from(library=library), person_id, hidden=False), "shown")


@people_app.command(epilog="Examples:\n\n  memories people sheet\n\n  memories people sheet 3")
@reports_errors
def sheet(
    person_id: Annotated[
        int | None, typer.Argument(help="Only this person [default: everyone not hidden].")
    ] = None,
    library: LibraryOption = None,
    quiet: QuietOption = False,
) -> None:
    """Write contact sheets (people/person-ID.jpg): each face with its id, most typical first,
    so that a face that is not theirs stands out at the end."""
    settings = settings_from(library=library)
    with ProgressDisplay(enabled=not quiet) as progress:
        written = core.write_sheets(settings, person_id, progress=progress)
    if not quiet:
        for path in written:
            stdout().print(shown(path), markup=False)


def forget(
    library: LibraryOption = None,
    person_id: Annotated[
        int | None,
        typer.Option("--person", help="Only this person's faces [default: all face data]."),
    ] = None,
) -> None:
    """Delete face data from the catalog and the contact sheets: everything, or one person's.

    After forgetting everything, the next build looks for faces again unless it is run with
    --no-faces (or the config file says faces = false).
    """
    settings = settings_from(library=library)
    deleted = core.forget(settings, person_id)
    whose = f"person {person_id}'s" if person_id is not None else "all"
    stdout().print(f"Deleted {whose} face data: {count(deleted, 'face')}.", markup=False)


FORGET_EPILOG = "Examples:\n\n  memories forget\n\n  memories forget --person 5"


def _said(person: Person, what: str) -> None:
    known = [person.name] if person.name else []
    if person.birthday:
        known.append(f"born {person.birthday:%Y-%m-%d}")
    about = f" ({', '.join(known)})" if known else ""
    stdout().print(f"Person {person.id}{about} {what}.", markup=False)
