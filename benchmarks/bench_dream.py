"""Time dreamlib's dream engine on this machine: speed per ascent step and peak memory.

Three cases, each run in its own Python subprocess so that each has its own peak RSS:

    untiled-500   a 500x500 dream, tile_size=0 (the whole image in one gradient)
    tiled-1024    a 1024x1024 dream, tile_size=512 (2x2 tiles of 512 px)
    tiled-2048    a 2048x2048 dream, tile_size=512 (4x4 tiles of 512 px)

For each: seconds per ascent step (the loop's mean over the timed steps, wall clock), megapixels per
second (pixels processed per step divided by seconds per step) and peak resident memory
(``ru_maxrss``). Then two targets are checked:

    1. tiled throughput per pixel within 10% of untiled (MP/s of tiled-1024 and tiled-2048
       against untiled-500);
    2. peak RSS at 2048 px no more than 1.3x the peak at 1024 px.

The network has random weights (``Dreamer(model, weights=None)``): it does exactly the same
arithmetic as with ImageNet weights, so speed and memory are the same, and no download is needed.

    python benchmarks/bench_dream.py                    # all three cases, default settings
    python benchmarks/bench_dream.py --steps 5 --json results.json
    python benchmarks/bench_dream.py --model mobilenet_v2
    python benchmarks/bench_dream.py --case tiled-1024  # one case in this process (used internally)
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

CASES = {  # name: (square size in px, tiled?)
    "untiled-500": (500, False),
    "tiled-1024": (1024, True),
    "tiled-2048": (2048, True),
}
THROUGHPUT_TOLERANCE = 0.10   # target 1: tiled MP/s >= 90% of untiled MP/s
MEMORY_RATIO_LIMIT = 1.3      # target 2: peak RSS(2048) <= 1.3 x peak RSS(1024)
WEIGHTS_NOTE = ("random weights (weights=None): same arithmetic as ImageNet weights, so speed "
                "and memory are the same")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=list(CASES),
                   help="run only this case, in this process (the driver runs each case this way)")
    p.add_argument("--cases", default=",".join(CASES),
                   help="comma-separated cases to run, each in its own subprocess (default: all)")
    p.add_argument("--steps", type=int, default=10, help="timed ascent steps per case (default 10)")
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed warm-up steps per case; the first call traces/compiles (default 2)")
    p.add_argument("--model", default="inception_v3", help="backbone (default inception_v3)")
    p.add_argument("--tile-size", type=int, default=512, help="tile size of the tiled cases (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seed for the random weights and rolls")
    p.add_argument("--json", metavar="PATH", help="write all results (and the targets) to PATH")
    p.add_argument("--result-file", help=argparse.SUPPRESS)  # child -> driver hand-over
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error("--steps must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be 0 or more")
    return args


def peak_rss_mib():
    """Peak resident set size of this process so far, in MiB (Linux gives ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mib():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def log(message):
    print(message, flush=True)


# ----------------------------------------------------------------------------- one case (child)

def run_case(name, args):
    """Build the model, warm up, time ``args.steps`` ascent steps; return a dict of results."""
    import keras
    from dreamlib.dream import DreamSettings, Dreamer
    from dreamlib.images import load_image, resize_image
    from dreamlib.tiles import needs_tiles, tile_slices

    size, tiled = CASES[name]
    tile_size = args.tile_size if tiled else 0
    t0 = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    dreamer = Dreamer(args.model, weights=None)
    build_s = time.perf_counter() - t0
    image = resize_image(load_image("astronaut"), (size, size))
    rss_built = peak_rss_mib()
    tiles = len(tile_slices((size, size), tile_size)) if needs_tiles((size, size), tile_size) else 1
    log(f"  [{name}] {args.model} built in {build_s:.1f} s (peak RSS so far {rss_built:.0f} MiB); "
        f"{size}x{size} px, {tiles} tile(s) per step")

    # The engine runs steps in compiled chunks and reports each step (on_step) when its chunk
    # returns: the gaps between reports are chunk-granular, so the loop's mean is the step time.
    marks = []

    def stamp(octave, step, loss):
        marks.append(time.perf_counter())

    def settings(steps):
        return DreamSettings(steps=steps, octaves=1, tile_size=tile_size, seed=args.seed)

    if args.warmup:
        t = time.perf_counter()
        dreamer.dream(image, settings(args.warmup), progress=False)
        log(f"  [{name}] warm-up: {args.warmup} step(s) in {time.perf_counter() - t:.1f} s (not timed)")

    marks.clear()
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    marks.append(start)
    result = dreamer.dream(image, settings(args.steps), progress=False, on_step=stamp)
    cpu_per_step = (cpu_seconds() - cpu_before) / args.steps
    load_after = os.getloadavg()[0]
    step_seconds = [b - a for a, b in zip(marks, marks[1:])]
    for i, s in enumerate(step_seconds, 1):
        log(f"  [{name}] step {i}/{args.steps}: {s:.2f} s")

    loop_seconds = result.record.seconds          # the ascent loop alone, as the engine measures it
    per_step = loop_seconds / args.steps          # steps run in compiled chunks: the mean
    pixels = size * size                          # the tiles cover every pixel exactly once per step
    return {
        "case": name,
        "model": args.model,
        "weights": result.record.weights,
        "size": size,
        "tile_size": tile_size,
        "tiles_per_step": result.record.tiles[0],
        "pixels_per_step": pixels,
        "warmup_steps": args.warmup,
        "steps": args.steps,
        "loop_seconds": loop_seconds,
        "seconds_per_step": per_step,
        "mean_step_seconds": loop_seconds / args.steps,
        "step_seconds": step_seconds,
        "cpu_seconds_per_step": cpu_per_step,
        "load_average": [load_before, load_after],
        "megapixels_per_second": pixels / 1e6 / per_step,
        "peak_rss_mib": peak_rss_mib(),
        "peak_rss_after_build_mib": rss_built,
        "rss_at_end_mib": current_rss_mib(),
        "build_seconds": build_s,
        "final_loss": result.record.losses[0][-1] if result.record.losses[0] else None,
    }


# ----------------------------------------------------------------------------- driver (parent)

def run_in_subprocess(name, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--case", name, "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--model", args.model, "--tile-size", str(args.tile_size),
               "--seed", str(args.seed), "--result-file", out]
        env = {**os.environ}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env)
        if proc.returncode != 0:
            raise SystemExit(f"case {name} failed (exit code {proc.returncode})")
        with open(out) as f:
            result = json.load(f)
        result["wall_seconds"] = time.perf_counter() - started
        return result


