"""dreamlib against the TensorFlow tutorial's algorithm (article B), on the same work, in one run.

The tutorial's two loops are re-written here for timing (from its published description, not
copied): the octave loop (``run_deep_dream_simple`` per octave, its ``DeepDream`` module running
all steps of a chunk inside one ``tf.function``) and the tiled loop (``TiledGradients``: random
roll in [-tile, tile), 512-px tiles that skip the last row and column, one full-size gradient per
tile summed, std normalisation, one compiled call per step). dreamlib runs the same choices
through ``Dreamer.dream`` (mean of mixed3 + mixed5, std normalisation, step 0.01, clip, no lost
detail); tiled, with its seamless tiles (64-px margin) that cover every pixel.

Cases (random InceptionV3 weights: the same arithmetic as ImageNet's, no download):

    untiled-500   the tutorial's octave run: 500 px, octaves -2..2 at scale 1.3, 50 steps each
    tiled-1024    one octave of tiled steps on a 1024x1024 picture (also 2048, 4096)

Each case runs in its own process: the two engines alternate ``--repeats`` times after a warm-up
(which traces both), and the ratios of each pair are printed. Then each engine runs the case once
more in a process of its own, for its peak memory (``ru_maxrss``). Tiled cases compare *pixels
given a gradient per second*: the tutorial's tiles leave strips without gradient, dreamlib's do
not. GFLOP/s: one step's forward + backward FLOPs (from TensorFlow's profiler) over its time,
against a matmul probe's rate on this machine. The load average is printed with every figure:
on a shared machine, the ratios of one run are the numbers to trust, not the absolute times.

    python benchmarks/bench_tutorial.py                        # every case (long on 2 cores)
    python benchmarks/bench_tutorial.py --cases untiled-500 --steps 10 --repeats 3
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = {"untiled-500": 500, "tiled-1024": 1024, "tiled-2048": 2048, "tiled-4096": 4096}
LAYERS = ("mixed3", "mixed5")
TILE = 512         # the tutorial's tiles
MARGIN = 64
OURS_TILE = None   # dreamlib's default: tiles sized for this machine's memory (--tile-size to force one)
STEP_SIZE = 0.01


def load():
    return os.getloadavg()[0]


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------- the tutorial, re-written

def tutorial_engine(model):
    """The tutorial's DeepDream and TiledGradients modules around ``model`` (outputs: LAYERS)."""
    import tensorflow as tf

    def calc_loss(img):
        activations = model(tf.expand_dims(img, axis=0))
        if not isinstance(activations, (list, tuple)):
            activations = [activations]
        return tf.reduce_sum([tf.math.reduce_mean(act) for act in activations])

    class DeepDream(tf.Module):
        @tf.function(input_signature=(tf.TensorSpec([None, None, 3], tf.float32),
                                      tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)))
        def __call__(self, img, steps, step_size):
            loss = tf.constant(0.0)
            for _ in tf.range(steps):
                with tf.GradientTape() as tape:
                    tape.watch(img)
                    loss = calc_loss(img)
                gradients = tape.gradient(loss, img)
                gradients /= tf.math.reduce_std(gradients) + 1e-8
                img = tf.clip_by_value(img + gradients * step_size, -1, 1)
            return loss, img

    class TiledGradients(tf.Module):
        @tf.function(input_signature=(tf.TensorSpec([None, None, 3], tf.float32),
                                      tf.TensorSpec([2], tf.int32), tf.TensorSpec([], tf.int32)))
        def __call__(self, img, img_size, tile_size):
            shift = tf.random.uniform([2], -tile_size, tile_size, dtype=tf.int32)
            rolled = tf.roll(img, shift=shift, axis=[0, 1])
            gradients = tf.zeros_like(rolled)
            xs = tf.range(0, img_size[1], tile_size)[:-1]
            if not tf.cast(len(xs), bool):
                xs = tf.constant([0])
            ys = tf.range(0, img_size[0], tile_size)[:-1]
            if not tf.cast(len(ys), bool):
                ys = tf.constant([0])
            for x in xs:
                for y in ys:
                    with tf.GradientTape() as tape:
                        tape.watch(rolled)
                        loss = calc_loss(rolled[y:y + tile_size, x:x + tile_size])
                    gradients = gradients + tape.gradient(loss, rolled)
            gradients = tf.roll(gradients, shift=-shift, axis=[0, 1])
            return gradients / (tf.math.reduce_std(gradients) + 1e-8)

    return DeepDream(), TiledGradients()


def tutorial_octaves(deepdream, picture, steps, octaves=range(-2, 3), scale=1.3):
    """The tutorial's octave section: each octave runs run_deep_dream_simple on the last picture."""
    import tensorflow as tf

    img = tf.constant(picture)
    base = tf.cast(tf.shape(img)[:-1], tf.float32)
    for n in octaves:
        img = tf.image.resize(img, tf.cast(base * scale ** n, tf.int32)).numpy()
        x = tf.convert_to_tensor(img / 127.5 - 1.0, tf.float32)   # preprocess_input
        remaining = steps
        while remaining:
            run = min(100, remaining)
            remaining -= run
            _, x = deepdream(x, tf.constant(run), tf.constant(STEP_SIZE))
        img = tf.cast(255 * (x + 1.0) / 2.0, tf.uint8)             # deprocess
    return img.numpy()


