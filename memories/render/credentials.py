"""Content Credentials (C2PA) on what memories makes: a manifest signed with this library's
own key."""

from __future__ import annotations

import datetime
import json
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from memories.errors import CredentialsUnavailable
from memories.render.files import write_atomically

AI_MADE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/composite"
KEY_FILE = "c2pa-signing.pem"
"""The leaf's private key, its certificate and the CA's certificate, in one file (0600):
key and certificate are replaced together, so they always match."""
CA_FILE = "c2pa-ca.pem"
"""The library's CA certificate alone, for a verifier's trust list."""
SIGNER_NAME = "memories library"
_HASH_ID = "memories:sha256:"
_FORMATS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4"}
_UNTRUSTED = "signingCredential.untrusted"  # a self-made CA is on no one's trust list

State = Literal["signed", "changed", "none", "unreadable"]


@dataclass(frozen=True)
class LibrarySigner:
    """The library's signing key and the certificate chain (leaf first) that vouches for it."""

    key_pem: bytes
    chain_pem: bytes
    serial_number: int


@dataclass(frozen=True)
class Verdict:
    """What a file's Content Credentials say, in one line and as the manifest."""

    state: State
    summary: str
    manifest: dict[str, Any] | None = None


def credentials_available() -> str | None:
    """Why Content Credentials cannot be written here, or None when they can."""
    try:
        import c2pa  # noqa: F401
    except ImportError as error:
        return f"Content Credentials need c2pa-python, which cannot be imported: {error}"
    return None


def library_signer(folder: Path) -> LibrarySigner:
    """The key kept in `folder` (the library's `.memories/`), made on first use and made
    again when missing: files signed before still verify by the certificates they carry."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    path = folder / KEY_FILE
    try:
        text = path.read_bytes()
        key = serialization.load_pem_private_key(text, password=None)
        chain = x509.load_pem_x509_certificates(text)
    except (OSError, ValueError):
        key_pem, chain_pem = _new_key_and_chain()
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda partial: _write_private(partial, key_pem + chain_pem))
        write_atomically(folder / CA_FILE, lambda partial: partial.write_bytes(
            x509.load_pem_x509_certificates(chain_pem)[-1].public_bytes(
                serialization.Encoding.PEM)))  # fmt: skip
        return library_signer(folder)
    del key  # loaded only to know the file holds one
    certificates = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    key_pem = text[: text.index(b"-----END PRIVATE KEY-----") + 25] + b"\n"
    return LibrarySigner(key_pem, certificates, chain[0].serial_number)


def sign_restyle(
    path: Path, *, original_hash: str, model: str, style: str, seed: int, strength: float,
    folder: Path,
) -> None:  # fmt: skip
    """Rewrite the JPEG at `path` with a manifest saying it is an AI restyle of a photo,
    which is named only by its content hash: no pixels, thumbnail or place of it."""
    parameters = {"memories.what": "AI restyle", "model": model, "style": style,
                  "seed": seed, "strength": round(strength, 2)}  # fmt: skip
    ingredient = _ingredient(original_hash, "original photo", "parentOf")
    actions = [
        {"action": "c2pa.opened", "parameters": {"ingredientIds": [ingredient["instance_id"]]}},
        {"action": "c2pa.edited", "digitalSourceType": AI_MADE,
         "softwareAgent": {"name": "memories"}, "parameters": parameters},
    ]  # fmt: skip
    _sign(path, actions, [ingredient], folder)


def sign_made_from(
    path: Path, *, ingredient_hashes: Sequence[str], what: str, folder: Path
) -> None:
    """Rewrite a collage (JPEG) or a recap (MP4) at `path` with a manifest saying it is
    `what` ("collage", "recap video") made from these photos, each named only by its hash."""
    ingredients = [_ingredient(content_hash, f"photo {number}", "componentOf")
                   for number, content_hash in enumerate(ingredient_hashes, 1)]  # fmt: skip
    actions = [{"action": "c2pa.created", "digitalSourceType": COMPOSITE,
                "softwareAgent": {"name": "memories"},
                "parameters": {"memories.what": what}}]  # fmt: skip
    _sign(path, actions, ingredients, folder)


def verify(path: Path, *, folder: Path | None = None) -> Verdict:
    """What the Content Credentials in the file at `path` say and whether they still hold.
    With the library's `folder`, a file signed by its current key says so."""
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader(str(path), context=_context(c2pa))
        store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return Verdict("none", "no credentials")
    except (c2pa.C2paError, OSError, ValueError) as error:
        return Verdict("unreadable", f"unreadable: {error}".splitlines()[0])
    manifest = store.get("manifests", {}).get(store.get("active_manifest"))
    if manifest is None:
        return Verdict("none", "no credentials")
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = [f["code"] for f in results.get("failure", []) if f.get("code") != _UNTRUSTED]
    if failures or store.get("validation_state") not in ("Valid", "Trusted"):
        return Verdict("changed", f"changed after signing ({', '.join(failures)})", manifest)
    signer = _signer(store, manifest, folder)
    summary = f"signed by {_generator(manifest)} ({signer}): {_made(manifest)}"
    return Verdict("signed", summary, manifest)


