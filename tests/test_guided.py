"""Guided dreams (article C): the matching, the objective's gradient, and that dreams move toward the guide."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from dreamlib import models
from dreamlib.cli import main
from dreamlib.dream import Dreamer, DreamSettings
from dreamlib.errors import DreamlibError
from dreamlib.guided import guide_features, guide_similarity, guided_objective, match_guide
from dreamlib.images import load_image, resize_image

from conftest import require_cached

SHALLOW = "block_1_expand_relu"  # random MobileNetV2's deep layers collapse; shallow ones respond


def test_matching_picks_the_guide_vector_with_the_highest_dot_product():
    dream = tf.constant([[[[1.0, 0.0], [0.0, 1.0]],
                          [[1.0, 1.0], [-1.0, 0.0]]]])              # (1, 2, 2, 2)
    guide = tf.constant([[2.0, 0.0], [0.0, 3.0], [1.5, 1.5], [-0.5, 0.0]])
    matched = match_guide(dream, guide).numpy()
    # dot products: (1,0)->[2,0,1.5,-.5]; (0,1)->[0,3,1.5,0]; (1,1)->[2,3,3,-.5] first max; (-1,0)->[-2,0,-1.5,.5]
    expected = np.array([[[[2.0, 0.0], [0.0, 3.0]], [[0.0, 3.0], [-0.5, 0.0]]]])
    np.testing.assert_array_equal(matched, expected)


def test_matching_equals_brute_force_on_random_features():
    rng = np.random.default_rng(0)
    dream, guide = rng.normal(size=(1, 5, 7, 16)), rng.normal(size=(30, 16))
    matched = match_guide(tf.constant(dream, tf.float32), tf.constant(guide, tf.float32)).numpy()
    for y in range(5):
        for x in range(7):
            best = guide[np.argmax(guide @ dream[0, y, x])]
            np.testing.assert_allclose(matched[0, y, x], best, rtol=1e-5)


def test_objective_gradient_is_the_matched_guide_features(random_mobilenet_v2, cat):
    objective = guided_objective(random_mobilenet_v2, cat, SHALLOW)
    targets = guide_features(random_mobilenet_v2, cat, SHALLOW)
    acts = tf.constant(np.random.default_rng(1).normal(size=(1, 6, 9, targets.shape[1])), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(acts)
        loss = objective({SHALLOW: acts})
    gradient = tape.gradient(loss, acts).numpy()
    expected = match_guide(acts, tf.constant(targets)).numpy() / acts.numpy().size
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-9)


def _similarity_gain(backbone, layer, image, guide, steps, **settings):
    before = guide_similarity(backbone, image, guide, layer)
    gains = {}
    for name, objective in (("guided", guided_objective(backbone, guide, layer)), ("plain", {layer: 1.0})):
        dream = Dreamer(objective=objective, backbone=backbone).dream(
            image, DreamSettings(steps=steps, octaves=1, seed=0, **settings), progress=False)
        gains[name] = guide_similarity(backbone, dream.image, guide, layer) - before
    return gains


def test_guided_dream_moves_features_toward_the_guide_more_than_a_plain_dream(random_mobilenet_v2, cat):
    clouds = resize_image(load_image("clouds"), (96, 144))
    gains = _similarity_gain(random_mobilenet_v2, SHALLOW, clouds, cat, steps=10, step_size=0.05)
    assert gains["guided"] > 0.005 and gains["guided"] > gains["plain"] + 0.005, gains


def test_guided_dream_with_real_weights_grows_the_guide(cat):
    require_cached("mobilenet_v2")
    backbone = models.load_backbone("mobilenet_v2")
    clouds = load_image("clouds", max_size=224)
    gains = _similarity_gain(backbone, "block_12_expand_relu", clouds, load_image("chelsea", max_size=224), steps=20)
    assert gains["guided"] > 0.02 and gains["guided"] > 2 * max(gains["plain"], 0.0), gains


def test_guided_dream_works_with_octaves_jitter_and_tiles(random_mobilenet_v2, cat):
    clouds = resize_image(load_image("clouds"), (96, 144))
    dreamer = Dreamer(objective=guided_objective(random_mobilenet_v2, cat, SHALLOW), backbone=random_mobilenet_v2)
    result = dreamer.dream(clouds, DreamSettings(steps=2, octaves=2, octave_scale=1.3, tile_size=64,
                                                 jitter=16, seed=0), progress=False)
    assert result.image.shape == clouds.shape
    assert result.record.tiles[-1] > 1 and len(result.record.losses) == 2
    assert np.abs(result.image - clouds).mean() > 0.1
    assert "guided(" in result.record.objective


def test_resnet50_is_a_first_class_backbone_for_guided_dreams():
    import keras

    keras.utils.set_random_seed(0)
    backbone = models.load_backbone("resnet50", weights=None)
    names = [name for name, _ in models.dreamable_layers(backbone)]
    assert "conv4_block6_out" in names and "conv3_block4_out" in names
    image = resize_image(load_image("clouds"), (64, 96))
    guide = resize_image(load_image("chelsea"), (64, 96))
    objective = guided_objective(backbone, guide)  # default layer: ResNet50's conv4_block6_out
    assert objective.layers == ("conv4_block6_out",)
    result = Dreamer(objective=objective, backbone=backbone).dream(
        image, DreamSettings(steps=1, octaves=1), progress=False)
    assert result.untrained and result.image.shape == image.shape


def test_bad_guides_and_layers_get_clear_errors(random_mobilenet_v2, cat):
    with pytest.raises(DreamlibError, match="no layer called 'nope'.*dreamlib layers"):
        guided_objective(random_mobilenet_v2, cat, "nope")
    with pytest.raises(DreamlibError, match="minimum"):
        guided_objective(random_mobilenet_v2, np.zeros((16, 16, 3), np.float32), SHALLOW)
    with pytest.raises(DreamlibError, match="RGB"):
        guided_objective(random_mobilenet_v2, np.zeros((64, 64), np.float32), SHALLOW)


GUIDED = ["--quick", "--steps", "1", "--octaves", "1", "--max-size", "64", "--model", "mobilenet_v2",
          "--random-weights", "--guide-layer", SHALLOW, "--seed", "0"]


def test_cli_guided_writes_a_labelled_picture(tmp_path, capsys):
    out = tmp_path / "guided.png"
    assert main(["guided", "clouds", "chelsea", str(out), *GUIDED]) == 0
    assert f"Dream saved to {out}" in capsys.readouterr().out
    with Image.open(out) as pil:
        assert pil.text["dreamlib:weights"] == "random (untrained)"
        assert "guided(block_1_expand_relu" in pil.text["dreamlib:objective"]


def test_cli_guided_refuses_to_overwrite_the_guide_and_rejects_layers(tmp_path, capsys):
    guide = tmp_path / "guide.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(guide)
    assert main(["guided", "clouds", str(guide), str(guide), *GUIDED, "--overwrite"]) == 2
    assert "refusing to overwrite the input picture" in capsys.readouterr().err
    assert main(["guided", "clouds", "chelsea", str(tmp_path / "x.png"), *GUIDED, "--layers", "a:1"]) == 2
    assert "--guide-layer" in capsys.readouterr().err
    assert main(["guided", "clouds", "missing.jpg", str(tmp_path / "y.png"), *GUIDED]) == 2
    assert "no image file at missing.jpg" in capsys.readouterr().err


def test_cli_guide_size_sets_the_guide_side(tmp_path, capsys):
    out = tmp_path / "big_guide.png"
    assert main(["guided", "clouds", "chelsea", str(out), *GUIDED, "--guide-size", "300"]) == 0
    with Image.open(out) as pil:
        assert "guide 300x" in pil.text["dreamlib:objective"]      # not capped at 224 or --max-size
    assert main(["guided", "clouds", "chelsea", str(tmp_path / "z.png"), *GUIDED, "--guide-size", "0"]) == 2
    assert "--guide-size" in capsys.readouterr().err


def test_real_guided_dreams_grow_their_own_guide_not_the_same_eyes():
    """A cat and a coffee cup guide MobileNetV2 (its default guide layer) to different dreams."""
    require_cached("mobilenet_v2")
    backbone = models.load_backbone("mobilenet_v2")
    assert guided_objective(backbone, load_image("coffee", max_size=64)).layers == ("block_15_expand_relu",)
    clouds = load_image("clouds", max_size=128)
    guides = {name: load_image(name, max_size=160) for name in ("chelsea", "coffee")}
    settings = DreamSettings(steps=12, octaves=2, step_size=0.02, jitter=16, seed=0)
    dreams = {"plain": Dreamer(objective={"block_15_expand_relu": 1.0}, backbone=backbone)}
    dreams.update({name: Dreamer(objective=guided_objective(backbone, guide), backbone=backbone)
                   for name, guide in guides.items()})
    pictures = {name: d.dream(clouds, settings, progress=False).image for name, d in dreams.items()}
    for name, guide in guides.items():
        similarity = {dream: guide_similarity(backbone, picture, guide) for dream, picture in pictures.items()}
        assert max(similarity, key=similarity.get) == name, (name, similarity)
