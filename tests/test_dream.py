import numpy as np
import pytest
from PIL import Image

from dreamlib.dream import Dreamer, DreamSettings, dream
from dreamlib.errors import DreamlibError
from dreamlib.images import load_image, to_uint8
from tests.conftest import has_untrained_strip

LAYERS = {"block_1_expand_relu": 1.0, "block_2_expand_relu": 0.5}  # alive even with random weights


@pytest.fixture(scope="module")
def dreamer(random_mobilenet_v2):
    return Dreamer(objective=LAYERS, backbone=random_mobilenet_v2)


def test_dream_keeps_the_shape_and_records_what_it_did(dreamer, cat):
    result = dreamer.dream(cat, DreamSettings(steps=3, octaves=2, step_size=0.05), progress=False)
    assert result.image.shape == cat.shape and result.image.dtype == np.float32
    assert 0 <= result.image.min() and result.image.max() <= 255
    record = result.record
    assert record.octave_shapes[-1] == cat.shape[:2] and len(record.octave_shapes) == 2
    assert [len(l) for l in record.losses] == [3, 3] and record.seconds > 0
    assert record.model == "mobilenet_v2" and result.untrained
    assert np.abs(result.image - cat).mean() > 1  # the picture changed


def test_loss_rises_within_each_octave(dreamer, cat):
    result = dreamer.dream(cat, DreamSettings(steps=5, octaves=2, step_size=0.05), progress=False)
    for losses in result.record.losses:
        assert losses[-1] > losses[0]


def test_max_loss_stops_each_octave_early(dreamer, cat):
    probe = dreamer.dream(cat, DreamSettings(steps=1, octaves=1), progress=False)
    result = dreamer.dream(cat, DreamSettings(steps=30, octaves=1, step_size=0.05,
                                              max_loss=probe.record.losses[0][0] * 1.1), progress=False)
    assert result.record.stopped_early == [True] and len(result.record.losses[0]) < 30


def test_same_seed_same_dream_other_seed_other_dream(dreamer, cat):
    settings = DreamSettings(steps=3, octaves=1, jitter=16, step_size=0.05)
    a = dreamer.dream(cat, settings, seed=7, progress=False).image
    b = dreamer.dream(cat, settings, seed=7, progress=False).image
    c = dreamer.dream(cat, settings, seed=8, progress=False).image
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_big_images_are_tiled_automatically(dreamer):
    big = load_image("rocket", max_size=150)
    result = dreamer.dream(big, DreamSettings(steps=1, octaves=1, tile_size=64), progress=False)
    assert result.record.tiles == [6] and result.image.shape == big.shape
    untiled = dreamer.dream(big, DreamSettings(steps=1, octaves=1, tile_size=0), progress=False)
    assert untiled.record.tiles == [1]


def test_on_octave_previews_and_can_stop(dreamer, cat):
    seen = []
    result = dreamer.dream(cat, DreamSettings(steps=1, octaves=3, octave_scale=1.2), progress=False,
                           on_octave=lambda i, img: seen.append(img.shape))
    assert seen == [cat.shape] * 3 and not result.record.interrupted
    stopped = dreamer.dream(cat, DreamSettings(steps=1, octaves=3, octave_scale=1.2), progress=False,
                            on_octave=lambda i, img: False)
    assert stopped.record.interrupted and len(stopped.record.losses) == 1
    assert stopped.image.shape == cat.shape  # what was made so far is kept


def test_untrained_results_say_so_on_the_picture(dreamer, cat, tmp_path):
    result = dreamer.dream(cat, DreamSettings(steps=1, octaves=1), progress=False)
    path = result.save(tmp_path / "dream.png")
    with Image.open(path) as pil:
        assert pil.text["dreamlib:weights"] == "random (untrained)"
        saved = np.asarray(pil, np.float32)
    assert not np.array_equal(saved[-5:], np.rint(result.image[-5:]))  # the warning strip
    shown = result.show().axes[0].images[0].get_array()
    assert has_untrained_strip(shown) and np.array_equal(shown, to_uint8(result.labelled_image()))