def tutorial_tiled(tiled_gradients, picture, steps):
    """The tutorial's run_deep_dream_with_octaves, one octave at the picture's size."""
    import tensorflow as tf

    x = tf.convert_to_tensor(picture / 127.5 - 1.0, tf.float32)
    size = tf.shape(x)[:-1]
    for _ in range(steps):
        gradients = tiled_gradients(x, size, tf.constant(TILE))
        x = tf.clip_by_value(x + gradients * STEP_SIZE, -1, 1)
    return x.numpy()


def tutorial_coverage(side):
    """Share of pixels the tutorial's tiles give a gradient in a step (square picture)."""
    starts = list(range(0, side, TILE))[:-1] or [0]
    return (sum(min(TILE, side - s) for s in starts) / side) ** 2


# ----------------------------------------------------------------------- the measured runs

def build(case):
    import keras

    from dreamlib import models
    from dreamlib.dream import Dreamer, DreamSettings
    from dreamlib.images import load_image, resize_image
    from dreamlib.objectives import mean_activation

    keras.utils.set_random_seed(0)
    backbone = models.load_backbone("inception_v3", weights=None)
    dreamer = Dreamer(backbone=backbone, objective=mean_activation(LAYERS[0]) + mean_activation(LAYERS[1]))
    side = CASES[case]
    picture = resize_image(load_image("astronaut"), (side, side)).clip(0, 255)
    tiled = case.startswith("tiled")
    settings = DreamSettings(step_size=STEP_SIZE, normalize="std", lost_detail=False, seed=0,
                             **(dict(octaves=1, tile_size=OURS_TILE, tile_margin=MARGIN) if tiled else
                                dict(octaves=range(-2, 3), octave_scale=1.3, tile_size=0, jitter=0)))
    deepdream, tiled_gradients = tutorial_engine(dreamer.gradient.extractor)
    return dreamer, settings, picture, deepdream, tiled_gradients


def runners(case, steps):
    dreamer, settings, picture, deepdream, tiled_gradients = build(case)
    if case.startswith("tiled"):
        def tutorial(n=steps):
            return tutorial_tiled(tiled_gradients, picture, n)
    else:
        def tutorial(n=steps):
            return tutorial_octaves(deepdream, picture, n)

    def ours(n=steps):
        return dreamer.dream(picture, settings, steps=n, progress=False)

    return {"tutorial": tutorial, "dreamlib": ours}, dreamer, picture, settings


def step_gflops(dreamer, side):
    """GFLOPs of one step on a ``side`` px picture: twice the forward pass's (TensorFlow's profiler;
    the backward pass to the input costs about one forward pass, and no weight gradients are run)."""
    import tensorflow as tf

    gradient = dreamer.gradient

    def forward(x):
        return gradient.objective(dict(zip(gradient.objective.layers, gradient.extractor(x[tf.newaxis]))))

    concrete = tf.function(forward).get_concrete_function(tf.TensorSpec([side, side, 3], tf.float32))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return 2 * tf.compat.v1.profiler.profile(graph=concrete.graph, options=options).total_float_ops / 1e9


def matmul_peak():
    """GFLOP/s of a float32 matmul on this machine (best of a few)."""
    import tensorflow as tf

    n = 2048
    a, b = tf.random.normal([n, n]), tf.random.normal([n, n])
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def time_case(case, steps, repeats):
    """Warm both engines up, then alternate them ``repeats`` times; seconds and load per run."""
    run, dreamer, picture, settings = runners(case, steps)
    for fn in run.values():
        fn(1)   # traces
    rows = []
    for _ in range(repeats):
        for engine in ("tutorial", "dreamlib"):
            before = load()
            start = time.perf_counter()
            run[engine]()
            rows.append({"engine": engine, "seconds": time.perf_counter() - start, "load": max(before, load())})
    out = {"case": case, "steps": steps, "runs": rows}
    if case.startswith("tiled"):
        side = CASES[case]
        from dreamlib.tiles import tile_windows

        out["pixels"] = side * side
        out["coverage"] = {"tutorial": tutorial_coverage(side), "dreamlib": 1.0}
        tile, batch = dreamer.tiles_for((side, side), dreamer.settings_for(picture, settings))
        out["plan"] = {"tile_size": tile, "batch": batch}
        out["computed_px"] = {   # pixels the network sees per step (tiles, or tiles with margins)
            "tutorial": len(list(range(0, side, TILE))[:-1] or [0]) ** 2 * TILE ** 2,
            "dreamlib": sum((r.stop - r.start) * (c.stop - c.start)
                            for _, (r, c) in tile_windows((side, side), tile, MARGIN)) if tile else side * side}
        out["gflop_512"] = step_gflops(dreamer, TILE)
    else:
        out["gflop_500"] = step_gflops(dreamer, 500)
    out["matmul_gflops"] = matmul_peak()
    return out


