"""Time dreamlib's DCGAN on this machine: seconds per Fashion-MNIST epoch, and the losses of a short run.

Two measurements, both with ``dreamlib.gan.train_gan`` (the engine the CLI and notebook 06 use),
the 28x28 shallow nets and article E's batch of 50 pictures (60,000 / 50 = 1,200 steps an epoch):

    speed   seconds per epoch on the full Fashion-MNIST training set. By default measured over
            ``--steps`` steps of a second short epoch (the first, as long, traces the
            tf.function and is not timed) and scaled to 1,200 steps; ``--full-epoch`` times a
            whole second epoch instead (so it trains two full epochs).
    losses  D loss, D accuracy and G loss after each of ``--epochs`` epochs on the first
            ``--subset`` pictures (the per-epoch means that training's progress bar shows).

    python benchmarks/bench_gan.py                       # ~2 min on 2 CPU cores
    python benchmarks/bench_gan.py --full-epoch          # one real epoch: minutes on a CPU
    python benchmarks/bench_gan.py --epochs 10 --subset 10000 --json gan.json
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200, help="timed steps for the speed estimate (default 200)")
    p.add_argument("--full-epoch", action="store_true", help="time one whole epoch instead of --steps steps")
    p.add_argument("--batch-size", type=int, default=50, help="pictures per step (default 50, article E's)")
    p.add_argument("--epochs", type=int, default=4, help="epochs of the loss run (default 4)")
    p.add_argument("--subset", type=int, default=4000, help="pictures in the loss run (default 4000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="PATH", help="also write the results to PATH")
    args = p.parse_args(argv)
    if min(args.steps, args.batch_size, args.epochs, args.subset) < 1:
        p.error("--steps, --batch-size, --epochs and --subset must be at least 1")
    return args


def load_note():
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    cpus = os.cpu_count() or 1
    return f"{load:.1f}" + ("  (WARNING: above the CPU count: other work competed, times are high)"
                            if load > cpus else "")


def time_epoch(images, batch_size, steps, seed):
    """(seconds per full epoch, timed steps, steps per epoch, whether scaled up)."""
    from dreamlib.gan import train_gan

    per_epoch = len(images) // batch_size
    timed = per_epoch if steps is None else min(steps, per_epoch)
    with tempfile.TemporaryDirectory() as run_dir:
        # two epochs of `timed` steps: the first also traces the training step, the second is timed
        run = train_gan(images, os.path.join(run_dir, "run"), 2, batch_size=batch_size, seed=seed,
                        progress=False, batches_per_epoch=timed)
    seconds = run.history[1]["seconds"]
    return seconds * per_epoch / timed, timed, per_epoch, timed < per_epoch


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    from dreamlib.data import load_fashion_mnist
    from dreamlib.gan import train_gan

    images, _ = load_fashion_mnist()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}, GPU: {bool(tf.config.list_physical_devices('GPU'))}")

    start = time.perf_counter()
    epoch_s, timed, per_epoch, scaled = time_epoch(images, args.batch_size,
                                                   None if args.full_epoch else args.steps, args.seed)
    speed_load = load_note()
    how = (f"{timed} timed steps scaled to {per_epoch}" if scaled else f"one whole epoch of {per_epoch} steps")
    print(f"\nspeed: Fashion-MNIST 28x28, {len(images)} pictures, batch {args.batch_size} ({how}); "
          f"load average {speed_load}")
    print(f"  {'s/step':>8}  {'s/epoch':>8}  {'pictures/s':>10}")
    print(f"  {epoch_s / per_epoch:8.3f}  {epoch_s:8.1f}  {per_epoch * args.batch_size / epoch_s:10.0f}")

    with tempfile.TemporaryDirectory() as run_dir:
        run = train_gan(images[:args.subset], os.path.join(run_dir, "run"), args.epochs,
                        batch_size=args.batch_size, seed=args.seed, progress=False)
    print(f"\nlosses: {args.epochs} epochs on the first {args.subset} pictures "
          f"({args.subset // args.batch_size} steps an epoch), seed {args.seed}; load average {load_note()}")
    print(f"  {'epoch':>5}  {'D loss':>7}  {'D acc':>6}  {'G loss':>7}  {'seconds':>7}")
    for epoch, logs in enumerate(run.history, 1):
        print(f"  {epoch:5d}  {logs['d_loss']:7.3f}  {100 * logs['d_acc']:5.1f}%  {logs['g_loss']:7.3f}  "
              f"{logs['seconds']:7.1f}")
    print(f"\ntotal {time.perf_counter() - start:.0f} s (the first epoch of each run includes tracing)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seconds_per_epoch": epoch_s, "timed_steps": timed, "steps_per_epoch": per_epoch,
                       "extrapolated": scaled, "batch_size": args.batch_size, "load_average": speed_load,
                       "loss_run": {"subset": args.subset, "seed": args.seed, "history": run.history}},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
