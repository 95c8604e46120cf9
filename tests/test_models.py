import errno
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from dreamlib import models
from dreamlib.errors import DreamlibError, WeightsMissingError
from tests.conftest import keras_weights_file


def test_unknown_model_lists_the_choices():
    with pytest.raises(DreamlibError, match="unknown model 'alexnet': choose one of inception_v3"):
        models.get_spec("alexnet")


def test_registry_covers_the_course_models():
    for name in ("vgg19", "inception_v3", "resnet50", "mobilenet_v2"):
        spec = models.get_spec(name)
        assert spec.default_layers and spec.min_size >= 32 and spec.notop.name.endswith(".h5")
    assert models.get_spec("mobilenet_v2").kwargs["alpha"] == 0.5


@pytest.mark.parametrize("name,keras_module", [("vgg19", "vgg19"), ("resnet50", "resnet50"),
                                               ("inception_v3", "inception_v3"),
                                               ("mobilenet_v2", "mobilenet_v2")])
def test_preprocess_matches_keras_and_deprocess_inverts_it(name, keras_module):
    import keras

    x = np.random.default_rng(0).uniform(0, 255, (5, 6, 3)).astype(np.float32)
    expected = getattr(keras.applications, keras_module).preprocess_input(x.copy())
    assert np.allclose(models.preprocess(name, x), expected, atol=1e-4)
    assert np.allclose(models.deprocess(name, models.preprocess(name, x)), x, atol=1e-3)


def test_input_range_is_where_black_and_white_land():
    low, high = models.input_range("inception_v3")
    assert np.allclose(low, -1) and np.allclose(high, 1)
    low, high = models.input_range("vgg19")
    assert np.allclose(low, -np.array([103.939, 116.779, 123.68])) and np.all(high > 100)


def test_missing_weights_error_names_file_folder_and_command(empty_cache):
    with pytest.raises(WeightsMissingError) as info:
        models.load_backbone("vgg19")
    message = str(info.value)
    assert "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(empty_cache) in message
    assert "dreamlib weights import" in message
    assert "\n" not in message


def test_random_weights_only_when_allowed_and_then_announced(empty_cache, monkeypatch, capsys):
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    monkeypatch.setattr(models, "_announced", set())
    with pytest.raises(WeightsMissingError):
        models.load_backbone("mobilenet")  # its features are not bundled
    monkeypatch.setenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", "1")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # one notice: the line below, no UserWarning too
        backbone = models.load_backbone("mobilenet")
        models.load_backbone("mobilenet")
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("dreamlib: mobilenet runs UNTRAINED (random weights")
    assert backbone.untrained and backbone.weights_label == models.UNTRAINED


def test_explicit_random_weights_are_marked_untrained(random_mobilenet_v2):
    assert random_mobilenet_v2.untrained
    assert random_mobilenet_v2.weights_label == "random (untrained)"


def test_dreamable_layers_of_inception_are_mixed0_to_mixed10():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backbone = models.load_backbone("inception_v3", weights=None)
    names = [name for name, _ in models.dreamable_layers(backbone)]
    assert names == [f"mixed{i}" for i in range(11)]


def test_branch_layer_finds_article_d_activation_41_whatever_was_built_before():
    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = models.load_backbone("inception_v3", weights=None)
        second = models.load_backbone("inception_v3", weights=None)
    names = {models.branch_layer(b, "mixed5", 0) for b in (first, second)}
    assert len(names) == 2  # the counted names differ between the two builds...
    for backbone in (first, second):  # ...the place does not: mixed5's 1x1 branch, 192 channels
        name = models.branch_layer(backbone, "mixed5", 0)
        assert isinstance(backbone.model.get_layer(name), keras.layers.Activation)
        a, mixed5 = models.feature_extractor(backbone, [name, "mixed5"])(np.zeros((1, 99, 99, 3)) + 0.3)
        assert np.array_equal(np.asarray(a), np.asarray(mixed5)[..., :192])
    with pytest.raises(DreamlibError, match="mixed5 has 4 input"):
        models.branch_layer(first, "mixed5", 4)
    with pytest.raises(DreamlibError, match="no layer called 'mixed99'"):
        models.branch_layer(first, "mixed99")