def memory_case(case, engine, steps):
    run, _, _, _ = runners(case, steps)
    start = time.perf_counter()
    run[engine]()
    return {"case": case, "engine": engine, "peak_mib": peak_mib(), "seconds": time.perf_counter() - start,
            "load": load()}


def child(args, *extra):
    out = subprocess.run([sys.executable, __file__, *extra, "--steps", str(args.steps),
                          "--repeats", str(args.repeats)] + (["--tile-size", str(OURS_TILE)] if OURS_TILE else []),
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench_tutorial: {' '.join(extra)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(timing, memory):
    case = timing["case"]
    runs = timing["runs"]
    pairs = [(runs[i]["seconds"], runs[i + 1]["seconds"], max(runs[i]["load"], runs[i + 1]["load"]))
             for i in range(0, len(runs), 2)]
    if "plan" in timing:
        print(f"\n{case}: dreamlib's tiles {timing['plan']['tile_size'] or 'none (whole)'}, "
              f"{timing['plan']['batch']} window(s) at a time; the network sees "
              f"{timing['computed_px']['dreamlib'] / timing['pixels']:.2f}x the picture (the tutorial "
              f"{timing['computed_px']['tutorial'] / timing['pixels']:.2f}x)")
    print(f"\n{case} ({timing['steps']} steps{' per octave, 5 octaves' if case.startswith('untiled') else ''}), "
          f"matmul probe {timing['matmul_gflops']:.0f} GFLOP/s")
    for tutorial, ours, load_avg in pairs:
        if case.startswith("tiled"):
            rate = {e: timing["pixels"] * timing["coverage"][e] * timing["steps"] / s
                    for e, s in (("tutorial", tutorial), ("dreamlib", ours))}
            print(f"  tutorial {tutorial:7.1f} s, dreamlib {ours:7.1f} s; pixels given a gradient per second: "
                  f"tutorial {rate['tutorial'] / 1e6:.2f} MP/s, dreamlib {rate['dreamlib'] / 1e6:.2f} MP/s, "
                  f"ratio {rate['dreamlib'] / rate['tutorial']:.2f}  (load {load_avg:.1f})")
        else:
            print(f"  tutorial {tutorial:7.1f} s, dreamlib {ours:7.1f} s, time ratio dreamlib/tutorial "
                  f"{ours / tutorial:.2f}  (load {load_avg:.1f})")
    if case.startswith("tiled"):
        for engine in ("tutorial", "dreamlib"):
            seconds = min(s for s, r in zip([r["seconds"] for r in runs], runs) if r["engine"] == engine)
            flops = timing["gflop_512"] * timing["computed_px"][engine] / TILE ** 2 * timing["steps"]
            print(f"  {engine}: about {flops / seconds:.0f} GFLOP/s in its best run "
                  f"({100 * flops / seconds / timing['matmul_gflops']:.0f}% of the matmul probe)")
    else:
        print(f"  one step at 500 px: {timing['gflop_500']:.1f} GFLOP (forward + backward to the input)")
    for m in memory:
        print(f"  peak memory, {m['engine']} alone: {m['peak_mib']:.0f} MiB (load {m['load']:.1f})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated cases (default: all)")
    p.add_argument("--steps", type=int, default=None,
                   help="steps (per octave when untiled; default 50 untiled, 2 tiled)")
    p.add_argument("--repeats", type=int, default=3, help="alternated pairs per case (default 3)")
    p.add_argument("--memory", action="store_true", help="also each engine's peak memory, in its own process")
    p.add_argument("--json", help="write every number to this file")
    p.add_argument("--tile-size", type=int, default=None,
                   help="dreamlib's tile size (default: sized for this machine's memory, as Dreamer.dream does)")
    p.add_argument("--time-case", help=argparse.SUPPRESS)
    p.add_argument("--memory-case", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    global OURS_TILE
    OURS_TILE = args.tile_size
    if args.time_case:
        print(json.dumps(time_case(args.time_case, args.steps, args.repeats)))
        return
    if args.memory_case:
        print(json.dumps(memory_case(*args.memory_case, args.steps)))
        return
    results = []
    for case in args.cases.split(","):
        if case not in CASES:
            p.error(f"unknown case {case!r}: choose from {', '.join(CASES)}")
        steps = args.steps or (50 if case.startswith("untiled") else 2)
        case_args = argparse.Namespace(steps=steps, repeats=args.repeats)
        timing = child(case_args, "--time-case", case)
        memory = [child(case_args, "--memory-case", case, engine) for engine in ("tutorial", "dreamlib")] \
            if args.memory else []
        report(timing, memory)
        results.append({"timing": timing, "memory": memory})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
