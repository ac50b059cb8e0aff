"""Who may use the cluster. A Dask worker runs whatever a client sends it, so an open
scheduler port would let anyone on the network run code on the user's machines: the
cluster speaks TLS with a certificate made for the user's own machines (`write_certificate`)
or the user's own in Dask's settings, every side requires the other's, and a coordinator
speaks plain `tcp://` only when told `--insecure`, and then only to this machine."""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from memories.config import config_file_path
from memories.errors import MemoriesError

if TYPE_CHECKING:
    from distributed.security import Security

DEFAULT_PORT = 8786
"""Dask's scheduler port."""
CERTIFICATE = "cluster-cert.pem"
KEY = "cluster-key.pem"
DASK_SETTINGS = "dask.yaml"
"""Dask's settings for scheduler and workers, read from the folder `DASK_CONFIG` names."""
VALID_FOR = datetime.timedelta(days=3650)
WORKER_SETTINGS: dict[str, Any] = {"distributed.worker.profile.enabled": False}
"""Dask's settings for the workers besides TLS, as `dask.config.set` takes them (and
`dask.yaml` holds them): its sampling profiler (a look at every thread's stack every
10 ms) made a face search a tenth to a fifth slower."""


class ClusterRefused(MemoriesError):
    """The cluster cannot be used as asked: an address without encryption, no certificate."""


@dataclass(frozen=True)
class ClusterAddress:
    """A scheduler's address, as Dask writes it (`tls://nas.local:8786`)."""

    url: str
    host: str

    @property
    def encrypted(self) -> bool:
        return self.url.startswith("tls://")


def cluster_address(text: str, *, insecure: bool = False) -> ClusterAddress:
    """The scheduler at `text` (see `parse_address`). Plain `tcp://` is refused unless
    `insecure`, and even then only for a scheduler on this machine."""
    try:
        address = parse_address(text)
    except ValueError as error:
        raise ClusterRefused(str(error)) from None
    if not address.encrypted:
        if not insecure:
            raise ClusterRefused(
                f"{address.url} is not encrypted: anyone who can reach that port could run "
                "code on your machines. Use tls:// with a certificate (`memories cluster "
                "certificate`), or --insecure for a cluster on this machine only"
            )
        if not _on_this_machine(address.host):
            raise ClusterRefused(
                f"--insecure is only for a scheduler on this machine, not {address.host}: "
                "use tls:// with a certificate (`memories cluster certificate`)"
            )
    return address


def parse_address(text: str) -> ClusterAddress:
    """`tls://HOST:PORT` or `tcp://HOST:PORT`; a bare `HOST[:PORT]` means TLS, and the port
    defaults to Dask's."""
    given = text.strip()
    if "://" not in given:
        given = f"tls://{given}"
    parts = urlsplit(given)
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        port = None
    if port is None or not parts.hostname or parts.scheme not in ("tls", "tcp") or (
        parts.path not in ("", "/")
    ):  # fmt: skip
        raise ValueError(f"{text!r} is not a scheduler address (tls://HOST:PORT)")
    host = parts.hostname
    return ClusterAddress(f"{parts.scheme}://{_bracketed(host)}:{port}", host)


def certificate_folder(environ: Mapping[str, str]) -> Path:
    """Where `memories cluster certificate` writes: beside the config file
    (`~/.config/memories/cluster`)."""
    return config_file_path(environ).parent / "cluster"


def cluster_security(address: ClusterAddress, folder: Path | None) -> Security | None:
    """How to speak to the scheduler at `address`: with the certificate in `folder`, else
    with the TLS settings in Dask's own config; None for an (allowed) plain address."""
    from distributed.security import Security

    if not address.encrypted:
        return None
    certificate, key = (folder / CERTIFICATE, folder / KEY) if folder else (None, None)
    if certificate and key and certificate.is_file() and key.is_file():
        return Security(tls_ca_file=str(certificate), tls_client_cert=str(certificate),
                        tls_client_key=str(key), require_encryption=True)  # fmt: skip
    security = Security()  # Dask's settings: distributed.comm.tls.*
    if getattr(security, "tls_client_cert", None) and getattr(security, "tls_ca_file", None):
        return security
    raise ClusterRefused(
        f"no certificate for the cluster in {folder}: make one with `memories cluster "
        "certificate` and copy that folder to every machine (or set Dask's "
        "distributed.comm.tls settings)"
    )


def write_certificate(folder: Path) -> tuple[list[Path], bool]:
    """A new key and self-signed certificate for the user's machines, and Dask's settings
    that make scheduler and workers use them and refuse anything unencrypted. In a folder
    that holds them already (copied from the first machine), the certificate is kept and
    only Dask's settings are written, for where the folder is on this machine. Returns the
    files written, and whether a new certificate was made."""
    folder = folder.expanduser().absolute()
    certificate_path, key_path = folder / CERTIFICATE, folder / KEY
    settings_path = folder / DASK_SETTINGS
    made = not (certificate_path.exists() or key_path.exists())
    if not made and not (certificate_path.is_file() and key_path.is_file()):
        raise ClusterRefused(f"{folder} holds half a certificate: copy the whole folder again")
    written = []
    if made:
        folder.mkdir(parents=True, exist_ok=True)
        certificate, key = _new_certificate()
        _write_private(key_path, key)
        certificate_path.write_bytes(certificate)
        written = [certificate_path, key_path]
    settings_path.write_text(dask_settings(folder), encoding="utf-8")
    return [*written, settings_path], made


def _new_certificate() -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) that is its own authority, and its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "memories cluster"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"made on {os.uname().nodename}"),
    ])  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + VALID_FOR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    return certificate.public_bytes(serialization.Encoding.PEM), private


def dask_settings(folder: Path) -> str:
    """Dask's settings (YAML) for scheduler and workers started with `DASK_CONFIG=folder`
    (Dask takes the paths in them as they are written)."""
    import yaml  # Dask's own dependency

    where = folder.absolute().as_posix()
    certificate, key = f"{where}/{CERTIFICATE}", f"{where}/{KEY}"
    tls: dict[str, Any] = {"ca-file": certificate}
    for side in ("scheduler", "worker", "client"):
        tls[side] = {"cert": certificate, "key": key}
    settings: dict[str, Any] = {"distributed": {
        "comm": {"require-encryption": True, "default-scheme": "tls", "tls": tls}}}
    for dotted, value in WORKER_SETTINGS.items():
        *parents, name = dotted.split(".")
        branch = settings
        for parent in parents:
            branch = branch.setdefault(parent, {})
        branch[name] = value
    return (
        "# The memories cluster: Dask over TLS with this folder's certificate, nothing\n"
        "# unencrypted, and no sampling profiler on workers (it slows face finding).\n"
        "# Scheduler and workers read it when started as\n"
        f"#   DASK_CONFIG={where} dask scheduler\n"
        f"#   DASK_CONFIG={where} dask worker tls://SCHEDULER:{DEFAULT_PORT} --nworkers auto "
        "--nthreads 1\n"
    ) + yaml.safe_dump(settings, sort_keys=False)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _on_this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
