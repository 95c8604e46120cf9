"""Shared fixtures: small random-weight models for mechanics, real weights when cached."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from unittest import mock

import numpy as np
import pytest

from dreamlib import models
from dreamlib.images import load_image, resize_image

SHARED_WEIGHTS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "weights")


@pytest.fixture(autouse=True)
def environment_restored():
    """No test leaks environment variables into the next (nbgrader's config file sets DREAMLIB_QUICK)."""
    with mock.patch.dict(os.environ):
        yield


@pytest.fixture(scope="session")
def random_mobilenet_v2():
    """MobileNetV2 with random weights: builds in a second, enough for the mechanics."""
    import keras

    keras.utils.set_random_seed(0)
    return models.load_backbone("mobilenet_v2", weights=None)


@pytest.fixture(scope="session")
def cat():
    """The bundled cat photo, small."""
    return resize_image(load_image("chelsea"), (96, 144))


def keras_weights_file(path, name="mobilenet_v2", include_top=False):
    """A weights file for network ``name`` in Keras's own (legacy HDF5) layout, with random values."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    model = models._build(models.get_spec(name), None, include_top)
    with h5py.File(path, "w") as h5:
        legacy_h5_format.save_weights_to_hdf5_group(h5, model)
    return path


@pytest.fixture
def offline(monkeypatch):
    """Make every weights download fail at once, as on a machine without internet."""
    import keras

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network in this test")

    monkeypatch.setattr(keras.utils, "get_file", no_network)


@pytest.fixture
def empty_cache(tmp_path, monkeypatch, offline):
    """An empty Keras cache, offline."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "models"


def require_cached(name, include_top=False):
    """Skip (with the reason shown) unless ``name``'s ImageNet weights are cached or bundled with dreamlib."""
    if not models.weights_available(name, include_top):
        pytest.skip(f"{name} ImageNet weights are not in {models.cache_dir()}: run "
                    f"`dreamlib weights import ../shared/weights` (make test does) to run this test")


def rng_image(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(*shape, 3)).astype(np.float32)


def has_untrained_strip(picture):
    """The UNTRAINED stamp: a dark strip along the bottom with yellow text in it."""
    strip = np.asarray(picture, np.float32)[-8:]
    yellow = (strip[..., 0] > 150) & (strip[..., 1] > 130) & (strip[..., 2] < 110)
    return bool(strip.mean() < 80 and yellow.sum() >= 3)
