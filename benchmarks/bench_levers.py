"""What the engine's levers cost on this machine: window size, windows at once, XLA (issue 21).

The tiled gradient's time is the network's forward and backward pass on its windows. Three
questions decide how ``dreamlib.tiles.plan_tiles`` should cut a big picture on this machine:

    sizes   seconds per megapixel of one window's gradient, for square windows of several sizes
            and several windows at once (``LossGradient.windows_loss_and_gradient``, as the tiles
            call it): does a pixel cost more in a bigger window, and do batches pay?
    xla     the same gradient compiled with ``jit_compile=True`` against the plain ``tf.function``,
            and the largest difference between their gradients (to float rounding?)

Random weights (``weights=None``): the same arithmetic as ImageNet's, no download.

    python benchmarks/bench_levers.py                                     # InceptionV3, ~6 min on 2 cores
    python benchmarks/bench_levers.py --sizes 320:1/4,576:1/2 --xla 512
    python benchmarks/bench_levers.py --model mobilenet_v2 --layers block_6_expand_relu,block_13_expand_relu
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def seconds(fn, x, repeats):
    """Median seconds of ``fn(x)`` (results fetched) after one untimed call that traces it."""
    import numpy as np

    fn(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        [np.asarray(part) for part in fn(x)]
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="inception_v3")
    p.add_argument("--layers", default="mixed3,mixed5", help="comma-separated layers (mean of each, as B)")
    p.add_argument("--sizes", default="320:1/4/8,576:1/2/4,832:1/2,1152:1",
                   help="window side:batches/..., comma-separated (default %(default)s)")
    p.add_argument("--xla", default="512,1024", help="window sides to compare with XLA (default %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per figure (median; default 3)")
    args = p.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from dreamlib import models
    from dreamlib.ascent import LossGradient
    from dreamlib.objectives import mean_activation

    keras.utils.set_random_seed(0)
    backbone = models.load_backbone(args.model, weights=None)
    gradient = LossGradient(backbone, sum(mean_activation(layer) for layer in args.layers.split(",")))
    print(f"{args.model} to {args.layers}, random weights; load {os.getloadavg()[0]:.1f}")

    windows = tf.function(gradient.windows_loss_and_gradient,
                          input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    for item in args.sizes.split(","):
        side, batches = item.split(":")
        for batch in map(int, batches.split("/")):
            x = tf.random.uniform([batch, int(side), int(side), 3], -1, 1, seed=1)
            s = seconds(windows, x, args.repeats)
            print(f"  {int(side):5d} px x {batch}: {s:6.2f} s a call, {s / (batch * int(side) ** 2 / 1e6):.2f} s per "
                  f"megapixel (load {os.getloadavg()[0]:.1f})", flush=True)

    spec = [tf.TensorSpec([None, None, 3], tf.float32)]
    plain = tf.function(gradient.loss_and_gradient, input_signature=spec)
    xla = tf.function(gradient.loss_and_gradient, input_signature=spec, jit_compile=True)
    for side in map(int, filter(None, args.xla.split(","))):
        x = tf.random.uniform([side, side, 3], -1, 1, seed=2)
        pair = [(seconds(plain, x, args.repeats), seconds(xla, x, args.repeats)) for _ in range(2)]  # alternated
        difference = float(tf.reduce_max(tf.abs(plain(x)[1] - xla(x)[1])) / tf.reduce_max(tf.abs(plain(x)[1])))
        print(f"  XLA at {side} px: plain {', '.join(f'{a:.2f}' for a, _ in pair)} s, XLA "
              f"{', '.join(f'{b:.2f}' for _, b in pair)} s, ratio {np.median([b / a for a, b in pair]):.2f}; "
              f"largest gradient difference {difference:.1e} of the largest value", flush=True)


if __name__ == "__main__":
    main()
