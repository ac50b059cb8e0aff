"""Content Credentials (C2PA): signed with the library's own key, read back by the C2PA
project's own reader, and a changed byte found out."""

from __future__ import annotations

import io
import json
import stat
import struct
import sys

import pytest
from PIL import Image
from typer.testing import CliRunner

from memories.cli import app
from memories.errors import CredentialsUnavailable
from memories.render.credentials import (
    AI_MADE,
    COMPOSITE,
    KEY_FILE,
    credentials_available,
    library_signer,
    sign_made_from,
    sign_restyle,
    verify,
)

c2pa = pytest.importorskip("c2pa", reason="Content Credentials need c2pa-python")

ORIGINAL = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def state(tmp_path):
    return tmp_path / "library" / ".memories"


def jpeg(path, colour=(200, 90, 40), size=(320, 240)):
    Image.new("RGB", size, colour).save(path, quality=90)
    return path


def restyle_at(path, state):
    sign_restyle(jpeg(path), original_hash=ORIGINAL, model="stabilityai/sd-turbo",
                 style="watercolour", seed=7, strength=0.6, folder=state)  # fmt: skip
    return path


def store_of(path):
    reader = c2pa.Reader(str(path))
    return reader, json.loads(reader.json())


def active(store):
    return store["manifests"][store["active_manifest"]]


def actions_of(manifest):
    return [action for assertion in manifest["assertions"]
            if assertion["label"].startswith("c2pa.actions")
            for action in assertion["data"]["actions"]]  # fmt: skip


def test_the_bindings_are_there():
    assert credentials_available() is None


def test_a_restyle_carries_a_valid_manifest_naming_the_original_only_by_its_hash(tmp_path, state):
    path = restyle_at(tmp_path / "restyle.jpg", state)
    reader, store = store_of(path)
    assert reader.get_validation_state() in ("Valid", "Trusted")
    manifest = active(store)
    assert manifest["claim_generator_info"][0]["name"] == "memories"
    edited = next(action for action in actions_of(manifest) if action["action"] == "c2pa.edited")
    assert edited["digitalSourceType"] == AI_MADE
    assert edited["parameters"] == {"memories.what": "AI restyle", "model": "stabilityai/sd-turbo",
                                    "style": "watercolour", "seed": 7, "strength": 0.6}  # fmt: skip
    [ingredient] = manifest["ingredients"]
    assert ingredient["relationship"] == "parentOf"
    assert ingredient["metadata"]["memories.content_hash"] == ORIGINAL
    assert ORIGINAL in ingredient["instance_id"]
    assert stat.S_IMODE((state / KEY_FILE).stat().st_mode) == 0o600
    assert Image.open(path).size == (320, 240)
    assert not list(tmp_path.glob("*.partial*"))


def test_no_thumbnail_or_second_picture_is_embedded(tmp_path, state):
    path = restyle_at(tmp_path / "restyle.jpg", state)
    manifest = active(store_of(path)[1])
    assert "thumbnail" not in manifest
    assert all("thumbnail" not in ingredient for ingredient in manifest["ingredients"])
    assert path.read_bytes().count(b"\xff\xd8\xff") == 1  # one JPEG in the file: the restyle


def test_one_changed_byte_is_found_out(tmp_path, state):
    path = restyle_at(tmp_path / "restyle.jpg", state)
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF  # in the image data, near the end
    path.write_bytes(bytes(data))
    verdict = verify(path)
    assert verdict.state == "changed"
    assert verdict.summary.startswith("changed after signing")


def test_the_summary_says_who_and_what(tmp_path, state):
    path = restyle_at(tmp_path / "restyle.jpg", state)
    verdict = verify(path, folder=state)
    assert verdict.state == "signed"
    assert verdict.summary == (
        "signed by memories (unknown signer: this library's own key): "
        "AI restyle with stabilityai/sd-turbo, style watercolour, seed 7"
    )
    assert verify(path).summary.startswith("signed by memories (unknown signer: memories library)")


def test_a_plain_jpeg_has_no_credentials(tmp_path):
    verdict = verify(jpeg(tmp_path / "plain.jpg"))
    assert (verdict.state, verdict.summary, verdict.manifest) == ("none", "no credentials", None)