def _tf_version():
    try:
        from importlib.metadata import version
        return version("tensorflow")
    except Exception:  # noqa: BLE001 - informative only
        return "unknown"


def check_targets(results):
    by = {r["case"]: r for r in results}
    targets = []
    base = by.get("untiled-500")
    for name in ("tiled-1024", "tiled-2048"):
        if base and name in by:
            ratio = by[name]["megapixels_per_second"] / base["megapixels_per_second"]
            targets.append({
                "target": f"throughput {name} within {THROUGHPUT_TOLERANCE:.0%} of untiled-500",
                "value": ratio, "shown": f"{ratio:.2f}x untiled MP/s",
                "met": ratio >= 1 - THROUGHPUT_TOLERANCE})
    if "tiled-1024" in by and "tiled-2048" in by:
        ratio = by["tiled-2048"]["peak_rss_mib"] / by["tiled-1024"]["peak_rss_mib"]
        targets.append({
            "target": f"peak RSS tiled-2048 <= {MEMORY_RATIO_LIMIT}x tiled-1024",
            "value": ratio, "shown": f"{ratio:.2f}x",
            "met": ratio <= MEMORY_RATIO_LIMIT})
    return targets


def print_table(results, targets, args):
    log("")
    log(f"dreamlib dream benchmark - {args.model}, {WEIGHTS_NOTE}")
    log(f"octaves=1, {args.warmup} warm-up step(s) untimed, {args.steps} timed step(s) per case; "
        f"{os.cpu_count()} CPU core(s), {platform.machine()}, Python {platform.python_version()}")
    header = (f"{'case':<12} {'size':>9} {'tiles':>5} {'s/step':>7} {'mean':>6} {'CPU s':>6} "
              f"{'MP/s':>6} {'peak RSS MiB':>12} {'load':>5}")
    log(header)
    log("-" * len(header))
    for r in results:
        log(f"{r['case']:<12} {r['size']:>4}x{r['size']:<4} {r['tiles_per_step']:>5} "
            f"{r['seconds_per_step']:>7.2f} {r['mean_step_seconds']:>6.2f} "
            f"{r['cpu_seconds_per_step']:>6.2f} {r['megapixels_per_second']:>6.3f} "
            f"{r['peak_rss_mib']:>12.0f} {max(r['load_average']):>5.1f}")
    log("s/step: wall seconds per timed ascent step, the loop's mean (steps run in compiled chunks; CPU s: "
        "process CPU seconds per step);\nMP/s = pixels per step / s/step (tiles cover each pixel once); peak RSS: "
        "ru_maxrss of the case's own process;\nload: 1-minute load average during the case")
    busy = [r["case"] for r in results if max(r["load_average"]) > (os.cpu_count() or 1) + 0.5]
    if busy:
        log(f"WARNING: the machine was busy with other processes during {', '.join(busy)} (load "
            f"average above {os.cpu_count()} CPUs): wall-clock timings and the throughput target "
            f"are unreliable; re-run on an idle machine")
    by = {r["case"]: r for r in results}
    if "untiled-500" in by and len(by) > 1:
        base = by["untiled-500"]["pixels_per_step"] / by["untiled-500"]["cpu_seconds_per_step"]
        shown = ", ".join(f"{r['case']} {r['pixels_per_step'] / r['cpu_seconds_per_step'] / base:.2f}x"
                          for r in results if r["case"] != "untiled-500")
        log(f"pixels per CPU-second vs untiled-500 (less disturbed by other processes): {shown}")
    if targets:
        log("")
        log("targets:")
        for t in targets:
            log(f"  [{'MET' if t['met'] else 'MISSED'}] {t['target']}: {t['shown']}")