@pytest.mark.parametrize("field,value,match", [
    ("steps", -1, "steps"), ("step_size", 0, "step_size"), ("normalize", "max", "normalize must be one of"),
    ("tile_size", -5, "tile_size"), ("octave_scale", 0.5, "octave_scale"), ("octaves", 9, "minimum"),
    ("tile_size", 16, "below mobilenet_v2's minimum"), ("seed", -1, "seed"), ("max_loss", "x", "max_loss")])
def test_nonsense_settings_are_explained(dreamer, cat, field, value, match):
    with pytest.raises(DreamlibError, match=match):
        dreamer.dream(cat, DreamSettings(steps=1, octaves=1), progress=False, **{field: value})


def test_not_an_rgb_image(dreamer):
    with pytest.raises(DreamlibError, match="RGB"):
        dreamer.dream(np.zeros((40, 40)), progress=False)


def test_quick_switch_is_read_in_one_place(monkeypatch):
    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    assert DreamSettings.default().steps == DreamSettings.quick().steps < DreamSettings().steps
    monkeypatch.setenv("DREAMLIB_QUICK", "0")
    assert DreamSettings.default() == DreamSettings()


def test_one_call_dream_with_random_weights_is_repeatable(cat):
    kwargs = dict(model="mobilenet_v2", layers=LAYERS, weights=None, steps=2, octaves=1, seed=3, progress=False)
    first, second = dream(cat, **kwargs), dream(cat, **kwargs)
    assert first.untrained and np.array_equal(first.image, second.image)


def test_on_step_reports_every_step_and_can_stop_mid_octave(random_mobilenet_v2, cat):
    dreamer = Dreamer(objective={"block_1_expand_relu": 1.0}, backbone=random_mobilenet_v2)
    seen = []

    def on_step(octave, step, loss):
        seen.append((octave, step))
        return not (octave == 1 and step == 2)   # stop after the 2nd step of the 2nd octave

    result = dreamer.dream(cat, DreamSettings(steps=4, octaves=3, seed=0), progress=False, on_step=on_step)
    assert seen == [(0, 1), (0, 2), (0, 3), (0, 4), (1, 1), (1, 2)]
    assert result.record.interrupted and [len(l) for l in result.record.losses] == [4, 2]
    assert result.image.shape == cat.shape and np.abs(result.image - cat).mean() > 0


@pytest.mark.parametrize("picture,advice", [
    (np.full((40, 40, 3), 0.5), "multiply it by 255"), (np.full((40, 40, 3), np.nan), "NaN or infinite"),
    (None, "load files with dreamlib.images.load_image"), ("chelsea", "load files with")])
def test_a_picture_that_cannot_be_dreamed_says_why(dreamer, picture, advice):
    with pytest.raises(DreamlibError, match=advice):
        dreamer.dream(picture, DreamSettings(steps=1, octaves=1), progress=False)


def test_build_dreamer_is_the_one_way_and_its_record_can_be_replayed(cat, tmp_path):
    from dreamlib import knobs
    from dreamlib.dream import build_dreamer

    dreamer = build_dreamer("mobilenet_v2", "block_1_expand_relu:1.5", "mean", weights=None, seed=2)
    result = dreamer.dream(cat, DreamSettings(steps=2, octaves=1, seed=2), progress=False)
    assert result.record.recipe == {"layers": {"block_1_expand_relu": 1.5}, "objective": "mean", "border": 0}
    saved = knobs.read_saved(result.save(tmp_path / "a.png"))
    assert saved["model"] == "mobilenet_v2" and saved["objective"] == "mean" and saved["steps"] == 2
    again = build_dreamer(saved["model"], saved["layers"], saved["objective"], weights=None, seed=saved["seed"])
    replayed = again.dream(cat, DreamSettings(**{n: saved[n] for n in DreamSettings.NAMES}), progress=False)
    assert np.array_equal(replayed.image, result.image)