def test_a_file_that_is_no_picture_is_unreadable(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_bytes(b"not a picture at all")
    assert verify(path).state == "unreadable"


def test_a_collage_lists_its_photos_by_hash(tmp_path, state):
    path = jpeg(tmp_path / "collage.jpg")
    hashes = ["a" * 32, "b" * 32, "c" * 32]
    sign_made_from(path, ingredient_hashes=hashes, what="collage", folder=state)
    manifest = active(store_of(path)[1])
    [created] = actions_of(manifest)
    assert (created["action"], created["digitalSourceType"]) == ("c2pa.created", COMPOSITE)
    assert [i["metadata"]["memories.content_hash"] for i in manifest["ingredients"]] == hashes
    assert {i["relationship"] for i in manifest["ingredients"]} == {"componentOf"}
    assert verify(path).summary.endswith(": collage made from 3 photos")


def test_a_missing_key_is_made_again_and_older_files_still_verify(tmp_path, state):
    first = restyle_at(tmp_path / "first.jpg", state)
    serial = library_signer(state).serial_number
    (state / KEY_FILE).unlink()
    second = restyle_at(tmp_path / "second.jpg", state)
    assert library_signer(state).serial_number != serial
    assert verify(first).state == verify(second).state == "signed"
    assert "this library's own key" not in verify(first, folder=state).summary


def test_the_key_is_kept_between_signings(tmp_path, state):
    restyle_at(tmp_path / "first.jpg", state)
    assert library_signer(state) == library_signer(state)


def test_verify_prints_a_line_per_file_and_exits_1_for_a_changed_one(tmp_path, state):
    signed = restyle_at(tmp_path / "signed.jpg", state)
    changed = restyle_at(tmp_path / "changed.jpg", state)
    data = bytearray(changed.read_bytes())
    data[-200] ^= 0xFF
    changed.write_bytes(bytes(data))
    plain = jpeg(tmp_path / "plain.jpg")
    result = CliRunner().invoke(
        app, ["verify", str(signed), str(changed), str(plain), "--library", str(state.parent)]
    )
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{signed}: signed by memories (unknown signer: this library's own key): "
        "AI restyle with stabilityai/sd-turbo, style watercolour, seed 7"
    )
    assert lines[1].startswith(f"{changed}: changed after signing")
    assert lines[2] == f"{plain}: no credentials"
    result = CliRunner().invoke(app, ["verify", str(signed), str(plain), "--json"])
    assert result.exit_code == 0
    records = json.load(io.StringIO(result.stdout))
    assert [record["state"] for record in records] == ["signed", "none"]


def tiny_mp4(path):
    """The boxes a C2PA reader needs of an MP4: a file type, a movie header, media data."""

    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    header = (bytes(4) + struct.pack(">IIII", 0, 0, 1000, 0) + b"\0\x01\0\0\x01\0" + bytes(10)
              + matrix + bytes(24) + struct.pack(">I", 2))  # fmt: skip
    file_type = box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41")
    path.write_bytes(file_type + box(b"moov", box(b"mvhd", header)) + box(b"mdat", bytes(64)))
    return path


def test_a_recap_video_is_signed_too(tmp_path, state):
    path = tiny_mp4(tmp_path / "recap.mp4")
    sign_made_from(path, ingredient_hashes=["a" * 32, "b" * 32], what="recap video", folder=state)
    assert verify(path).summary.endswith(": recap video made from 2 photos")


def test_without_the_bindings_signing_says_credentials_missing(tmp_path, state, monkeypatch):
    monkeypatch.setitem(sys.modules, "c2pa", None)
    assert "c2pa-python" in (credentials_available() or "")
    with pytest.raises(CredentialsUnavailable, match="credentials missing"):
        restyle_at(tmp_path / "restyle.jpg", state)


def test_an_interrupt_while_signing_stops_the_run_once_the_file_is_signed(tmp_path, monkeypatch):
    """The bindings call back into Python to read and write; an interrupt raised inside a
    callback would be printed and lost."""
    import signal

    from memories.render import credentials

    picture = tmp_path / "collage.jpg"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture)
    real_sign = credentials._c2pa().Builder.sign

    def sign_and_be_stopped(self, *args, **kwargs):
        signal.raise_signal(signal.SIGINT)  # as if Ctrl-C came inside the bindings
        return real_sign(self, *args, **kwargs)

    monkeypatch.setattr(credentials._c2pa().Builder, "sign", sign_and_be_stopped)
    with pytest.raises(KeyboardInterrupt):
        credentials.sign_made_from(picture, ingredient_hashes=["ab" * 16], what="collage",
                                   folder=tmp_path / ".memories")  # fmt: skip
    monkeypatch.undo()
    assert credentials.verify(picture).state == "signed", "signed whole before it stopped"
