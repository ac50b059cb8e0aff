"""AI restyles on the CPU with a tiny randomly initialised Stable Diffusion pipeline that
is saved like a real model and loaded through the same path: shapes, seeds, labels,
batching, the identity retries and the errors a user can meet."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import snapshot
from faces import GRACE, scene
from PIL import Image
from typer.testing import CliRunner

pytest.importorskip("diffusers", reason="AI restyles need the ai extra")

from memories.cli import app
from memories.errors import RestyleUnavailable
from memories.render.restyle import (
    AI_MADE,
    STRENGTH_STEPS,
    Picture,
    Restyler,
    Style,
    identity,
)
from memories.scan.metadata import read_exif_facts

TINY_STYLE = Style(name="tiny", prompt="watercolour lake", strength=0.6, steps=2, size=64)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from tiny_diffusion import save_tiny_pipeline

    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def restyler(model):
    return Restyler(str(model), device="cpu")


@pytest.fixture
def config(tmp_path, monkeypatch, model):
    folder = tmp_path / "config"
    (folder / "styles").mkdir(parents=True)
    (folder / "styles" / "tiny.toml").write_text(
        'prompt = "watercolour lake"\nstrength = 0.6\nsteps = 2\nsize = 64\n'
    )
    (folder / "config.toml").write_text(f'restyle_model = "{model}"\nfaces = false\n')
    monkeypatch.setenv("MEMORIES_CONFIG", str(folder / "config.toml"))
    return folder


def run(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_a_restyle_has_the_models_shape_and_the_same_seed_gives_the_same_picture(restyler):
    pictures = [Picture(Image.new("RGB", (300, 200), (200, 90, 40))),
                Picture(Image.new("RGB", (200, 300), (30, 90, 240)))]  # fmt: skip
    first = restyler.restyle(pictures, TINY_STYLE, seed=3)
    assert [result.image.size for result in first] == [(64, 40), (40, 64)]
    alone = restyler.restyle(pictures[1:], TINY_STYLE, seed=3)
    assert np.array_equal(np.asarray(first[1].image), np.asarray(alone[0].image)), (
        "a picture's result does not depend on the batch it was in"
    )
    other = restyler.restyle(pictures[1:], TINY_STYLE, seed=4)
    assert not np.array_equal(np.asarray(alone[0].image), np.asarray(other[0].image))
    assert first[0].record() == {"ai_made": True, "model": restyler.model, "style": "tiny",
                                 "seed": 3, "strength": 0.6, "identity": "no faces"}  # fmt: skip


def test_a_face_that_stops_being_its_person_is_tried_again_at_lower_strengths(restyler):
    portrait = scene(GRACE, size=(256, 256), width=160, at=(48, 40))
    from memories.analyze.faces import _dlib, _models

    rectangles = _models().detector(np.asarray(portrait), 1)
    assert rectangles, "the portrait has a face to keep"
    rect = rectangles[0]
    box = (rect.top(), rect.right(), rect.bottom(), rect.left())
    style = Style(name="t", prompt="comic", strength=0.9, steps=2, size=128)
    [result] = restyler.restyle([Picture(portrait, (box,))], style)
    # random weights cannot draw a face: every strength is tried, the lowest is kept
    assert result.identity == "lost"
    assert result.strength == pytest.approx(0.9 * STRENGTH_STEPS[-1])
    assert _dlib() is not None


def test_identity_is_kept_when_the_face_is_unchanged():
    portrait = scene(GRACE, size=(256, 256), width=160, at=(48, 40))
    from memories.analyze.faces import _models

    rect = _models().detector(np.asarray(portrait), 1)[0]
    picture = Picture(portrait, ((rect.top(), rect.right(), rect.bottom(), rect.left()),))
    assert identity(picture, portrait, portrait.copy()) == "kept"
    assert identity(Picture(portrait), portrait, portrait) == "no faces"


def test_out_of_memory_halves_the_batch_and_says_so(restyler, monkeypatch):
    call = type(restyler.pipeline).__call__

    def short_of_memory(pipeline, *args, **kwargs):
        if len(kwargs["image"]) > 1:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return call(pipeline, *args, **kwargs)

    monkeypatch.setattr(type(restyler.pipeline), "__call__", short_of_memory)
    monkeypatch.setattr(restyler, "batch_size", 4)
    monkeypatch.setattr(restyler, "notes", [])
    pictures = [Picture(Image.new("RGB", (64, 64), (n * 60, 80, 120))) for n in range(3)]
    assert len(restyler.restyle(pictures, TINY_STYLE)) == 3
    assert restyler.batch_size == 1 and "went on 1 at a time" in restyler.notes[-1]


def test_restyle_writes_a_labelled_jpeg_and_leaves_the_original(make_photo, config, tmp_path):
    photo = make_photo("IMG_1.jpg", image=Image.new("RGB", (120, 90), (180, 120, 60)),
                       gps=(45.76, 4.84))  # fmt: skip
    before = snapshot(photo.parent)
    result = run("restyle", photo, "--style", "tiny", "-o", tmp_path / "out", "-l",
                 tmp_path / "lib")  # fmt: skip
    assert result.exit_code == 0, result.output
    made = tmp_path / "out" / "IMG_1-tiny.jpg"
    assert f"-> {made} (strength 0.60; no faces)" in result.stdout
    with Image.open(made) as image:
        assert image.size == (64, 48)
        assert AI_MADE in image.info["xmp"].decode()
        assert "seed 0" in image.info["xmp"].decode()
        assert not image.getexif(), "no GPS or camera data carried over"
    assert snapshot(photo.parent) == before
    from memories.render.credentials import verify

    verdict = verify(made, folder=tmp_path / "lib" / ".memories")
    assert verdict.state == "signed" and "AI restyle" in verdict.summary, verdict.summary
    manifest = json.dumps(verdict.manifest)
    assert AI_MADE in manifest and '"seed": 0' in manifest

    located = tmp_path / "located.jpg"
    result = run("restyle", photo, "--style", "tiny", "-o", located, "-l", tmp_path / "lib",
                 "--keep-location")  # fmt: skip
    assert result.exit_code == 0, result.output
    with Image.open(located) as image:
        assert read_exif_facts(image.info["exif"]).gps == pytest.approx((45.76, 4.84))
        assert AI_MADE in image.info["xmp"].decode()


def test_a_model_that_is_not_on_this_machine_is_a_one_line_error(make_photo, config, tmp_path):
    photo = make_photo("IMG_1.jpg")
    result = run("restyle", photo, "--style", "tiny", "--model", "someone/not-cached-model",
                 "-l", tmp_path / "lib")  # fmt: skip
    assert result.exit_code == 2
    assert "is not on this machine" in result.output and "--allow-download" in result.output


def test_without_the_ai_extra_restyle_says_what_to_install(monkeypatch):
    import importlib

    real = importlib.import_module

    def missing(name, *args):
        if name in ("torch", "diffusers"):
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", missing)
    with pytest.raises(RestyleUnavailable, match=r"pip install -e '.\[ai\]'"):
        Restyler("any")


def test_a_video_or_a_broken_file_is_skipped_with_a_reason(make_photo, config, tmp_path):
    broken = tmp_path / "photos" / "broken.jpg"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = run("restyle", broken, "--style", "tiny", "-l", tmp_path / "lib")
    assert result.exit_code == 1 and "skipped" in result.stdout


def test_every_bundled_style_loads():
    from memories.render.templates import load_templates

    names = set(load_templates("styles", Style))
    assert {"anime-film", "watercolour", "oil-painting", "pencil-sketch", "comic"} <= names


def test_build_restyles_the_best_photos_of_each_memory_and_labels_them(
    make_photo, config, tmp_path
):
    import json

    from test_build import scene as photo_like

    for n in range(4):
        make_photo(f"IMG_{n}.jpg", image=photo_like(n), taken_at=f"2024:06:14 14:{10 * n:02d}:00")
    library = tmp_path / "Memories"
    args = ("build", tmp_path / "photos", "-l", library, "--today", "2025-06-14", "--no-video",
            "--restyle", "tiny", "--size", "256", "--kind", "event")  # fmt: skip
    result = run(*args)
    assert result.exit_code == 0, result.output
    [folder] = [path.parent for path in library.glob("2024-06-14-*/memory.json")]
    record = json.loads((folder / "memory.json").read_text())
    assert len(record["restyled"]) == 3 and record["outputs"]["restyled_collage"] == (
        "collage-tiny.jpg"
    )
    for made in record["restyled"]:
        assert made["ai_made"] and made["style"] == "tiny" and made["seed"] == 0
        with Image.open(folder / made["file"]) as image:
            assert AI_MADE in image.info["xmp"].decode()
    with Image.open(folder / "collage-tiny.jpg") as collage:
        assert AI_MADE in collage.info["xmp"].decode() and collage.size == (256, 192)
    with Image.open(folder / "collage.jpg") as plain:
        assert "xmp" not in plain.info, "the collage of the photos themselves is not AI-made"
    again = run(*args)
    assert "0 new, 0 updated, 1 unchanged" in again.stdout
    page = (folder / "index.html").read_text()
    assert 'src="collage-tiny.jpg"' in page and "AI-made restyle" in page


def test_doctor_says_whether_the_restyle_model_is_on_this_machine(config, monkeypatch, tmp_path):
    import json

    checks = json.loads(run("doctor", "--json", "-l", tmp_path / "lib").stdout)
    [model] = [check for check in checks if check["name"] == "Restyle model"]
    assert model["status"] == "ok" and "a local folder" in model["detail"]
    (config / "config.toml").write_text('restyle_model = "someone/not-cached"\n')
    checks = json.loads(run("doctor", "--json", "-l", tmp_path / "lib").stdout)
    [model] = [check for check in checks if check["name"] == "Restyle model"]
    assert model["status"] == "missing" and "--allow-download" in model["detail"]
