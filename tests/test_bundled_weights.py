"""The small ImageNet networks shipped inside dreamlib: their files, and how they reach Keras's cache."""

import fnmatch
import hashlib
import os
import re
import tomllib
from pathlib import Path

import pytest

from dreamlib import models
from dreamlib.errors import DreamlibError, WeightsMissingError
from dreamlib.images import load_image

ROOT = Path(__file__).resolve().parent.parent
MOBILENET_V2 = models.get_spec("mobilenet_v2").notop.name


def _digest(path, kind):
    return hashlib.new(kind, Path(path).read_bytes()).hexdigest()


def test_the_package_ships_three_files_with_their_hashes_and_credits():
    assert set(models.BUNDLED_SHA256) == {MOBILENET_V2, "mobilenet_2_5_128_tf.h5", "imagenet_class_index.json"}
    known = models.known_weight_files()
    credits = (models.BUNDLED_DIR / "CREDITS.md").read_text(encoding="utf-8")
    for name, sha256 in models.BUNDLED_SHA256.items():
        path = models.bundled_file(name)
        assert path is not None and _digest(path, "sha256") == sha256
        assert _digest(path, "md5") == known[name].md5  # the registry's md5: every file has one
        assert sha256 in credits and known[name].md5 in credits
    assert "Apache License" in (models.BUNDLED_DIR / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")


def test_the_class_index_is_the_file_keras_publishes_a_hash_for():
    import keras.src.applications.imagenet_utils as keras_utils

    published = re.search(r'file_hash="([0-9a-f]{32})"', Path(keras_utils.__file__).read_text()).group(1)
    assert _digest(models.bundled_file("imagenet_class_index.json"), "md5") == published


def test_pyproject_package_data_ships_every_bundled_file():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["dreamlib"]
    for path in models.BUNDLED_DIR.iterdir():
        relative = f"weights/{path.name}"
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not package data"


def test_an_empty_cache_is_filled_from_the_package_with_no_download(empty_cache):
    backbone = models.load_backbone("mobilenet_v2")  # the offline fixture fails every download
    assert not backbone.untrained and backbone.description == "MobileNetV2 - ImageNet weights"
    copy = empty_cache / MOBILENET_V2
    assert copy.read_bytes() == models.bundled_file(MOBILENET_V2).read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert copy.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, whatever the package's mode
    assert [p.name for p in empty_cache.iterdir()] == [MOBILENET_V2]  # no temporary file left behind


def test_the_bundled_classifier_reads_the_cat_offline(empty_cache):
    classifier = models.load_backbone("mobilenet", include_top=True)
    top = [name for name, _ in models.classify(classifier, load_image("chelsea"), top=3)]
    assert {"tabby", "tiger_cat", "Egyptian_cat", "lynx"} & set(top), top
    assert (empty_cache / "imagenet_class_index.json").is_file()


def test_a_file_already_in_the_cache_is_never_replaced(empty_cache):
    empty_cache.mkdir(parents=True)
    mine = empty_cache / MOBILENET_V2
    mine.write_bytes(b"a file of the user's own")
    os.utime(mine, (2e9, 2e9))  # newer than the package's
    assert models.fetch_weights_file(models.get_spec("mobilenet_v2").notop) == mine
    assert mine.read_bytes() == b"a file of the user's own" and mine.stat().st_mtime == 2e9
    with pytest.raises(DreamlibError, match="could not be loaded.*delete it"):
        models.load_backbone("mobilenet_v2")
    assert mine.read_bytes() == b"a file of the user's own"


def test_copy_new_file_loses_a_race_gracefully(tmp_path, monkeypatch):
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(b"package")
    real_link = os.link

    def someone_else_first(src, dst):
        Path(dst).write_bytes(b"another process")
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", someone_else_first)
    assert models.copy_new_file(source, target) is False
    assert target.read_bytes() == b"another process"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "target"]


def test_a_read_only_cache_reads_the_package_copy_in_place(empty_cache, monkeypatch):
    def read_only(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(models, "copy_new_file", read_only)
    path = models.fetch_weights_file(models.get_spec("mobilenet_v2").notop)
    assert path == models.bundled_file(MOBILENET_V2) and not (empty_cache / MOBILENET_V2).exists()


def test_a_damaged_package_copy_is_never_copied(empty_cache, tmp_path, monkeypatch):
    broken = tmp_path / "weights"
    broken.mkdir()
    (broken / MOBILENET_V2).write_bytes(b"truncated")
    monkeypatch.setattr(models, "BUNDLED_DIR", broken)
    with pytest.raises(DreamlibError, match="bundled .* is damaged: reinstall dreamlib"):
        models.load_backbone("mobilenet_v2")
    assert not (empty_cache / MOBILENET_V2).exists()


def test_other_files_keep_keras_own_download(empty_cache, monkeypatch):
    calls = []

    def fake_get_file(fname, origin, cache_subdir, cache_dir, file_hash):
        calls.append((fname, origin, cache_subdir, file_hash))
        raise Exception("no network")

    import keras

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.raises(WeightsMissingError):
        models.load_backbone("vgg19")
    vgg = models.get_spec("vgg19").notop
    assert calls == [(vgg.name, vgg.origin, "models", vgg.md5)]
    monkeypatch.setenv("DREAMLIB_OFFLINE", "1")
    with pytest.raises(WeightsMissingError):
        models.load_backbone("vgg19")
    assert len(calls) == 1  # DREAMLIB_OFFLINE: not even an attempt


def test_the_default_model_falls_back_to_the_bundled_one_in_one_line(empty_cache):
    model, note = models.choose_default_model()
    assert model == "mobilenet_v2"
    assert note == ("inception_v3 weights are not cached and could not be downloaded: dreaming with the "
                    "bundled mobilenet_v2 (real ImageNet weights) instead")
    assert models.weights_state(models.get_spec("inception_v3").notop) == "missing"
    assert models.weights_state(models.get_spec("mobilenet_v2").notop) == "bundled"
    assert models.choose_default_model("mobilenet_v2") == ("mobilenet_v2", None)  # fills the cache
    assert models.weights_state(models.get_spec("mobilenet_v2").notop) == "cached"
    assert models.weights_available("mobilenet_v2") and not models.weights_available("mobilenet")
    assert models.weights_available("mobilenet", include_top=True)
