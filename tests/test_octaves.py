import numpy as np
import pytest

from dreamlib.errors import DreamlibError
from dreamlib.images import resize_image
from dreamlib.octaves import enlarge, lost_detail, octave_exponents, octave_shapes
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


def test_lost_detail_is_what_the_small_trip_removed():
    original = rng_image((60, 80))
    detail = lost_detail(original, (30, 40), (60, 80))
    blurred = resize_image(resize_image(original, (30, 40)), (60, 80))
    assert np.allclose(blurred + detail, original, atol=1e-3)
    assert np.abs(detail).mean() > 10  # random pixels lose a lot


def test_enlarging_with_reinjection_restores_an_undreamed_original():
    original = rng_image((60, 80))
    shrunk = resize_image(original, (30, 40))
    restored = enlarge(shrunk, (60, 80), original)
    plain = enlarge(shrunk, (60, 80))
    assert np.abs(restored - original).max() < 1e-2
    assert np.abs(plain - original).mean() > 10
