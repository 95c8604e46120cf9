"""Mixed precision against float32 on this machine: seconds per step, and how far the picture moves.

For each network, in one process:

    speed    seconds per ascent step of a one-octave untiled dream of the cat at --size px (square),
             float32 and mixed alternated --repeats times after an untimed warm-up of each (tracing);
    picture  a short dream of the cat (--quality-size px, --octaves x --quality-steps, a roll of up to
             --jitter px) in float32 with seeds S and S+1 and in mixed with seed S: the mean |grey level|
             between mixed and float32 with the same seed, against float32 with the two seeds (issue 21:
             the first should be no larger), and the loss reached (the mean of the last octave's
             losses), mixed / float32 with seed S (issue 21: within 2 %).

MobileNetV2 runs on its ImageNet weights (bundled with dreamlib); InceptionV3 on random weights
(``weights=None``, the same arithmetic as ImageNet's: its speed is real, its pictures are not dreams,
and the table says so).

    python benchmarks/bench_precision.py                        # both networks, ~6 min on 2 CPU cores
    python benchmarks/bench_precision.py --models mobilenet_v2 --repeats 2 --json precision.json
"""

import argparse
import json
import os
import platform
import time

MODELS = {"mobilenet_v2": "imagenet", "inception_v3": None}   # network: weights (None: random)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated networks (default: both)")
    p.add_argument("--size", type=int, default=500, help="side of the square picture timed (default 500)")
    p.add_argument("--steps", type=int, default=5, help="timed steps per run (default 5)")
    p.add_argument("--repeats", type=int, default=3, help="alternated float32/mixed pairs (default 3)")
    p.add_argument("--quality-size", type=int, default=224, help="longest side of the compared dreams (224)")
    p.add_argument("--quality-steps", type=int, default=20, help="steps per octave of the compared dreams (20)")
    p.add_argument("--octaves", type=int, default=3, help="octaves of the compared dreams (3)")
    p.add_argument("--jitter", type=int, default=64, help="largest roll of the compared dreams (64 px)")
    p.add_argument("--seed", type=int, default=3, help="seed S of the compared dreams (and S+1)")
    p.add_argument("--no-quality", action="store_true", help="time only")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH")
    return p.parse_args(argv)


def load():
    return os.getloadavg()[0]


def machine():
    from dreamlib.precision import cpu_bf16_flags, speed_note

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    return {"cpu": model, "cores": os.cpu_count(), "bf16_flags": list(cpu_bf16_flags()), "note": speed_note(),
            "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def seconds_per_step(dreamer, picture, precision, steps):
    from dreamlib.dream import DreamSettings

    s = DreamSettings(steps=steps, octaves=1, tile_size=0, jitter=0, seed=0, precision=precision)
    return dreamer.dream(picture, s, progress=False).record.seconds / steps


def speed(dreamer, args):
    from dreamlib.images import load_image, resize_image

    picture = resize_image(load_image("chelsea"), (args.size, args.size))
    for precision in ("float32", "mixed"):
        seconds_per_step(dreamer, picture, precision, 1)  # traces the compiled steps
    pairs = []
    for _ in range(args.repeats):
        before = load()
        f32 = seconds_per_step(dreamer, picture, "float32", args.steps)
        mixed = seconds_per_step(dreamer, picture, "mixed", args.steps)
        pairs.append({"float32": f32, "mixed": mixed, "speedup": f32 / mixed, "load": max(before, load())})
        print(f"  {args.size} px: float32 {f32:.3f} s/step, mixed {mixed:.3f} s/step, "
              f"speed-up {f32 / mixed:.2f}x (load {pairs[-1]['load']:.1f})", flush=True)
    return pairs


def quality(dreamer, args):
    import numpy as np

    from dreamlib.dream import DreamSettings
    from dreamlib.images import load_image

    cat = load_image("chelsea", max_size=args.quality_size)

    def dream(precision, seed):
        s = DreamSettings(steps=args.quality_steps, octaves=args.octaves, tile_size=0, jitter=args.jitter,
                          seed=seed, precision=precision)
        return dreamer.dream(cat, s, progress=False)

    f32, other_seed, mixed = dream("float32", args.seed), dream("float32", args.seed + 1), dream("mixed", args.seed)
    grey = lambda a, b: float(np.abs(a.image - b.image).mean())  # noqa: E731
    reached = lambda r: float(np.mean(r.record.losses[-1]))  # noqa: E731
    found = {"moved": float(np.abs(f32.image - cat).mean()), "mixed_vs_float32": grey(mixed, f32),
             "float32_two_seeds": grey(other_seed, f32), "loss_ratio": reached(mixed) / reached(f32),
             "loss_ratio_two_seeds": reached(other_seed) / reached(f32)}
    print(f"  picture {cat.shape[1]}x{cat.shape[0]}, {args.octaves} octaves x {args.quality_steps} steps: "
          f"mixed vs float32 (same seed) {found['mixed_vs_float32']:.2f} grey levels, float32 seed "
          f"{args.seed} vs {args.seed + 1} {found['float32_two_seeds']:.2f} (float32 moved the cat "
          f"{found['moved']:.2f}); loss reached mixed / float32 {found['loss_ratio']:.4f} (two float32 "
          f"seeds: {found['loss_ratio_two_seeds']:.4f})", flush=True)
    return found


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from dreamlib.dream import Dreamer
    from dreamlib.precision import helps_here

    results = {"machine": machine(), "args": vars(args), "models": {}}
    print(f"{results['machine']['date']}  {results['machine']['cpu']}, {results['machine']['cores']} cores, "
          f"bf16 flags: {results['machine']['bf16_flags'] or 'none'}", flush=True)
    if helps_here():  # where it cannot pay, dreamlib says so itself when the first mixed gradient is built
        print(results["machine"]["note"], flush=True)
    for name in args.models.split(","):
        weights = MODELS.get(name, "imagenet")
        keras.utils.set_random_seed(0)
        dreamer = Dreamer(name, weights=weights)
        label = "ImageNet weights" if weights else "RANDOM weights: speed is real, the pictures are not dreams"
        print(f"{name} ({label}), mixed computes in {dreamer.gradient_for('mixed').dtype}", flush=True)
        entry = {"weights": weights or "random", "speed": speed(dreamer, args)}
        ups = sorted(pair["speedup"] for pair in entry["speed"])
        print(f"  speed-up mixed / float32: {', '.join(f'{u:.2f}' for u in ups)} (median "
              f"{ups[len(ups) // 2]:.2f}; above 1: mixed is faster)", flush=True)
        if not args.no_quality:
            entry["picture"] = quality(dreamer, args)
        results["models"][name] = entry
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