def main(argv=None):
    args = parse_args(argv)
    if args.case:  # child: one case, in this process
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        result = run_case(args.case, args)
        if args.result_file:
            with open(args.result_file, "w") as f:
                json.dump(result, f)
        else:
            print(json.dumps(result, indent=2))
        return 0

    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}: choose from {', '.join(CASES)}")
    log(f"benchmarking {args.model} ({WEIGHTS_NOTE}); each case in its own process")
    results = []
    begun = time.perf_counter()
    for i, name in enumerate(names, 1):
        log(f"[{i}/{len(names)}] {name} ...")
        r = run_in_subprocess(name, args)
        log(f"[{i}/{len(names)}] {name}: {r['seconds_per_step']:.2f} s/step, "
            f"{r['megapixels_per_second']:.3f} MP/s, peak RSS {r['peak_rss_mib']:.0f} MiB "
            f"({r['wall_seconds']:.0f} s)")
        results.append(r)
    targets = check_targets(results)
    print_table(results, targets, args)
    log(f"\ntotal time {time.perf_counter() - begun:.0f} s")
    if args.json:
        payload = {"model": args.model, "weights_note": WEIGHTS_NOTE, "steps": args.steps,
                   "warmup": args.warmup, "tile_size": args.tile_size, "seed": args.seed,
                   "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                               "python": platform.python_version(),
                               "tensorflow": _tf_version()},
                   "results": results, "targets": targets}
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2)
        log(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
