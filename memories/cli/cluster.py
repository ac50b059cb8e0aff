"""`memories cluster`: the certificate a cluster of the user's own machines runs with, and
the doctor's listing of a cluster's workers."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from memories.cli.common import reports_errors, settings_from, shown, stdout
from memories.errors import ExitStatus

cluster_app = typer.Typer(
    help=(
        "Spread analysis and rendering over your own machines with Dask: a scheduler on "
        "one, a worker on each, all over TLS with a certificate made here.\n\n"
        "Examples:\n\n"
        "  memories cluster certificate\n\n"
        "  memories doctor --cluster tls://nas.local:8786\n\n"
        "  memories build ~/Pictures --cluster tls://nas.local:8786"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


@cluster_app.command(
    epilog="Examples:\n\n  memories cluster certificate\n\n"
    "  memories cluster certificate --folder /mnt/usb/memories-cluster"
)
@reports_errors
def certificate(
    folder: Annotated[
        Path | None,
        typer.Option(help="Where to write it [default: the cluster/ folder beside the config "
                     "file, ~/.config/memories/cluster].", show_default=False),
    ] = None,
) -> None:
    """Make the key and certificate your cluster's scheduler, workers and builds prove
    themselves with, and Dask's settings that use them and refuse anything unencrypted.

    Copy the folder to every machine of the cluster, and to no one else (whoever holds it
    can run code on those machines), then run this command there too: with a certificate
    in the folder already, it keeps it and writes Dask's settings for where it is.
    """
    from memories.cluster.security import DEFAULT_PORT, certificate_folder, write_certificate

    target = folder or settings_from().cluster_certificate or certificate_folder(os.environ)
    target = target.expanduser().absolute()
    written, made = write_certificate(target)
    console = stdout()
    if made:
        console.print(f"Wrote the cluster's certificate to {shown(target)}:", markup=False)
    else:
        console.print(f"Kept the certificate in {shown(target)}; Dask's settings now point at "
                      "it there:", markup=False)  # fmt: skip
    for path in written:
        console.print(f"  {shown(path)}", markup=False)
    where = shown(target)
    console.print(
        ("Copy that folder to every machine of the cluster and run this command there too "
         "(it keeps the certificate and points Dask's settings at it). " if made else "")
        + "Then start\n"
        f"  on one:   DASK_CONFIG={where} dask scheduler\n"
        f"  on each:  DASK_CONFIG={where} dask worker tls://SCHEDULER:{DEFAULT_PORT} "
        "--nworkers auto --nthreads 1\n"
        f"and build with --cluster tls://SCHEDULER:{DEFAULT_PORT}. Keep the key private: "
        "whoever holds it can run code on your machines.",
        markup=False,
    )


def print_cluster(
    cluster: str, path_map: list[str] | None, insecure: bool, library: Path | None,
    as_json: bool,
) -> None:  # fmt: skip
    """`memories doctor --cluster`: each worker's cores, memory, GPU and build, and whether
    it reads the photo folders and can write the library."""
    from memories.doctor import cluster_workers

    settings = settings_from(library=library, cluster=cluster,
                             path_map=tuple(path_map) if path_map else None)  # fmt: skip
    workers = cluster_workers(settings, insecure)
    problems = [w for w in workers
                if w.differences or None in w.folders.values()]  # fmt: skip
    if as_json:
        print(json.dumps([asdict(worker) for worker in workers], indent=2))
    else:
        table = Table("worker", "host", "cores", "memory", "GPU", "build", "photo folders",
                      "library", box=None, pad_edge=False)  # fmt: skip
        for worker in workers:
            unread = [folder for folder, seen in worker.folders.items() if seen is None]
            reads = (f"cannot read {', '.join(unread)}" if unread
                     else f"reads all {len(worker.folders)}")  # fmt: skip
            table.add_row(
                escape(worker.address), escape(worker.host), str(worker.cores),
                f"{worker.memory / 2**30:.1f} GB", escape(worker.gpu or "-"),
                escape("; ".join(worker.differences) or "same as here"), escape(reads),
                "writes it" if worker.library else "cannot see or write it",
            )  # fmt: skip
        console = stdout()
        console.print(f"{len(workers)} workers at {escape(settings.cluster or '')}:")
        console.print(table)
        if problems:
            console.print("Workers that differ or cannot read the photos get no work: install "
                          "the same memories there, or mend the mount or --path-map.")  # fmt: skip
    if problems:
        raise typer.Exit(ExitStatus.USAGE)