def _sign(
    path: Path, actions: list[dict[str, Any]], ingredients: list[dict[str, Any]], folder: Path
) -> None:
    c2pa = _c2pa()
    media_type = _FORMATS.get(path.suffix.lower())
    if media_type is None:
        raise ValueError(f"no Content Credentials for {path.suffix} files")
    key = library_signer(folder)
    manifest = {
        "claim_generator_info": [{"name": "memories", "version": _version()}],
        "title": path.name,
        "format": media_type,
        "ingredients": ingredients,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }

    def write(partial: Path) -> None:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, key.chain_pem, key.key_pem, None)
        )
        with (
            signer,
            c2pa.Builder(manifest, context=_context(c2pa)) as builder,
            path.open("rb") as source,
            partial.open("w+b") as signed,
        ):
            builder.sign(signer, media_type, source, signed)

    with _interrupts_held():
        write_atomically(path, write)


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C or SIGTERM while signing stops the run once signing is done: the bindings read
    and write the file through Python callbacks, and an interrupt raised inside one of them
    is printed and lost, so the run would go on as if never stopped."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {number: signal.signal(number, lambda got, frame: caught.append(got))
              for number in held}  # fmt: skip
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        for got in caught[:1]:
            signal.raise_signal(got)


def _ingredient(content_hash: str, title: str, relationship: str) -> dict[str, Any]:
    return {"title": title, "relationship": relationship, "instance_id": _HASH_ID + content_hash,
            "metadata": {"memories.content_hash": content_hash}}  # fmt: skip


def _generator(manifest: dict[str, Any]) -> str:
    generators = manifest.get("claim_generator_info") or [{}]
    return str(generators[0].get("name") or manifest.get("claim_generator") or "unknown")


def _signer(store: dict[str, Any], manifest: dict[str, Any], folder: Path | None) -> str:
    info = manifest.get("signature_info", {})
    if store.get("validation_state") == "Trusted":
        return f"trusted signer: {info.get('common_name') or info.get('issuer')}"
    if folder is not None and (folder / KEY_FILE).exists():
        serial = str(library_signer(folder).serial_number)
        if info.get("cert_serial_number") == serial:
            return "unknown signer: this library's own key"
    return f"unknown signer: {info.get('common_name') or 'no name'}"


def _made(manifest: dict[str, Any]) -> str:
    actions = [action for assertion in manifest.get("assertions", [])
               if assertion.get("label", "").startswith("c2pa.actions")
               for action in assertion.get("data", {}).get("actions", [])]  # fmt: skip
    for action in actions:
        parameters = action.get("parameters") or {}
        if parameters.get("memories.what") == "AI restyle":
            return (f"AI restyle with {parameters.get('model')}, style {parameters.get('style')}, "
                    f"seed {parameters.get('seed')}")  # fmt: skip
        if "memories.what" in parameters:
            photos = _photos(len(manifest.get("ingredients", [])))
            return f"{parameters['memories.what']} made from {photos}"
    names = ", ".join(str(action.get("action")) for action in actions)
    return names or "no actions"


def _photos(count: int) -> str:
    return f"{count} photo" if count == 1 else f"{count} photos"


def _new_key_and_chain() -> tuple[bytes, bytes]:
    """An ES256 (P-256) key with a leaf certificate issued by a CA made for it alone: C2PA
    refuses a self-signed signing certificate. The CA's key is thrown away once it has
    signed, so nothing but this one leaf can ever be issued under it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "memories")])  # fmt: skip

    def usage(*, signs_certificates: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=signs_certificates,
            crl_sign=signs_certificates, encipher_only=False, decipher_only=False,
        )  # fmt: skip

    def certificate(subject: str, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(f"{SIGNER_NAME} CA"))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * 30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    ca = (
        certificate(f"{SIGNER_NAME} CA", ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(signs_certificates=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        certificate(SIGNER_NAME, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(signs_certificates=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, ca))
    return key_pem, chain


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # whatever the umask
        file.write(data)


def _context(c2pa: Any) -> Any:
    # no thumbnail: a claim thumbnail is a second, small JPEG inside the file
    return c2pa.Context(
        settings=c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    )


def _c2pa() -> Any:
    try:
        import c2pa
    except ImportError as error:
        raise CredentialsUnavailable(
            f"credentials missing: Content Credentials need c2pa-python ({error}): "
            "pip install c2pa-python"
        ) from None
    return c2pa


def _version() -> str:
    from memories import __version__

    return __version__


def sign_quietly(sign: Callable[..., None], path: Path, **facts: Any) -> str | None:
    """`sign(path, **facts)` with one of the signers; without the bindings the file stays as
    it is, and the reason comes back for the run to say once, instead of failing it."""
    try:
        sign(path, **facts)
    except CredentialsUnavailable as error:
        return str(error)
    return None
