import numpy as np
import pytest
import tensorflow as tf
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

    result = dreamer.dream(cat, DreamSettings(steps=40, octaves=3, seed=0), progress=False, on_step=on_step)
    # steps run in compiled chunks: the stop comes at the end of the chunk, and the record has its steps
    taken = len(result.record.losses[1])
    assert seen == [(0, step) for step in range(1, 41)] + [(1, 1), (1, 2)] and 2 <= taken < 40
    assert result.record.interrupted and len(result.record.losses) == 2
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


def test_chunks_of_compiled_steps_do_not_change_the_dream(dreamer, cat, monkeypatch):
    import dreamlib.render

    settings = DreamSettings(steps=12, octaves=2, seed=1, jitter=16, step_size=0.05)
    losses = dreamer.dream(cat, settings, progress=False).record.losses
    settings.max_loss = sorted(losses[0])[-3]  # stops the first octave inside a chunk: no roll is drawn after it
    chunked = dreamer.dream(cat, settings, progress=False)
    monkeypatch.setattr(dreamlib.render, "STOP_WITHIN_SECONDS", 0.0)  # one step per call
    one_by_one = dreamer.dream(cat, settings, progress=False)
    assert chunked.record.stopped_early[0] and len(chunked.record.losses[0]) > 1
    assert chunked.record.losses == one_by_one.record.losses
    assert np.array_equal(chunked.image, one_by_one.image)


def reference_dream(dreamer, image, s):
    """The dream written out step by step: PIL resizes between octaves (the original shrunk anew
    each time), one compiled call for each gradient, the roll drawn from the same seeded generator
    and undone by hand, the normalised step in plain code."""
    from dreamlib.ascent import normalize_gradient
    from dreamlib.images import resize_image
    from dreamlib.models import input_range
    from dreamlib.octaves import octave_shapes
    from dreamlib.tiles import needs_tiles

    rng, backbone = tf.random.Generator.from_seed(s.seed), dreamer.backbone
    low, high = input_range(backbone.spec)
    original = backbone.preprocess(image)
    shapes = octave_shapes(image.shape[:2], s.octaves, s.octave_scale, backbone.spec.min_size)
    x = resize_image(original, shapes[0])
    for index, shape in enumerate(shapes):
        if index:
            x = resize_image(x, shape) + resize_image(original, shape) \
                - resize_image(resize_image(original, shapes[index - 1]), shape)
        tile = s.tile_size if needs_tiles(shape, s.tile_size) else 0
        jitter = s.jitter if s.jitter is not None else tile
        x = tf.constant(x)
        for _ in range(s.steps):
            shift = rng.uniform([2], -jitter, jitter + 1, dtype=tf.int32)
            _, g = dreamer.gradient(tf.roll(x, shift, axis=[0, 1]), tile, s.tile_margin)
            g = tf.roll(g, -shift, axis=[0, 1])
            x = tf.clip_by_value(x + s.step_size * normalize_gradient(g, s.normalize), low, high)
        x = np.asarray(x)
    return backbone.to_pixels(resize_image(x, image.shape[:2]))


@pytest.mark.parametrize("tile_size", [0, 64])
def test_the_compiled_tensor_dream_is_the_step_by_step_one(dreamer, cat, tile_size):
    settings = DreamSettings(steps=4, octaves=3, octave_scale=1.3, seed=2, step_size=0.05, tile_size=tile_size,
                             tile_margin=32)
    ours = dreamer.dream(cat, settings, progress=False)
    assert ours.record.tiles[-1] == (6 if tile_size else 1)
    reference = reference_dream(dreamer, cat, settings)
    assert np.abs(ours.image - reference).mean() < 0.02 and np.abs(ours.image - reference).max() < 0.5
    assert np.abs(ours.image - cat).mean() > 1


def test_one_trace_for_every_picture_size(random_mobilenet_v2, cat, monkeypatch):
    import dreamlib.dream as module

    dreamer, loops = Dreamer(objective={"block_1_expand_relu": 1.0}, backbone=random_mobilenet_v2), []
    real = module.dream_loop
    monkeypatch.setattr(module, "dream_loop", lambda *args: loops.append(real(*args)) or loops[-1])
    dreamer.dream(cat, DreamSettings(steps=3, octaves=3, octave_scale=1.3, seed=0), progress=False)
    assert loops[0].tracing_count() == 1  # three octave sizes, one compiled chunk of steps


def test_the_progress_bar_names_each_octave_width_by_height(dreamer, cat, capsys):
    dreamer.dream(cat[:40, :60], DreamSettings(steps=1, octaves=1), progress=True)
    assert "octave 1/1 60x40" in capsys.readouterr().err  # as the saved line says it: 60x40
