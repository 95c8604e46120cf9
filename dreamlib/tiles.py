"""Tiles: dream on images of any size with memory bounded by the tile, not the image.

The gradient of a big image is put together from the gradients of its tiles, each computed on
its own. Where a tile ends the network sees zero padding instead of the neighbouring pixels, so
near the edges a tile's gradient is wrong: seams. Two fixes, used together:

* a **margin** of context: each tile's gradient is computed on the tile plus ``margin`` pixels
  of its surroundings, and only the tile's own part is kept (the wrong edges fall in the margin
  and are thrown away);
* a **random roll** before every step (a transform of ``dreamlib.render``'s loop, whose gradient
  comes back through it), so whatever error is left never sits in one place (article B).

Unlike the TensorFlow tutorial (which skips the last row and column of tiles), the tiles here
cover every pixel in every step: each side is split into equal parts no longer than the tile.
Tile positions are computed in Python from the picture's real size and handed to the compiled
code as numbers, never read from a static shape inside a ``tf.function`` (unknown there: the
tutorial's other defect, fixed by tensorflow/docs pull request 1995).
"""

import math
import os
import subprocess

import tensorflow as tf

from dreamlib.errors import DreamlibError
from dreamlib.old_engine import random_roll  # noqa: F401 (until no notebook names it)

STRIDE = 32   # the networks' total stride: tiles and windows that start on its multiples see the image's grid


def tile_edges(length, tile_size, multiple_of=STRIDE):
    """Cut points splitting ``length`` pixels into near-equal tiles of at most ``tile_size``.

    Inner cuts fall on multiples of ``multiple_of`` (the networks' total stride, 32) when that
    keeps every tile within ``tile_size``: a tile then sees the same pixel grid as the whole
    image, so its gradient matches the untiled one everywhere but near the seams.
    """
    count = max(1, math.ceil(length / tile_size))
    even = [round(i * length / count) for i in range(count + 1)]
    if multiple_of and multiple_of > 1:
        aligned = [0] + [round(e / multiple_of) * multiple_of for e in even[1:-1]] + [length]
        widths = [b - a for a, b in zip(aligned, aligned[1:])]
        if all(0 < w <= tile_size for w in widths):
            return aligned
    return even


def tile_slices(shape, tile_size):
    """Rows of [(row slice, column slice)] tiles that cover an image of ``shape`` exactly once."""
    rows = tile_edges(shape[0], tile_size)
    cols = tile_edges(shape[1], tile_size)
    return [(slice(r0, r1), slice(c0, c1))
            for r0, r1 in zip(rows, rows[1:]) for c0, c1 in zip(cols, cols[1:])]


