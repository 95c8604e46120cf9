import numpy as np
import pytest
import tensorflow as tf

from dreamlib import knobs
from dreamlib.ascent import LossGradient
from dreamlib.images import load_image, resize_image
from dreamlib.objectives import mean_activation, weighted_layers
from dreamlib.render import generator, roll
from dreamlib import tiles
from dreamlib.errors import DreamlibError
from dreamlib.tiles import (gradient_by_tiles, memory_budget, needs_tiles, plan_tiles, random_shift, tile_edges,
                            tile_grid, tile_slices, tile_windows, window_bytes_per_pixel)
from tests.conftest import rng_image

MARGIN = knobs.knob("tile_margin").default


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


@pytest.mark.parametrize("shape,tile,margin", [((1030, 700), 512, 64), ((171, 256), 64, 32), ((97, 45), 32, 5)])
def test_windows_hold_the_margin_and_see_the_images_grid(shape, tile, margin):
    pairs = tile_windows(shape, tile, margin)
    for side, length in enumerate(shape):
        lengths = {window[side].stop - window[side].start for _, window in pairs}
        assert len(lengths) == 1   # one window size: windows can go through the network together
        size = lengths.pop()
        assert size == length or (size % 32 == length % 32 and size <= tile + 2 * margin + 2 * 31)
    for (rows, cols), (wrows, wcols) in pairs:
        for part, grown, length in ((rows, wrows, shape[0]), (cols, wcols, shape[1])):
            assert grown.start <= max(part.start - margin, 0) and grown.stop >= min(part.stop + margin, length)
            assert grown.start % 32 == 0 and 0 <= grown.start and grown.stop <= length   # on the stride
    assert tile_windows(shape, tile, 0) == [(t, t) for t in tile_slices(shape, tile)]


def test_roll_is_undone_exactly():
    x = tf.constant(rng_image((20, 30)))
    dy, dx = random_shift(10, np.random.default_rng(3))
    assert (dy, dx) != (0, 0)
    rolled = tf.roll(x, (dy, dx), axis=[0, 1])
    assert np.array_equal(tf.roll(rolled, (-dy, -dx), axis=[0, 1]).numpy(), x.numpy())


