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

``--versus-tutorial`` times instead dreamlib's training step (``DCGAN.train_step`` in a
``tf.function``, as ``train_gan`` runs it) against the TensorFlow DCGAN tutorial's ``train_step``,
re-written here for timing, on the same nets, batch and Adam settings (see ``tutorial_step``):

    python benchmarks/bench_gan.py --versus-tutorial                 # 3 pairs of 200 steps, ~6 min
    python benchmarks/bench_gan.py --versus-tutorial --steps 100 --repeats 5
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
    p.add_argument("--versus-tutorial", action="store_true",
                   help="time dreamlib's train_step against the TF DCGAN tutorial's, alternated")
    p.add_argument("--repeats", type=int, default=3, help="alternated pairs with --versus-tutorial (default 3)")
    p.add_argument("--json", metavar="PATH", help="also write the results to PATH")
    args = p.parse_args(argv)
    if min(args.steps, args.batch_size, args.epochs, args.subset, args.repeats) < 1:
        p.error("--steps, --batch-size, --epochs, --subset and --repeats must be at least 1")
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


def tutorial_step(generator, discriminator, g_optimizer, d_optimizer, batch_size, latent_dim):
    """The TF DCGAN tutorial's training step, re-written for timing from its description.

    One ``tf.function``: noise drawn inside it, the generator run once and the discriminator on the
    real and the generated batch, both under two tapes at once; losses from
    ``BinaryCrossentropy(from_logits=True)`` (generator: fakes labelled real; discriminator: the
    sum of real-as-1 and fake-as-0), then each optimizer applies its net's gradients. Both nets
    move from the same forward pass: the generator's gradient comes through the discriminator
    as it was *before* this step's update.
    """
    import keras
    import tensorflow as tf

    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            generated = generator(noise, training=True)
            real_logits = discriminator(images, training=True)
            fake_logits = discriminator(generated, training=True)
            g_loss = cross_entropy(tf.ones_like(fake_logits), fake_logits)
            d_loss = (cross_entropy(tf.ones_like(real_logits), real_logits)
                      + cross_entropy(tf.zeros_like(fake_logits), fake_logits))
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_optimizer.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))

    return train_step


def versus_tutorial(images, batch_size, steps, repeats, seed):
    """Seconds per step of dreamlib's and the tutorial's step, alternated; returns the pairs."""
    import keras
    import tensorflow as tf

    from dreamlib import gan
    from dreamlib.data import to_gan_range

    shape = (*images.shape[1:3], 1)
    dreamlib_gan = gan.make_dcgan(shape, seed=seed)
    step = {"dreamlib": gan.compiled_step(dreamlib_gan)}  # as train_gan runs it
    # the tutorial's engine trains its own copy of the same nets (same seed: the same starting weights)
    keras.utils.set_random_seed(seed)
    generator, discriminator = gan.build_generator(shape), gan.build_discriminator(shape)
    discriminator.layers[-1].activation = keras.activations.linear  # the tutorial's D gives a logit
    optimizers = [keras.optimizers.Adam(gan.LEARNING_RATE, beta_1=gan.BETA_1) for _ in range(2)]
    step["tutorial"] = tutorial_step(generator, discriminator, *optimizers, batch_size, gan.LATENT_DIM)

    count = min(steps, len(images) // batch_size)
    batches = [tf.constant(to_gan_range(images[i * batch_size:(i + 1) * batch_size, ..., None]))
               for i in range(count)]
    for name in step:  # warm-up: traces each step and lets oneDNN pick its kernels
        for real in batches[:5]:
            step[name](real)
    print(f"\nversus the TF tutorial: {count} steps a repeat, batch {batch_size}, 28x28 nets, alternated; "
          f"seconds per step, wall clock and process CPU (other load disturbs CPU seconds less)")
    print(f"  {'pair':>4}  {'dreamlib':>9}  {'tutorial':>9}  {'ratio':>6}  {'CPU: dreamlib':>13}  "
          f"{'tutorial':>9}  {'ratio':>6}  load")
    pairs = []
    for repeat in range(repeats):
        order = ["dreamlib", "tutorial"][::1 if repeat % 2 == 0 else -1]  # who goes first alternates too
        wall, cpu = {}, {}
        for name in order:
            begun, begun_cpu = time.perf_counter(), time.process_time()
            for real in batches:
                out = step[name](real)
            if out is not None:
                float(out["d_loss"])
            wall[name] = (time.perf_counter() - begun) / count
            cpu[name] = (time.process_time() - begun_cpu) / count
        ratio, cpu_ratio = wall["dreamlib"] / wall["tutorial"], cpu["dreamlib"] / cpu["tutorial"]
        pairs.append({"seconds": wall, "cpu_seconds": cpu, "ratio": ratio, "cpu_ratio": cpu_ratio,
                      "load": os.getloadavg()[0]})
        print(f"  {repeat + 1:4d}  {wall['dreamlib']:9.4f}  {wall['tutorial']:9.4f}  {ratio:6.2f}  "
              f"{cpu['dreamlib']:13.4f}  {cpu['tutorial']:9.4f}  {cpu_ratio:6.2f}  {load_note()}")
    for key in ("ratio", "cpu_ratio"):
        ratios = sorted(p[key] for p in pairs)
        print(f"  median {key.replace('_', ' ')} {ratios[len(ratios) // 2]:.2f}", end="")
    print("  (below 1: dreamlib's step is faster)")

    # the work only dreamlib's step does: D judges the fakes again after its update (G learns from
    # the updated D, as in article E); for scale, one pass of G, which both steps make once
    noise = tf.random.normal([batch_size, gan.LATENT_DIM])
    parts = {"G forward": tf.function(lambda: dreamlib_gan.generator(noise, training=True)),
             "D forward": tf.function(lambda: dreamlib_gan.discriminator(batches[0], training=True))}
    said = []
    for name, part in parts.items():
        part()
        begun = time.perf_counter()
        for _ in range(20):
            part()
        said.append(f"{name} {1000 * (time.perf_counter() - begun) / 20:.1f} ms")
    print(f"  one pass in training mode: {', '.join(said)} (dreamlib's step makes one D forward more)")
    print(f"  traces: dreamlib {step['dreamlib'].chosen[0].experimental_get_tracing_count()}, "
          f"tutorial {step['tutorial'].experimental_get_tracing_count()}")
    return pairs


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    from dreamlib.data import load_fashion_mnist
    from dreamlib.gan import train_gan

    images, _ = load_fashion_mnist()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"TensorFlow {tf.__version__}, GPU: {bool(tf.config.list_physical_devices('GPU'))}")

    if args.versus_tutorial:
        pairs = versus_tutorial(images, args.batch_size, args.steps, args.repeats, args.seed)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"versus_tutorial": pairs, "batch_size": args.batch_size, "steps": args.steps}, f, indent=1)
        return 0

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
