import inspect

import numpy as np
import pytest
import tensorflow as tf

from dreamlib import objectives as ob
from dreamlib.errors import DreamlibError

ACTS = {"a": tf.constant(np.arange(1 * 6 * 6 * 2, dtype=np.float32).reshape(1, 6, 6, 2) / 10),
        "b": tf.constant(-np.ones((1, 3, 3, 4), np.float32))}


def test_sum_of_squares_is_divided_by_the_element_count():
    a = ACTS["a"].numpy()
    assert np.isclose(float(ob.sum_of_squares("a")(ACTS)), (a ** 2).sum() / a.size)


def test_border_crop_drops_the_edges_and_divides_like_article_d():
    a = ACTS["a"].numpy()
    inner = a[:, 2:-2, 2:-2, :]
    # article D and keras.io: cropped sum over the WHOLE activation's element count
    assert np.isclose(float(ob.sum_of_squares("a", border=2)(ACTS)), (inner ** 2).sum() / a.size)
    cropped = ob.sum_of_squares("a", border=2, divide_by="cropped")
    assert np.isclose(float(cropped(ACTS)), (inner ** 2).sum() / inner.size)
    assert "divide_by=cropped" in cropped.description
    # a map too small to crop is used whole instead of giving NaN
    assert np.isclose(float(ob.sum_of_squares("b", border=2)(ACTS)), 1.0)


def test_mean_l2_and_channel():
    a = ACTS["a"].numpy()
    assert np.isclose(float(ob.mean_activation("a")(ACTS)), a.mean())
    assert np.isclose(float(ob.l2_norm("a")(ACTS)), np.sqrt((a ** 2).sum()))
    assert np.isclose(float(ob.channel("a", 1)(ACTS)), a[..., 1].mean())


def test_objectives_compose_like_numbers():
    combined = 0.5 * ob.mean_activation("a") + 2 * ob.mean_activation("b") - ob.channel("a", 0)
    expected = 0.5 * ACTS["a"].numpy().mean() - 2.0 - ACTS["a"].numpy()[..., 0].mean()
    assert np.isclose(float(combined(ACTS)), expected)
    assert combined.layers == ("a", "b")


def test_weighted_layers_is_article_a():
    loss = ob.weighted_layers({"a": 0.5, "b": 1.2})
    expected = 0.5 * float(ob.sum_of_squares("a")(ACTS)) + 1.2 * 1.0
    assert np.isclose(float(loss(ACTS)), expected)


def test_parse_layer_weights():
    assert ob.parse_layer_weights("mixed3:1.0, mixed5:1.5,mixed7") == {"mixed3": 1.0, "mixed5": 1.5, "mixed7": 1.0}


@pytest.mark.parametrize("text", ["mixed3:lots", ":1.0", "", " , "])
def test_bad_layer_weights_are_explained(text):
    with pytest.raises(DreamlibError, match="name:weight|no layers"):
        ob.parse_layer_weights(text)


def test_a_channel_objective_is_one_line_and_takes_numpy_indices():
    # its index is checked where it meets a network (dreamlib.channels.check_channel, visualize)
    assert np.isclose(float(ob.channel("a", np.int64(1))(ACTS)), float(ob.channel("a", 1)(ACTS)))
    body = inspect.getsource(ob.channel).split('"""')[-1].strip().splitlines()
    assert len(body) == 1 and body[0].startswith("return Objective(")


@pytest.mark.parametrize("kind,border,match", [
    ("sum_of_squares", -2, "border must be a whole number from 0 to 100"),
    ("sum_of_squares", 2.0, "border must be a whole number"),
    ("max", 0, "objective must be one of sum_of_squares, mean, l2"),
])
def test_the_objective_is_checked_where_a_dream_builds_it_not_inside(kind, border, match):
    from dreamlib.dream import default_objective

    with pytest.raises(DreamlibError, match=match):
        default_objective("mobilenet_v2", {"a": 1.0}, kind, border)
    assert "raise" not in inspect.getsource(ob.sum_of_squares)   # the notebooks show the method alone
    assert "raise" not in inspect.getsource(ob.weighted_layers)


# ----------------------------------------------------------------------------- feature visualisation

def test_class_logit_reads_one_class_score_by_name_or_index():
    from dreamlib import models

    logits = np.zeros((1, 1, 1, 1000), np.float32)
    tabby = models.class_index("tabby")
    logits[..., tabby] = 7.0
    acts = {"conv_preds": tf.constant(logits)}
    by_name, by_index = ob.class_logit("tabby"), ob.class_logit(tabby)
    assert float(by_name(acts)) == 7.0 and float(by_index(acts)) == 7.0
    assert by_name.layers == ("conv_preds",) and "tabby" in by_name.description
    with pytest.raises(DreamlibError, match="tabby_cat"):
        models.class_index("tabby_cat")


def test_diversity_is_higher_for_pictures_that_differ():
    same = tf.tile(tf.random.stateless_uniform([1, 4, 4, 8], seed=[0, 1]), [3, 1, 1, 1])
    different = tf.random.stateless_uniform([3, 4, 4, 8], seed=[0, 2]) ** 4  # other channel mixes
    assert float(ob.diversity("a")({"a": same})) == pytest.approx(-1.0, abs=1e-5)  # identical: cosine 1
    assert float(ob.diversity("a")({"a": different})) > -0.99
    # it composes with a channel: the batch still has to fire the channel
    total = ob.channel("a", 0) + 2.0 * ob.diversity("a")
    assert total.layers == ("a",)
    with tf.GradientTape() as tape:
        tape.watch(different)
        value = ob.diversity("a")({"a": different})
    assert float(tf.reduce_sum(tf.abs(tape.gradient(value, different)))) > 0


def test_total_variation_reads_the_picture_itself():
    stripes = np.zeros((1, 8, 8, 3), np.float32)
    stripes[:, :, ::2] = 1.0  # every horizontal neighbour differs by 1, vertical ones agree
    tv = ob.total_variation()
    assert tv.layers == (ob.INPUT,)
    assert float(tv({ob.INPUT: tf.constant(stripes)})) == pytest.approx(1.0)
    assert float(tv({ob.INPUT: tf.zeros([1, 8, 8, 3])})) == 0.0


def test_blur_difference_pulls_the_picture_towards_its_blur():
    from dreamlib.transforms import gaussian_blur

    noisy = tf.random.stateless_uniform([1, 24, 24, 3], seed=[3, 4])
    penalty = ob.blur_difference(1.0)
    with tf.GradientTape() as tape:
        tape.watch(noisy)
        value = penalty({ob.INPUT: noisy})
    g = tape.gradient(value, noisy)
    assert float(value) > 0 and float(penalty({ob.INPUT: tf.fill([1, 24, 24, 3], 0.5)})) < 1e-10
    # a step down the penalty moves the picture towards its blurred copy
    target = gaussian_blur(noisy, 1.0)
    stepped = noisy - 0.1 * g / tf.reduce_mean(tf.abs(g))
    assert float(tf.reduce_mean(tf.abs(stepped - target))) < float(tf.reduce_mean(tf.abs(noisy - target)))


def test_for_picture_reads_one_picture_of_the_batch():
    acts = {"a": tf.constant(np.arange(3, dtype=np.float32).reshape(3, 1, 1, 1))}
    first, last = ob.for_picture(ob.channel("a", 0), 0), ob.for_picture(ob.channel("a", 0), 2)
    assert float(first(acts)) == 0.0 and float(last(acts)) == 2.0
    assert float((first + last)(acts)) == 2.0 and first.layers == ("a",)
