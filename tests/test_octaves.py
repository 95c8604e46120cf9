import numpy as np
import pytest
import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.images import resize_image
from dreamlib.octaves import enlarge, lost_detail, octave_exponents, octave_shapes, resize
from tests.conftest import rng_image


def test_count_gives_shapes_smallest_first_ending_at_the_original():
    shapes = octave_shapes((300, 400), octaves=4, octave_scale=1.4)
    assert shapes[-1] == (300, 400)
    assert shapes[0] == (round(300 / 1.4 ** 3), round(400 / 1.4 ** 3))
    assert all(a[0] < b[0] and a[1] < b[1] for a, b in zip(shapes, shapes[1:]))


def test_article_b_octaves_go_above_the_original():
    assert octave_exponents(range(-2, 3)) == [-2, -1, 0, 1, 2]
    shapes = octave_shapes((100, 200), octaves=range(-2, 3), octave_scale=1.3)
    assert shapes[2] == (100, 200) and shapes[-1] == (169, 338) and shapes[0] == (59, 118)


def test_octave_too_small_for_the_model_says_what_to_do():
    with pytest.raises(DreamlibError, match="below this model's minimum of 75 px: use at most 3 octaves"):
        octave_shapes((160, 160), octaves=5, octave_scale=1.4, min_size=75)


def test_a_picture_below_the_model_minimum_is_not_told_to_use_fewer_octaves():
    with pytest.raises(DreamlibError, match="the picture is 1x5000 px, below this model's minimum of 32 px: use a "
                                            "picture at least 32 px"):
        octave_shapes((1, 5000), octaves=1, octave_scale=1.4, min_size=32)


@pytest.mark.parametrize("shape", [(30, 40), (61, 17), (150, 200), (60, 80)])
def test_tensorflow_resize_keeps_pils_antialiased_bicubic(shape):
    picture = rng_image((60, 80))
    ours = resize(tf.constant(picture), shape)
    assert isinstance(ours, tf.Tensor) and ours.shape == (*shape, 3)
    assert np.abs(ours.numpy() - resize_image(picture, shape)).max() < 0.01  # grey levels of 255


def test_lost_detail_is_what_the_small_trip_removed():
    original = tf.constant(rng_image((60, 80)))
    shrunk = resize(original, (30, 40))
    detail = lost_detail(shrunk, original)
    blurred = resize_image(resize_image(original.numpy(), (30, 40)), (60, 80))
    assert np.allclose(blurred + detail.numpy(), original.numpy(), atol=0.02)
    assert np.abs(detail.numpy()).mean() > 10  # random pixels lose a lot


def test_enlarging_with_reinjection_restores_an_undreamed_original():
    original = tf.constant(rng_image((60, 80)))
    shrunk = resize(original, (30, 40))
    restored = enlarge(shrunk, (60, 80), shrunk, original)
    plain = enlarge(shrunk, (60, 80))
    assert np.abs(restored.numpy() - original.numpy()).max() < 1e-2
    assert np.abs(plain.numpy() - original.numpy()).mean() > 10