def window_length(cuts, length, margin):
    """The one window length of a side cut at ``cuts``: every tile fits with ``margin`` pixels of context.

    All windows of a side have this length, so windows of equal size can go through the network
    together (``batch``). It is the longest tile grown by its margins from a start on the stride,
    made congruent to the image's length modulo ``STRIDE`` (a "same"-padded strided convolution,
    as in MobileNet, pads odd and even sizes differently), and never longer than the image.
    Python lists or tensors; without a margin there is no one length (the window is the tile): 0.
    """
    cuts = tf.convert_to_tensor(cuts, tf.int32)
    needed = tf.reduce_max(cuts[1:] + margin - tf.maximum((cuts[:-1] - margin) // STRIDE * STRIDE, 0))
    return tf.where(margin > 0, tf.minimum(needed + (length - needed) % STRIDE, length), 0)


def window(start, stop, length, margin, size):
    """(first, last) pixel of the window around tile ``start:stop`` on a side of ``length`` pixels.

    The window (``size`` pixels: ``window_length``) starts ``margin`` pixels before the tile,
    moved back onto a multiple of ``STRIDE`` so that it sees the image's own pixel grid, and slides
    inward at the image's edges (an edge tile gets more context on its inner side, the same size).
    Python numbers or tensors; no margin, no change: the window is the tile.
    """
    first = tf.clip_by_value((start - margin) // STRIDE * STRIDE, 0, tf.maximum(length - size, 0))
    return tf.where(margin > 0, first, start), tf.where(margin > 0, first + size, stop)


def tile_windows(shape, tile_size, margin):
    """[(tile, window)] slice pairs: each tile of ``tile_slices`` and the window the network sees."""
    rows, cols = tile_edges(shape[0], tile_size), tile_edges(shape[1], tile_size)
    sizes = [int(window_length(cuts, length, margin)) for cuts, length in ((rows, shape[0]), (cols, shape[1]))]

    def grow(part, length, size):
        first, last = window(part.start, part.stop, length, margin, size)
        return slice(int(first), int(last))

    return [((r, c), (grow(r, shape[0], sizes[0]), grow(c, shape[1], sizes[1])))
            for r, c in tile_slices(shape, tile_size)]


def needs_tiles(shape, tile_size):
    """True when an image of ``shape`` is bigger than one tile."""
    return bool(tile_size) and (shape[0] > tile_size or shape[1] > tile_size)


def tile_grid(shape, tile_size):
    """(row cuts, column cuts) as int32 tensors: one tile when ``tile_size`` is 0 or big enough."""
    if not needs_tiles(shape, tile_size):
        return tf.constant([0, shape[0]], tf.int32), tf.constant([0, shape[1]], tf.int32)
    return (tf.constant(tile_edges(shape[0], tile_size), tf.int32),
            tf.constant(tile_edges(shape[1], tile_size), tf.int32))


def gradient_by_tiles(x, gradient_fn, rows, cols, margin, area_power=0.0, batch=1):
    """(loss, gradient) of image ``x`` put together tile by tile; runs eagerly and compiled.

    Tile (i, j) spans ``rows[i]:rows[i+1]`` x ``cols[j]:cols[j+1]``; the network sees it with
    ``margin`` pixels of context (see ``window``) and only the tile's part of the gradient is kept.
    With a margin every window has one size, and up to ``batch`` of them (from one row of tiles)
    go through the network together: ``gradient_fn(windows)`` takes a batch (b, height, width, 3)
    and returns each window's loss (b,) and gradient (without a margin, one tile at a time).
    Most objectives are means over a layer (``area_power`` 0), so a window's gradient is larger
    than the whole image's by (image / window) pixels: each is scaled back by its window's share
    of the image, which makes the pieces agree in size. The loss is the tiles' losses weighted by
    each tile's share: with one tile, exactly the untiled loss, and close to it with many (so
    ``max_loss`` means the same). A norm (``area_power`` 0.5) is the square root of a sum of
    squares, and its gradient depends on the whole picture's sum: the tiles add up the sum's
    gradient and the sum, and the norm's gradient is made from both at the end.
    """
    height, width = tf.shape(x)[0], tf.shape(x)[1]
    area = tf.cast(height * width, tf.float32)
    across = tf.size(cols) - 1
    sizes = window_length(rows, height, margin), window_length(cols, width, margin)
    batch = tf.where(margin > 0, tf.maximum(tf.cast(batch, tf.int32), 1), 1)  # one size only with a margin

    def place(i, j):
        """Tile (i, j): its rows, columns and its window's."""
        top, bottom, left, right = rows[i], rows[i + 1], cols[j], cols[j + 1]
        return (top, bottom, left, right) + window(top, bottom, height, margin, sizes[0]) \
            + window(left, right, width, margin, sizes[1])

    total = tf.constant(0.0)
    strips = tf.TensorArray(tf.float32, size=tf.size(rows) - 1, infer_shape=False)
    for i in tf.range(tf.size(rows) - 1):   # a row of tiles at a time: its strip is all that is kept
        strip = tf.TensorArray(tf.float32, size=across, infer_shape=False)
        for first in tf.range(0, across, batch):
            taken = tf.minimum(batch, across - first)
            windows = tf.TensorArray(tf.float32, size=taken)
            for k in tf.range(taken):
                _, _, _, _, above, below, before, after = place(i, first + k)
                windows = windows.write(k, x[above:below, before:after])
            losses, grads = gradient_fn(windows.stack())
            for k in tf.range(taken):
                top, bottom, left, right, above, below, before, after = place(i, first + k)
                window_share = tf.cast((below - above) * (after - before), tf.float32) / area
                tile_share = tf.cast((bottom - top) * (right - left), tf.float32) / area
                loss, g = tf.cast(losses[k], tf.float32), grads[k]
                if area_power:  # value = S ** power for a sum S over positions: tiles add up S instead
                    total += loss ** (1 / area_power) * tile_share / window_share
                    g = g * loss ** ((1 - area_power) / area_power) / area_power  # the gradient of S
                else:
                    total += loss * tile_share
                    g = g * window_share
                kept = g[top - above:bottom - above, left - before:right - before]
                strip = strip.write(first + k, tf.transpose(kept, [1, 0, 2]))  # concat() joins along axis 0
        strips = strips.write(i, tf.transpose(strip.concat(), [1, 0, 2]))
    gradient = tf.reshape(strips.concat(), tf.shape(x))  # the shape, known to the compiler
    if area_power:  # back from S to S ** power, with the whole picture's S
        return total ** area_power, gradient * area_power * total ** (area_power - 1)
    return total, gradient


def random_shift(max_shift, rng):
    """A random (dy, dx), each in [-max_shift, max_shift], both ends included.

    ``rng``: a NumPy generator, or a ``tf.random.Generator``, drawn from exactly as a dream's roll
    (``dreamlib.transforms.roll``) draws: the first roll of a dream with seed s is
    ``random_shift(jitter, dreamlib.render.generator(s))``.
    google/deepdream's jitter draws the same range; the TF tutorial's roll (article B) draws from
    [-max_shift, max_shift), one value fewer, which makes no difference to where seams fall.
    """
    if isinstance(rng, tf.random.Generator):
        dy, dx = rng.uniform([2], -max_shift, max_shift + 1, dtype=tf.int32).numpy()
        return int(dy), int(dx)
    if max_shift <= 0:
        return 0, 0
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    return int(dy), int(dx)


# --- tiles sized for the machine ------------------------------------------------------------------
# On this course's idle 2-core CPU (AMD EPYC, AVX2; benchmarks/bench_levers.py) a pixel costs more in a
# bigger window (InceptionV3 to mixed5: 1.91 s a megapixel at 576 px, 2.17 at 832, 2.45 at 1152) and
# two windows at once cost 0.87-0.92 of two one after the other (four: 0.90 at 576 px, a little
# better only for small windows), so on a CPU windows stay at most CPU_WINDOW px and go two at a time:
# a 4096-px step with these tiles ran 1.2x as fast as with 512-px tiles one at a time (more memory).
# A GPU takes the largest that fits.
CPU_WINDOW, CPU_BATCH = 1024, 2
GPU_WINDOW, GPU_BATCH = 8192, 8
DEFAULT_SHARE = 0.25   # of the free memory, when no memory_budget is given


def free_memory():
    """Bytes of memory the network may use: on a GPU its whole memory (TensorFlow takes nearly all of it
    as it starts, so "free" would read as nothing), else the RAM available, within a container's limit."""
    if tf.config.list_physical_devices("GPU"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=10, check=True).stdout
            return int(out.split()[0]) * 2**20
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return 4 * 2**30
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        available = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2   # macOS: half of the RAM
    return min(available, container_room())


def container_room(root="/sys/fs/cgroup"):
    """Bytes left under this container's memory limit (cgroup v2, else v1); unlimited: a very big number."""
    for limit, used in (("memory.max", "memory.current"),
                        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            with open(os.path.join(root, limit)) as f, open(os.path.join(root, used)) as g:
                return max(int(f.read().strip()) - int(g.read().strip()), 0)
        except (OSError, ValueError):   # no such file, or "max" (no limit)
            continue
    return 2**62


def memory_budget(megabytes=None):
    """Bytes the network's windows may use: ``megabytes`` (MiB) when given, else a quarter of ``free_memory``."""
    return int(megabytes * 2**20) if megabytes else int(free_memory() * DEFAULT_SHARE)


def window_bytes_per_pixel(extractor, side=256):
    """Bytes a window of the network ``extractor`` holds per pixel of its input, at most.

    The sum of every float tensor the forward pass makes at ``side`` px (measured peaks of the
    forward and backward pass were 0.3-0.5 of it: InceptionV3 to mixed5, 1,748 bytes a pixel by
    this count, 800 measured), so a budget is never exceeded by the estimate's fault.
    """
    concrete = tf.function(lambda x: extractor(x, training=False)).get_concrete_function(
        tf.TensorSpec([1, side, side, 3], tf.float32))
    total = sum(t.shape.num_elements() * t.dtype.size for op in concrete.graph.get_operations() for t in op.outputs
                if t.dtype.is_floating and t.shape.is_fully_defined())
    return total / side ** 2


def plan_tiles(shape, margin, bytes_per_pixel, budget, window=None, batch=None, smallest=4 * STRIDE):
    """(tile_size, batch) for a picture of ``shape``: 0 (no tiles) when it fits whole.

    The whole picture when its forward and backward pass fit ``budget`` bytes (and it is no bigger
    than ``window`` px, the largest window worth it: ``CPU_WINDOW`` on a CPU). Otherwise the tile
    size whose windows (with ``margin``) fit the budget and add up to the fewest pixels for the
    network (margins cost pixels), and how many windows fit in the budget at once (at most
    ``batch``). Tiles are never smaller than ``smallest`` px; a budget too small for one of them
    gets a line naming the fix.
    """
    gpu = bool(tf.config.list_physical_devices("GPU"))
    window = window or (GPU_WINDOW if gpu else CPU_WINDOW)
    batch = batch or (GPU_BATCH if gpu else CPU_BATCH)
    fits = lambda pixels: pixels * bytes_per_pixel <= budget   # noqa: E731
    height, width = shape
    if max(height, width) <= window and fits(height * width):
        return 0, 1
    best, smallest_window = None, None
    for tile in range(max(height, width) // STRIDE * STRIDE, smallest - 1, -STRIDE):
        rows, cols = tile_edges(height, tile), tile_edges(width, tile)
        if max(b - a for a, b in zip(rows, rows[1:])) > tile or max(b - a for a, b in zip(cols, cols[1:])) > tile:
            continue
        sizes = [int(window_length(cuts, length, margin)) or tile for cuts, length in ((rows, height), (cols, width))]
        if max(sizes) > window:
            continue
        smallest_window = min(smallest_window or sizes[0] * sizes[1], sizes[0] * sizes[1])
        if not fits(sizes[0] * sizes[1]):
            continue
        seen = (len(rows) - 1) * (len(cols) - 1) * sizes[0] * sizes[1]
        longest = max(b - a for cuts in (rows, cols) for a, b in zip(cuts, cuts[1:]))
        if (best is None or seen < best[0]) and (tile_edges(height, longest), tile_edges(width, longest)) == (rows, cols):
            best = (seen, longest, sizes[0] * sizes[1])   # the longest tile itself: the same cuts
    if smallest_window is None:
        raise DreamlibError(f"tile_margin {margin} leaves no window within {window} px: lower tile_margin "
                            f"or give a tile_size")
    if best is None:
        need = math.ceil(smallest_window * bytes_per_pixel / 2**20)
        raise DreamlibError(f"a memory budget of {budget / 2**20:.0f} MiB is too small for this network's "
                            f"smallest tiles: give memory_budget at least {need} (MiB), or a tile_size")
    _, tile, pixels = best
    return tile, windows_at_once(pixels, bytes_per_pixel, budget, batch)


def windows_at_once(pixels, bytes_per_pixel, budget, batch=None):
    """How many windows of ``pixels`` pixels go through the network together: as many as fit
    ``budget`` bytes, at most ``batch`` (``CPU_BATCH`` on a CPU, ``GPU_BATCH`` on a GPU), at least one."""
    batch = batch or (GPU_BATCH if tf.config.list_physical_devices("GPU") else CPU_BATCH)
    return int(max(1, min(batch, budget // (pixels * bytes_per_pixel))))
