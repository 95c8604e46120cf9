import numpy as np
import pytest
import tensorflow as tf

from dreamlib.ascent import LossGradient
from dreamlib.errors import DreamlibError
from dreamlib.objectives import mean_activation
from dreamlib.tiles import (needs_tiles, random_roll, rolled_gradient, tile_edges, tile_slices,
                            tiled_gradient)
from tests.conftest import rng_image


@pytest.mark.parametrize("shape,tile", [((1030, 700), 512), ((512, 512), 512), ((100, 37), 16),
                                        ((513, 2049), 512), ((7, 7), 100)])
def test_tiles_cover_every_pixel_exactly_once(shape, tile):
    count = np.zeros(shape, int)
    for rows, cols in tile_slices(shape, tile):
        count[rows, cols] += 1
        assert 0 < rows.stop - rows.start <= tile and 0 < cols.stop - cols.start <= tile
    assert (count == 1).all()


def test_no_sliver_tiles_at_the_edge():
    # the TF tutorial's fixed grid would leave a 6-pixel strip (or skip it); equal splits don't
    assert tile_edges(1030, 512, multiple_of=1) == [0, 343, 687, 1030]
    assert tile_edges(1030, 512) == [0, 352, 672, 1030]  # aligned to the stride of 32


def test_bad_tile_size():
    with pytest.raises(DreamlibError, match="tile_size"):
        tile_edges(100, 0)


def test_roll_is_undone_exactly():
    x = tf.constant(rng_image((20, 30)))
    rolled, (dy, dx) = random_roll(x, 10, np.random.default_rng(3))
    assert (dy, dx) != (0, 0)
    assert np.array_equal(tf.roll(rolled, (-dy, -dx), axis=[0, 1]).numpy(), x.numpy())


@pytest.fixture(scope="module")
def lossgrad(random_mobilenet_v2):
    return LossGradient(random_mobilenet_v2, mean_activation("block_1_expand_relu"))


def test_one_tile_equals_the_untiled_gradient(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((64, 80)))
    loss, g = lossgrad(x)
    tiled_loss, tiled_g = tiled_gradient(x, lossgrad, tile_size=128)
    assert np.isclose(loss, tiled_loss) and np.allclose(g.numpy(), tiled_g.numpy())


def test_tiled_gradient_is_the_sum_of_tile_gradients(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((96, 64)))
    loss, g = tiled_gradient(x, lossgrad, tile_size=48)
    expected = sum(lossgrad(x[r, c])[0] for r, c in tile_slices((96, 64), 48))
    assert np.isclose(loss, expected, rtol=1e-5)
    first_tile = lossgrad(x[:48, :32])[1].numpy()
    assert np.allclose(g.numpy()[:48, :32], first_tile, atol=1e-6)
    assert (np.abs(g.numpy()).sum(axis=-1) > 0).mean() > 0.99  # every pixel got gradient


def test_memory_depends_on_the_tile_not_the_image(lossgrad, random_mobilenet_v2):
    seen = []

    def spy(tile):
        seen.append(tuple(tile.shape[:2]))
        return lossgrad(tile)

    x = random_mobilenet_v2.preprocess(rng_image((300, 200)))
    rolled_gradient(x, spy, tile_size=64, max_shift=64, rng=np.random.default_rng(0))
    assert len(seen) == 20 and max(max(s) for s in seen) <= 64


def test_rolled_gradient_without_shift_is_the_plain_gradient(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((64, 64)))
    _, plain = lossgrad(x)
    _, rolled = rolled_gradient(x, lossgrad, tile_size=None, max_shift=0)
    assert np.allclose(plain.numpy(), rolled.numpy())


def test_needs_tiles():
    assert needs_tiles((600, 300), 512) and not needs_tiles((512, 300), 512) and not needs_tiles((5000, 5000), 0)


def test_rolled_tiles_equal_roll_tile_and_roll_back(lossgrad, random_mobilenet_v2):
    from dreamlib.tiles import rolled_tiled_gradient

    x = tf.constant(random_mobilenet_v2.preprocess(rng_image((100, 70))))
    shift = (13, -29)
    rolled = tf.roll(x, shift, axis=[0, 1])
    loss, g = tiled_gradient(rolled, lossgrad, 40)
    expected = tf.roll(g, (-shift[0], -shift[1]), axis=[0, 1])
    fast_loss, fast = rolled_tiled_gradient(x, lossgrad, 40, shift)
    assert np.isclose(loss, fast_loss, rtol=1e-5)
    assert np.allclose(expected.numpy(), fast.numpy(), atol=1e-6)


@pytest.mark.parametrize("shift", [(0, 0), (40, 0), (-7, 55), (99, -69)])
def test_rolled_tiles_for_every_kind_of_wrap(shift):
    from dreamlib.tiles import rolled_tiled_gradient

    def identity_gradient(tile):  # the gradient of sum(x^2)/2 is x itself
        tile = tf.convert_to_tensor(tile)
        return float(tf.reduce_sum(tile)), tile

    x = tf.constant(rng_image((100, 70)))
    loss, g = rolled_tiled_gradient(x, identity_gradient, 32, shift)
    assert np.allclose(g.numpy(), x.numpy()) and np.isclose(loss, float(tf.reduce_sum(x)), rtol=1e-5)