def test_feature_extractor_returns_each_layer(random_mobilenet_v2):
    extractor = models.feature_extractor(random_mobilenet_v2, ["block_3_expand_relu", "out_relu"])
    outputs = extractor(np.zeros((1, 64, 64, 3), np.float32))
    assert [tuple(o.shape) for o in outputs] == [(1, 16, 16, 96), (1, 2, 2, 1280)]


def test_unknown_layer_says_how_to_list_layers(random_mobilenet_v2):
    with pytest.raises(DreamlibError, match="no layer called 'mixed3'.*dreamlib layers mobilenet_v2"):
        models.feature_extractor(random_mobilenet_v2, ["mixed3"])


def _fake_weights(path):
    import h5py

    with h5py.File(path, "w") as h5:
        h5.create_dataset("w", data=np.zeros(3))


MOBILENET_V2_TOP = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224.h5"  # Keras publishes no hash


def test_import_weights_checks_and_copies(tmp_path, empty_cache):
    source = tmp_path / "usb"
    source.mkdir()
    keras_weights_file(source / MOBILENET_V2_TOP, include_top=True)
    (source / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"junk")  # bad hash
    (source / "holiday.jpg").write_bytes(b"x")
    imported, skipped = models.import_weights(source)
    assert imported == ["mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224.h5"]
    reasons = dict(skipped)
    assert "checksum" in reasons["vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    assert "not a weights file" in reasons["holiday.jpg"]
    assert (empty_cache / imported[0]).is_file()
    assert not (empty_cache / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5").exists()
    assert models.weights_cached("mobilenet_v2", include_top=True)


@pytest.mark.parametrize("content", ["junk", "empty hdf5", "the network without its classifier",
                                     "another network"])
def test_import_refuses_what_does_not_fit_the_named_network(tmp_path, empty_cache, content):
    source = tmp_path / "usb"
    source.mkdir()
    target = source / MOBILENET_V2_TOP
    if content == "junk":
        target.write_bytes(b"junk")
    elif content == "empty hdf5":
        _fake_weights(target)
    elif content == "the network without its classifier":  # valid HDF5, the same network's other file
        shutil.copyfile(models.bundled_file(models.get_spec("mobilenet_v2").notop.name), target)
    else:
        shutil.copyfile(models.bundled_file(models.get_spec("mobilenet").top.name), target)  # MobileNet v1
    imported, skipped = models.import_weights(source)
    assert imported == [] and not empty_cache.joinpath(MOBILENET_V2_TOP).exists()
    assert skipped[0][1].endswith("is not a readable Keras weights file for mobilenet_v2 with its classifier "
                                  "(another network's file, or damaged): download it again")


def test_import_on_a_full_disk_is_one_line_and_leaves_the_cache_clean(tmp_path, empty_cache, monkeypatch):
    source = tmp_path / "usb"
    source.mkdir()
    keras_weights_file(source / MOBILENET_V2_TOP, include_top=True)

    def disk_full(src, dst):
        Path(dst).write_bytes(b"half a fi")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(models.shutil, "copyfile", disk_full)
    with pytest.raises(DreamlibError, match=r"No space left on device\): check the folder and free space"):
        models.import_weights(source)
    assert [p.name for p in empty_cache.iterdir()] == []  # no half file under the real name, no temp file


def test_import_from_missing_folder(tmp_path, empty_cache):
    with pytest.raises(DreamlibError, match="not a folder"):
        models.import_weights(tmp_path / "nowhere")


def test_weights_status_and_fallback_follow_the_cache(tmp_path, empty_cache):
    assert models.best_available_model() == "mobilenet_v2"  # bundled with dreamlib
    assert all(path is None for *_, path in models.weights_status())
    empty_cache.mkdir(parents=True)
    _fake_weights(empty_cache / models.get_spec("resnet50").notop.name)
    assert models.best_available_model() == "resnet50"
    cached = [row for row in models.weights_status() if row[3] is not None]
    assert [(row[0], row[1]) for row in cached] == [("resnet50", False)]
    assert models.choose_default_model() == (
        "resnet50", "inception_v3 weights are not cached and could not be downloaded: dreaming with "
                    "resnet50, whose ImageNet weights are cached, instead")


def test_damaged_cached_weights_give_a_clear_error(empty_cache):
    empty_cache.mkdir(parents=True)
    (empty_cache / models.get_spec("mobilenet_v2").notop.name).write_bytes(b"junk")
    with pytest.raises(DreamlibError, match="could not be loaded.*delete it"):
        models.load_backbone("mobilenet_v2")