def test_the_gradient_comes_back_through_a_roll_without_a_hand_roll_back():
    # the render loop differentiates through its roll transform: the gradient is rolled back by itself
    x, weights = tf.constant(rng_image((20, 30))), tf.constant(rng_image((20, 30), seed=1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        seen = roll(10)(x, generator(3))
        loss = tf.reduce_sum(seen * weights)
    shift = random_shift(10, generator(3))  # the shift the roll drew
    assert shift != (0, 0)
    assert np.array_equal(tape.gradient(loss, x).numpy(), tf.roll(weights, (-shift[0], -shift[1]), axis=[0, 1]).numpy())


def one_by_one(gradient_fn):
    """A batch's (losses, gradients) from a function of one window (eager)."""
    def batched(windows):
        results = [gradient_fn(w) for w in tf.unstack(windows)]
        return tf.stack([tf.cast(loss, tf.float32) for loss, _ in results]), tf.stack([g for _, g in results])
    return batched


def tiled(x, gradient_fn, tile_size, margin, area_power=0.0, batch=1):
    """(loss, gradient) of ``x`` in tiles of ``tile_size`` with ``margin``, run eagerly."""
    x = tf.convert_to_tensor(x, tf.float32)
    return gradient_by_tiles(x, one_by_one(gradient_fn), *tile_grid(x.shape[:2], tile_size), tf.constant(margin),
                             area_power, batch)


def rolled(x, gradient_fn, tile_size, shift, rng, margin):
    """The tiled gradient of ``x`` rolled by a random shift, rolled back by hand."""
    dy, dx = random_shift(shift, rng)
    loss, g = tiled(tf.roll(x, (dy, dx), axis=[0, 1]), gradient_fn, tile_size, margin)
    return loss, tf.roll(g, (-dy, -dx), axis=[0, 1])


@pytest.fixture(scope="module")
def lossgrad(random_mobilenet_v2):
    return LossGradient(random_mobilenet_v2, mean_activation("block_1_expand_relu"))


def test_one_tile_equals_the_untiled_gradient(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((64, 80)))
    loss, g = lossgrad(x)
    tiled_loss, tiled_g = lossgrad(x, tile_size=128, margin=MARGIN)
    assert loss == tiled_loss and np.array_equal(g.numpy(), tiled_g.numpy())


def test_without_margin_each_tile_is_its_own_gradient_scaled_by_its_share(lossgrad, random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(rng_image((96, 64)))
    loss, g = lossgrad(x, tile_size=48, margin=0)
    tiles = tile_slices((96, 64), 48)
    shares = [(r.stop - r.start) * (c.stop - c.start) / (96 * 64) for r, c in tiles]
    assert np.isclose(loss, sum(s * lossgrad(x[r, c])[0] for s, (r, c) in zip(shares, tiles)), rtol=1e-5)
    first_tile = lossgrad(x[:48, :32])[1].numpy() * shares[0]
    assert np.allclose(g.numpy()[:48, :32], first_tile, atol=1e-9)
    assert (np.abs(g.numpy()).sum(axis=-1) > 0).mean() > 0.99  # every pixel got gradient


def test_memory_depends_on_the_tile_and_margin_not_the_image(lossgrad, random_mobilenet_v2):
    seen = []

    def spy(window):
        seen.append(tuple(window.shape[:2]))
        return lossgrad(window)

    x = random_mobilenet_v2.preprocess(rng_image((300, 200)))
    rolled(x, spy, 64, 64, np.random.default_rng(0), 16)
    assert len(seen) == 20 and max(max(s) for s in seen) <= 64 + 2 * 16 + 2 * 31  # 31: see tiles.window


@pytest.mark.parametrize("shift", [0, 40, 99])
def test_tiles_put_a_mean_objectives_gradient_together_exactly(shift):
    def mean_square_half(window):  # the gradient of mean(x^2)/2 is x / (pixels of the window)
        window = tf.convert_to_tensor(window)
        pixels = tf.cast(tf.shape(window)[0] * tf.shape(window)[1], tf.float32)
        return tf.reduce_sum(window ** 2) / 2 / pixels, window / pixels

    x = tf.constant(rng_image((100, 70)))
    for margin in (0, 8, 200):
        loss, g = rolled(x, mean_square_half, 32, shift, np.random.default_rng(shift), margin)
        assert np.allclose(g.numpy(), x.numpy() / 7000, rtol=1e-5)
        assert np.isclose(float(loss), mean_square_half(x)[0], rtol=1e-2)


def test_needs_tiles():
    assert needs_tiles((600, 300), 512) and not needs_tiles((512, 300), 512) and not needs_tiles((5000, 5000), 0)


def relative_error(tiled, whole):
    """Relative L2 distance of two gradients, each scaled to unit length (the step normalises them)."""
    tiled, whole = (np.asarray(g).ravel() / np.linalg.norm(np.asarray(g)) for g in (tiled, whole))
    return float(np.linalg.norm(tiled - whole))


def test_the_margin_makes_tiles_seamless(random_mobilenet_v2):
    # 1024x1024 in 512-px tiles, one step's gradient: plain tiles leave seams, the margin removes them
    gradient = LossGradient(random_mobilenet_v2, weighted_layers(random_mobilenet_v2.spec.default_layers, "mean"))
    x = random_mobilenet_v2.preprocess(resize_image(load_image("astronaut"), (1024, 1024)))
    _, whole = gradient(x)
    _, plain = gradient(x, 512, margin=0)
    _, seamless = gradient(x, 512, margin=MARGIN)
    assert relative_error(plain, whole) > 0.15
    assert relative_error(seamless, whole) < 0.05


def test_tiles_scale_a_norm_objective_like_the_whole_picture(random_mobilenet_v2):
    # an L2 norm grows with the square root of the area: corner, edge and middle windows differ in
    # size, so scaling them as means would make some tiles dream harder than others
    x = random_mobilenet_v2.preprocess(resize_image(load_image("astronaut"), (704, 704)))
    norm = weighted_layers(random_mobilenet_v2.spec.default_layers, "l2")
    assert norm.area_power == 0.5
    whole_loss, whole = LossGradient(random_mobilenet_v2, norm)(x)
    tiled_loss, tiled = LossGradient(random_mobilenet_v2, norm)(x, 256, margin=MARGIN)
    norm.area_power = 0.0  # what the tiles did before they knew: scaled as a mean
    _, as_mean = LossGradient(random_mobilenet_v2, norm)(x, 256, margin=MARGIN)
    assert relative_error(tiled, whole) < 0.05 < relative_error(as_mean, whole)
    assert abs(tiled_loss - float(whole_loss)) < 0.05 * float(whole_loss)


@pytest.mark.parametrize("batch", [2, 3, 16])
def test_windows_in_batches_give_the_same_gradient_as_one_at_a_time(random_mobilenet_v2, batch):
    # equal windows go through the network together; each keeps its own loss and gradient
    gradient = LossGradient(random_mobilenet_v2, weighted_layers(random_mobilenet_v2.spec.default_layers, "mean"))
    x = random_mobilenet_v2.preprocess(resize_image(load_image("astronaut"), (300, 230)))
    loss, one = gradient(x, 96, margin=32)
    batched_loss, together = gradient(x, 96, margin=32, batch=batch)
    assert np.isclose(loss, batched_loss, rtol=1e-5)
    assert relative_error(together, one) < 1e-5


def test_a_norm_objective_in_batches_is_scaled_like_one_at_a_time(random_mobilenet_v2):
    x = random_mobilenet_v2.preprocess(resize_image(load_image("astronaut"), (300, 230)))
    gradient = LossGradient(random_mobilenet_v2, weighted_layers(random_mobilenet_v2.spec.default_layers, "l2"))
    (loss, one), (batched_loss, together) = gradient(x, 96, margin=32), gradient(x, 96, margin=32, batch=4)
    assert np.isclose(loss, batched_loss, rtol=1e-5) and relative_error(together, one) < 1e-5


def test_without_a_margin_tiles_of_unequal_size_go_one_at_a_time(random_mobilenet_v2):
    gradient = LossGradient(random_mobilenet_v2, mean_activation("block_1_expand_relu"))
    x = random_mobilenet_v2.preprocess(rng_image((100, 70)))
    (loss, one), (batched_loss, together) = gradient(x, 48, margin=0), gradient(x, 48, margin=0, batch=4)
    assert loss == batched_loss and np.array_equal(one.numpy(), together.numpy())


# --- tiles sized for the machine ------------------------------------------------------------------

def window_pixels(shape, tile, margin):
    """Pixels the network sees in one tiled step, and the one window's pixels."""
    pairs = tile_windows(shape, tile, margin)
    (wrows, wcols) = pairs[0][1]
    return len(pairs) * (wrows.stop - wrows.start) * (wcols.stop - wcols.start), \
        (wrows.stop - wrows.start) * (wcols.stop - wcols.start)


def test_a_picture_that_fits_the_budget_is_not_tiled():
    assert plan_tiles((1000, 700), 64, 1000, 2**30, window=1024) == (0, 1)
    assert plan_tiles((1000, 700), 64, 1000, 2**30, window=800)[0] > 0     # bigger than the largest window
    assert plan_tiles((1000, 700), 64, 1000, 2**29, window=1024)[0] > 0   # 700,000 px x 1000 B > 512 MiB


@pytest.mark.parametrize("shape,budget", [((2048, 2048), 2**30), ((4096, 3000), 2**30), ((2048, 2048), 2**28),
                                          ((1500, 900), 2**27)])
def test_tiles_fit_the_budget_with_the_fewest_pixels_for_the_network(shape, budget):
    bytes_per_pixel, margin = 1000, 64
    tile, batch = plan_tiles(shape, margin, bytes_per_pixel, budget, window=1024, batch=2)
    seen, one = window_pixels(shape, tile, margin)
    assert one * bytes_per_pixel * batch <= budget and 1 <= batch <= 2
    for other in range(128, 1024, 32):   # no other tile size that fits sends fewer pixels through the network
        other_seen, other_one = window_pixels(shape, other, margin)
        if other_one * bytes_per_pixel <= budget and max(tile_windows(shape, other, margin)[0][1][0].stop
                                                         - tile_windows(shape, other, margin)[0][1][0].start,
                                                         tile_windows(shape, other, margin)[0][1][1].stop
                                                         - tile_windows(shape, other, margin)[0][1][1].start) <= 1024:
            assert seen <= other_seen


def test_a_bigger_budget_gives_bigger_tiles_and_more_windows_at_once():
    small, big = (plan_tiles((4096, 4096), 64, 1000, b, window=4096, batch=8) for b in (2**28, 2**31))
    assert small[0] < big[0] and small[1] <= big[1]


def test_a_budget_too_small_for_any_tile_names_the_fix():
    with pytest.raises(DreamlibError, match="memory_budget at least .* or a tile_size"):
        plan_tiles((2048, 2048), 64, 1000, 2**20)


def test_the_default_budget_is_a_quarter_of_the_free_memory(monkeypatch):
    monkeypatch.setattr(tiles, "free_memory", lambda: 8 * 2**30)
    assert memory_budget() == 2 * 2**30 and memory_budget(300) == 300 * 2**20


def test_the_free_memory_is_read_from_this_machine():
    assert 2**24 < tiles.free_memory() < 2**50


def test_a_window_is_measured_in_bytes_per_pixel(lossgrad):
    per_pixel = lossgrad.bytes_per_pixel
    assert per_pixel == window_bytes_per_pixel(lossgrad.extractor)
    assert 0.8 < window_bytes_per_pixel(lossgrad.extractor, 320) / per_pixel < 1.25   # a cost per pixel
    assert per_pixel > 3 * 4   # more than the picture itself


def test_dreams_size_their_tiles_by_the_budget(random_mobilenet_v2):
    from dreamlib.dream import Dreamer, DreamSettings

    dreamer = Dreamer(objective={"block_1_expand_relu": 1.0}, backbone=random_mobilenet_v2)
    big = resize_image(load_image("rocket"), (600, 640))
    settings = DreamSettings(steps=1, octaves=1, seed=0)
    assert settings.tile_size is None and dreamer.dream(big, settings, progress=False).record.tiles == [1]
    per_window = dreamer.gradient.bytes_per_pixel * 352 ** 2 / 2**20   # one window of a 224-px tile
    tight = dreamer.dream(big, settings, memory_budget=int(per_window) + 1, progress=False)
    assert tight.record.tiles[0] > 1 and tight.image.shape == big.shape
    assert dreamer.tiles_for((600, 640), DreamSettings(tile_size=128))[0] == 128   # an explicit tile wins


def test_a_margin_too_big_for_any_window_names_the_fix():
    with pytest.raises(DreamlibError, match="tile_margin 512 leaves no window within 1024 px: lower tile_margin"):
        plan_tiles((2048, 2048), 512, 1000, 2**40, window=1024)


def test_the_budget_named_when_too_small_is_enough():
    with pytest.raises(DreamlibError, match="at least") as refused:
        plan_tiles((2048, 2048), 100, 1000, 124 * 2**20)
    need = int(str(refused.value).split("at least ")[1].split()[0])
    assert plan_tiles((2048, 2048), 100, 1000, need * 2**20)[0] > 0


def test_a_containers_memory_limit_counts(tmp_path):
    (tmp_path / "memory.max").write_text("1073741824\n")
    (tmp_path / "memory.current").write_text("268435456\n")
    assert tiles.container_room(str(tmp_path)) == 768 * 2**20
    (tmp_path / "memory.max").write_text("max\n")
    assert tiles.container_room(str(tmp_path)) > 2**50   # no limit
    assert tiles.container_room(str(tmp_path / "none")) > 2**50


def test_tiles_sized_for_memory_roll_the_same_on_every_machine(random_mobilenet_v2):
    from dreamlib.dream import Dreamer, DreamSettings

    dreamer = Dreamer(objective={"block_1_expand_relu": 1.0}, backbone=random_mobilenet_v2)
    settings = DreamSettings(steps=1, octaves=1, seed=0)
    assert dreamer.jitter(settings, (600, 640)) == 512 and dreamer.jitter(settings, (500, 300)) == 0
    assert dreamer.jitter(DreamSettings(tile_size=128), (600, 640)) == 128
    big = resize_image(load_image("rocket"), (600, 640))
    roomy = dreamer.dream(big, settings, progress=False)
    per_window = dreamer.gradient.bytes_per_pixel * 352 ** 2 / 2**20
    tight = dreamer.dream(big, settings, memory_budget=int(per_window) + 1, progress=False)
    assert roomy.record.tile_sizes == [0] and tight.record.tile_sizes[0] > 0   # the record says what was used
    assert np.abs(roomy.image - tight.image).mean() < 0.5   # same rolls; tiles with margins ~ the whole
