"""DCGAN (article E): a generator turns noise into pictures, a discriminator tells them from real ones.

The two nets follow the DCGAN rules: no pooling; the discriminator shrinks the picture with
strided convolutions and LeakyReLU; the generator grows it with UpSampling2D + Conv2D (which
avoids the checkerboard artefacts of strided transposed convolutions), ReLU and a tanh output;
BatchNorm in both, except on the generator's output and the discriminator's input.

Every training step first trains the discriminator on a real batch (label 1) and a generated
batch (label 0), then trains the generator *through* the discriminator with label 1 while only
the generator's weights move - what article E does with a stacked model whose discriminator is
frozen. Pictures are in [-1, 1] (the tanh range).

A training run lives in one folder: ``config.json``, ``history.json``, ``grids/epoch_NNN.png``
(the same fixed noise every epoch), ``checkpoints/epoch_NNN.npz`` and ``training.gif``.
Checkpoints hold everything that decides the future of training (weights, both optimizers, the
random-number states, the epoch), so a run killed at any moment resumes to the same result as
one that was never stopped.
"""

import json
import math
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dreamlib.data import PictureFolder, epoch_order, from_gan_range, to_gan_range
from dreamlib.errors import DreamlibError, check_number, check_whole_number
from dreamlib.files import TEMP_TAG, atomic_write, write_json
from dreamlib.images import label_image, load_image, save_image, to_uint8

LATENT_DIM = 100        # article E's noise vector
BATCH_SIZE = 50         # article E's batch; it found that above about 100 memory may run out
LEARNING_RATE = 1e-4    # article E: Adam(1e-4, beta_1=0.5)
BETA_1 = 0.5
BN_MOMENTUM = 0.8       # article E's BatchNorm momentum: the running statistics follow fast
LEAKY_SLOPE = 0.2
DROPOUT = 0.25
SHALLOW_MAX_SIDE = 32   # up to this size (MNIST-like) a shallow pair of nets is enough
MAX_SIDE = 256          # bigger needs more upsampling blocks than article E has (and a GPU)
GRID_COLS = 5           # article E's 5x5 sample grid
MAX_SAMPLES = 400
CHECKPOINT_FORMAT = 1
CONFIG_KEYS = ("image_shape", "latent_dim", "seed", "batch_size", "learning_rate", "beta_1")


@dataclass(frozen=True)
class Architecture:
    """How deep the nets are for one picture size (see ``architecture``)."""

    image_shape: tuple
    start: tuple             # (height, width, filters) the generator's Dense output is reshaped to
    generator_filters: tuple  # one UpSampling2D + Conv2D block each, halving the filters
    discriminator_filters: tuple  # one stride-2 Conv2D block each

    @property
    def name(self):
        return "shallow" if len(self.generator_filters) == 2 else "deep"


def architecture(image_shape):
    """The nets for ``image_shape`` = (height, width, channels), or one clear error.

    Article E's lesson: shallow nets that work on MNIST fail on larger colour pictures, so go
    deeper. Up to 32 px a side (28x28 Fashion-MNIST) the generator starts at 1/4 of the size with
    128 filters and upsamples twice (64, 32 filters) and the discriminator has three blocks (32,
    64, 128): small enough to train on a laptop CPU. Bigger pictures get article E's own nets:
    the generator starts at 1/16 of the size with 512 filters and upsamples four times (256, 128,
    64, 32; 8x10 -> 128x160), the discriminator has five blocks (32 to 512 filters).
    """
    rule = (f"sides up to {SHALLOW_MAX_SIDE} px must be multiples of 4 (such as 28x28), larger ones "
            f"multiples of 16 up to {MAX_SIDE} (such as 64x64 or 128x160); channels 1 (gray) or 3 (colour)")
    try:
        height, width, channels = (int(v) for v in image_shape)
        if (height, width, channels) != tuple(image_shape):
            raise ValueError
    except (TypeError, ValueError):
        raise DreamlibError(f"an image shape is (height, width, channels), such as (28, 28, 1); "
                            f"got {image_shape!r}") from None
    shape = (height, width, channels)
    shallow = max(height, width) <= SHALLOW_MAX_SIDE
    step = 4 if shallow else 16
    if channels not in (1, 3) or min(height, width) < 8 or max(height, width) > MAX_SIDE \
            or height % step or width % step:
        raise DreamlibError(f"no DCGAN for {height}x{width}x{channels} pictures: {rule}")
    if shallow:
        return Architecture(shape, (height // 4, width // 4, 128), (64, 32), (32, 64, 128))
    return Architecture(shape, (height // 16, width // 16, 512), (256, 128, 64, 32),
                        (32, 64, 128, 256, 512))


def build_generator(image_shape, latent_dim=LATENT_DIM):
    """Noise (latent_dim,) -> picture (height, width, channels) in [-1, 1], article E's way."""
    from keras import layers

    arch = architecture(image_shape)
    height, width, filters = arch.start
    model = keras.Sequential(name="generator")
    model.add(keras.Input((latent_dim,)))
    model.add(layers.Dense(height * width * filters, activation="relu"))
    model.add(layers.Reshape((height, width, filters)))
    for filters in arch.generator_filters:
        model.add(layers.UpSampling2D())
        model.add(layers.Conv2D(filters, 3, padding="same"))
        model.add(layers.BatchNormalization(momentum=BN_MOMENTUM))
        model.add(layers.Activation("relu"))
    model.add(layers.Conv2D(arch.image_shape[2], 3, padding="same"))
    model.add(layers.Activation("tanh"))  # no BatchNorm on the output: pictures keep their range
    return model


def build_discriminator(image_shape):
    """Picture -> probability that it is real: strided convolutions, LeakyReLU, dropout, BatchNorm."""
    from keras import layers

    arch = architecture(image_shape)
    model = keras.Sequential(name="discriminator")
    model.add(keras.Input(arch.image_shape))
    for index, filters in enumerate(arch.discriminator_filters):
        model.add(layers.Conv2D(filters, 3, strides=2, padding="same"))
        if index == 1:
            model.add(layers.ZeroPadding2D(((0, 1), (0, 1))))  # article E's odd-size fix
        if index > 0:  # no BatchNorm on the input block (DCGAN rule)
            model.add(layers.BatchNormalization(momentum=BN_MOMENTUM))
        model.add(layers.LeakyReLU(negative_slope=LEAKY_SLOPE))
        model.add(layers.Dropout(DROPOUT))
    model.add(layers.Flatten())
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


class DCGAN(keras.Model):
    """Generator and discriminator trained against each other; ``train_step`` trains D, then G."""

    def __init__(self, generator, discriminator, latent_dim=LATENT_DIM, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        # the noise of every step comes from this state, saved in checkpoints with the weights
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.d_acc_tracker = keras.metrics.Mean(name="d_acc")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn=None):
        """Two optimizers (one per net) and the loss, binary cross-entropy by default."""
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy()

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.d_acc_tracker, self.g_loss_tracker]

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, real, noise=None):
        """One adversarial step on a batch of real pictures in [-1, 1]; returns the running means.

        ``noise`` (batch, latent_dim) is drawn from the model's seed unless given (to compare a
        hand-written step with this one on the same noise).
        """
        if isinstance(real, tuple):  # fit() passes (x,) or (x, y); only the pictures matter
            real = real[0]
        batch = tf.shape(real)[0]
        if noise is None:
            noise = keras.random.normal((batch, self.latent_dim), seed=self.noise_seed)
        ones, zeros = tf.ones((batch, 1)), tf.zeros((batch, 1))

        # G's pictures are made once, under G's tape, and serve both turns (see ``_generate``)
        with tf.GradientTape() as g_tape:
            fake = self._generate(noise)

        # 1. the discriminator learns: real -> 1, generated -> 0 (separate batches, as in article E,
        #    so BatchNorm never mixes real and fake statistics)
        with tf.GradientTape() as tape:
            p_real = self.discriminator(real, training=True)
            p_fake = self.discriminator(fake, training=True)
            d_loss = 0.5 * (self.loss_fn(ones, p_real) + self.loss_fn(zeros, p_fake))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        d_acc = 0.5 * (tf.reduce_mean(tf.cast(p_real > 0.5, tf.float32))
                       + tf.reduce_mean(tf.cast(p_fake < 0.5, tf.float32)))

        # 2. the generator learns to make the discriminator say "real"; only G's weights move,
        #    which is what article E's stacked model with a frozen discriminator does
        with g_tape:  # the tape that watched G make the pictures records the updated D judging them
            p_fooled = self.discriminator(fake, training=True)
            g_loss = self.loss_fn(ones, p_fooled)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, weights), weights))

        self.d_loss_tracker.update_state(d_loss)
        self.d_acc_tracker.update_state(d_acc)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def _generate(self, noise):
        """G's pictures for ``noise`` in training mode, with what two generator calls would do to G.

        The lesson's step (notebook 06) calls G twice on the same noise: for D's turn, and again
        under G's tape. G's weights do not change in between, so both calls give the same pictures;
        the second one's only effect is to move each BatchNorm's running averages once more (with
        the same batch statistics). Here G runs once (the pass saved is about a fifth of a step on a
        CPU) and a Sequential G applies every BatchNormalization twice to its input, which moves the
        averages exactly as the second call would: for ``build_generator``'s net (no dropout, no
        randomness, no nested models) the training is bitwise the same, tested. Any other G is
        called twice.
        """
        if not isinstance(self.generator, keras.Sequential):
            self.generator(noise, training=True)
            return self.generator(noise, training=True)
        x = noise
        for layer in self.generator.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer(x, training=True)  # the second call's update of the running averages
            x = layer(x, training=True)
        return x


def make_dcgan(image_shape, latent_dim=LATENT_DIM, learning_rate=LEARNING_RATE, beta_1=BETA_1, seed=None,
               generator=None):
    """A compiled ``DCGAN`` for ``image_shape`` with article E's Adam(1e-4, 0.5) and BCE.

    ``seed`` fixes the initial weights, the dropout masks and the noise of every step.
    ``generator`` replaces ``build_generator``'s net (for experiments, such as one without BatchNorm).
    """
    check_whole_number("latent_dim", latent_dim, 1, 4096, example=LATENT_DIM)
    check_number("learning_rate", learning_rate, 0, 1.0, example=LEARNING_RATE)
    check_number("beta_1", beta_1, 0, 0.999, example=BETA_1)
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    generator = generator if generator is not None else build_generator(image_shape, latent_dim)
    gan = DCGAN(generator, build_discriminator(image_shape), latent_dim, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1))
    # optimizer slots exist from the start, so a checkpoint can be restored before the first step
    gan.d_optimizer.build(gan.discriminator.trainable_variables)
    gan.g_optimizer.build(gan.generator.trainable_variables)
    return gan


# --- pictures --------------------------------------------------------------------------------

def fixed_noise(n=25, latent_dim=LATENT_DIM, seed=0):
    """``n`` noise vectors that are the same every time: each cell of the grid shows the same noise every epoch."""
    check_whole_number("the number of samples", n, 1, MAX_SAMPLES, example=25)
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


def tile_pictures(pictures, cols=GRID_COLS, gap=2):
    """Pictures (n, h, w, 3) side by side, ``cols`` per row, ``gap`` grey pixels apart, as uint8."""
    pictures = to_uint8(pictures)
    n, height, width = pictures.shape[:3]
    cols = max(1, min(int(cols), n))
    rows = -(-n // cols)
    # grey lines: they show on Fashion-MNIST's black backgrounds and on white photos alike
    grid = np.full((rows * (height + gap) - gap, cols * (width + gap) - gap, 3), 128, np.uint8)
    for i, picture in enumerate(pictures):
        top, left = (i // cols) * (height + gap), (i % cols) * (width + gap)
        grid[top:top + height, left:left + width] = picture
    return grid


def sample_grid(generator, noise, cols=GRID_COLS):
    """The generator's pictures for ``noise`` as one uint8 RGB grid (BatchNorm in inference mode)."""
    images = generator(np.asarray(noise, dtype=np.float32), training=False)
    return tile_pictures(from_gan_range(images), cols)


def training_gif(run_dir, output, fps=4, overwrite=False):
    """An animated GIF of a run's grids, one frame per epoch labelled with it; returns the path."""
    from dreamlib.images import save_animation

    paths = _by_epoch(Path(run_dir) / "grids", ".png")
    if not paths:
        raise DreamlibError(f"{run_dir} has no sample grids yet: train at least one epoch first")
    frames = []
    for epoch, path in paths:
        grid = load_image(path)
        strip = np.zeros((20, grid.shape[1], 3), np.float32)  # the label goes below, not over, the samples
        frames.append(label_image(np.concatenate([grid, strip]), f"epoch {epoch}"))
    return save_animation(frames, output, fps=fps, overwrite=overwrite)


def _by_epoch(folder, suffix):
    """(epoch, path) of the ``epoch_NNN<suffix>`` files in ``folder``, oldest first."""
    folder = Path(folder)
    found = []
    for path in folder.glob(f"epoch_*{suffix}") if folder.is_dir() else []:
        number = path.name.removeprefix("epoch_").removesuffix(suffix)
        if number.isdigit():
            found.append((int(number), path))
    return sorted(found)


# --- files that survive a kill ----------------------------------------------------------------

def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise DreamlibError(f"cannot read {path} ({e.__class__.__name__}): is this a dreamlib GAN run folder?") from None


def _state_groups(gan):
    """Every variable that decides the rest of training, by group (seed states included)."""
    return {"generator": gan.generator.variables, "discriminator": gan.discriminator.variables,
            "g_optimizer": gan.g_optimizer.variables, "d_optimizer": gan.d_optimizer.variables,
            "noise_seed": [gan.noise_seed.state]}


def save_checkpoint(gan, path, epoch, history, config):
    """Write a checkpoint atomically: weights, optimizers, random states, epoch and history."""
    arrays = {"epoch": np.array(epoch), "format": np.array(CHECKPOINT_FORMAT),
              "history": np.array(json.dumps(history)), "config": np.array(json.dumps(config))}
    for group, variables in _state_groups(gan).items():
        for i, v in enumerate(variables):
            arrays[f"{group}/{i:04d}"] = np.asarray(v.numpy())
    # the temp file keeps the .npz suffix, so np.savez writes to exactly that name
    return atomic_write(path, lambda tmp: np.savez(tmp, **arrays), overwrite=True)


def read_checkpoint(path):
    """The arrays of a checkpoint file, or a DreamlibError when it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {key: f[key] for key in f.files}
        if int(data["format"]) != CHECKPOINT_FORMAT:
            raise ValueError("unknown format")
        data["epoch"], data["history"] = int(data["epoch"]), json.loads(str(data["history"]))
        data["config"] = json.loads(str(data["config"]))
        return data
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DreamlibError(f"the checkpoint {path} is damaged ({e.__class__.__name__}): "
                            f"delete it to resume from the one before") from None


def _assign_group(variables, data, group, path):
    keys = sorted(k for k in data if k.startswith(group + "/"))
    shapes = [tuple(data[k].shape) for k in keys]
    if shapes != [tuple(v.shape) for v in variables]:
        raise DreamlibError(f"the checkpoint {path} does not fit this {group} (different picture "
                            f"size or latent size): train a new run instead")
    for v, key in zip(variables, keys):
        v.assign(data[key])


def restore_checkpoint(gan, data, path="checkpoint"):
    """Put a checkpoint's state (from ``read_checkpoint``) back into ``gan``."""
    for group, variables in _state_groups(gan).items():
        _assign_group(variables, data, group, path)


def checkpoint_paths(run_dir):
    """A run's checkpoints as (epoch, path), newest first (hidden unfinished temp files are not)."""
    return _by_epoch(Path(run_dir) / "checkpoints", ".npz")[::-1]


def latest_checkpoint(run_dir):
    """(path, data) of the newest readable checkpoint, or None; a damaged one is skipped with a warning."""
    for _, path in checkpoint_paths(run_dir):
        try:
            return path, read_checkpoint(path)
        except DreamlibError as damaged:
            warnings.warn(f"{damaged}; using an older checkpoint", stacklevel=2)
    return None


# --- data -------------------------------------------------------------------------------------

def check_training_images(images):
    """Pictures (n, h, w[, c]) with a channel axis: uint8 in [0, 255] kept small, floats checked for [-1, 1]."""
    images = np.asarray(images)
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise DreamlibError(f"training pictures are an array (n, height, width[, 1 or 3]); got shape {images.shape}")
    if images.ndim == 3:
        images = images[..., None]  # (n, h, w) gray pictures
    if images.dtype == np.uint8:
        return images  # scaled batch by batch: a float copy of all of them would be 4x bigger
    images = images.astype(np.float32)
    if images.size and not (np.isfinite(images).all() and images.min() >= -1.001 and images.max() <= 1.001):
        raise DreamlibError("float training pictures must be in [-1, 1] (the generator's tanh range); "
                            "pass uint8 pictures in [0, 255] to have them scaled")
    return images


def parse_image_size(text):
    """``"HxW"`` (or one number, for a square) as (height, width), such as ``"128x160"``."""
    try:
        sides = tuple(int(v) for v in str(text).lower().split("x"))
    except ValueError:
        sides = ()
    sides = sides * 2 if len(sides) == 1 else sides
    if len(sides) != 2:
        raise DreamlibError(f"an image size is HEIGHTxWIDTH, such as 64x64 or 128x160; got {text!r}")
    return sides


def training_pictures(source, image_size=(64, 64), channels=3, limit=None, seed=0, download=True, say=print):
    """(pictures, description) from ``"fashion_mnist"``, ``"mnist"`` or a folder of pictures.

    Data sets come from ``dreamlib.data`` (offline first) as a uint8 array: the full set when it
    is on this machine or (with ``download``) can be downloaded, else Fashion-MNIST's bundled
    subset, said in one line through ``say``. A folder becomes a
    ``data.PictureFolder``: its pictures are centre-cropped and resized to ``image_size`` with
    ``channels`` (1 gray, 3 colour) and streamed from disk, never all held in memory. ``limit``
    keeps the first ``limit`` pictures (of a folder: a random choice fixed by ``seed``).
    """
    from dreamlib import data

    if limit is not None:
        limit = check_whole_number("limit", limit, 1, example=2000)
    if str(source) in data.KINDS:
        images, _ = data.load_fashion_mnist(str(source), "train", subset=True, download=download, say=say)
        bundled = data.locate_full_set(str(source), "train") is None
        images = images[:limit]
        return images, f"{source} train ({len(images)} pictures{', bundled subset' if bundled else ''})"
    folder = data.check_folder(source)
    architecture((*image_size, channels))  # a size the nets support, before reading any picture
    pictures = data.PictureFolder(folder, image_size, channels)
    count = len(pictures)
    if limit and limit < count:
        keep = np.sort(np.random.default_rng(seed).permutation(count)[:limit])
        pictures.paths = [pictures.paths[i] for i in keep]
    skipped_text = f", {len(pictures.skipped)} skipped" if pictures.skipped else ""
    return pictures, (f"folder {folder.resolve()} ({len(pictures)} of {count} pictures{skipped_text}, "
                      f"{image_size[0]}x{image_size[1]}x{channels})")


class _Batches:
    """The batches of every epoch; arrays are shuffled by (seed, epoch), so a resumed run sees the same order."""

    def __init__(self, data, batch_size, seed, limit=None):
        self.seed, self.limit = seed, limit
        self.dataset = self.images = self.folder = None
        if isinstance(data, PictureFolder):
            self.folder, self.batch_size, self.image_shape = data, int(batch_size), data.image_shape
            if len(data) < self.batch_size:
                raise DreamlibError(f"{len(data)} training pictures are fewer than one batch of "
                                    f"{self.batch_size}: add pictures or lower the batch size")
            steps = len(data) // self.batch_size  # at most: pictures that break while training drop out
        elif isinstance(data, tf.data.Dataset):
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            if len(spec.shape) != 4:
                raise DreamlibError(f"a training dataset yields batches (batch, height, width, channels); "
                                    f"got elements of shape {spec.shape}")
            self.dataset = data
            self.image_shape = tuple(spec.shape[1:])
            cardinality = int(data.cardinality())
            steps = cardinality if cardinality >= 0 else None
            self.batch_size = batch_size
        else:
            self.images = data
            self.image_shape = tuple(data.shape[1:])
            self.batch_size = int(batch_size)
            if len(data) < self.batch_size:
                raise DreamlibError(f"{len(data)} training pictures are fewer than one batch of "
                                    f"{self.batch_size}: add pictures or lower the batch size")
            steps = len(data) // self.batch_size  # whole batches only: BatchNorm dislikes a tiny last one
        self.steps = min(steps, limit) if (steps is not None and limit) else (steps or limit)

    def epoch(self, epoch):
        """The batches of epoch ``epoch`` (0-based) as float32 tensors."""
        if self.folder is not None or self.dataset is not None:
            data = self.dataset if self.folder is None else self.folder.dataset(self.batch_size, self.seed, epoch)
            data = data.take(self.limit) if self.limit else data
            for batch in data:
                yield tf.cast(batch[0] if isinstance(batch, tuple) else batch, tf.float32)
            return
        order = epoch_order(len(self.images), self.seed, epoch)
        for step in range(self.steps):
            batch = self.images[order[step * self.batch_size:(step + 1) * self.batch_size]]
            yield tf.constant(to_gan_range(batch) if batch.dtype == np.uint8 else batch)


# --- training ---------------------------------------------------------------------------------

@dataclass
class GanTraining:
    """What ``train_gan`` did: the model, the per-epoch history, and where the files are."""

    gan: DCGAN
    run_dir: Path
    history: list = field(default_factory=list)  # one dict per epoch: d_loss, d_acc, g_loss, seconds
    start_epoch: int = 0                         # epochs already done when this call began
    interrupted: bool = False

    @property
    def epochs_done(self):
        return len(self.history)


def run_config(image_shape, latent_dim=LATENT_DIM, seed=0, batch_size=BATCH_SIZE,
               learning_rate=LEARNING_RATE, beta_1=BETA_1, data="pictures"):
    """The settings that must match for a run to be resumed (written to ``config.json``)."""
    return {"image_shape": list(image_shape), "latent_dim": int(latent_dim), "seed": int(seed),
            "batch_size": batch_size if batch_size is None else int(batch_size),
            "learning_rate": float(learning_rate), "beta_1": float(beta_1), "data": str(data),
            "architecture": architecture(image_shape).name}


def _check_same_config(run_dir, saved, wanted):
    different = [f"{key} {saved.get(key)!r} -> {wanted[key]!r}" for key in CONFIG_KEYS
                 if saved.get(key) != wanted[key]]
    if different:
        raise DreamlibError(f"cannot resume {run_dir}: it was trained with other settings "
                            f"({'; '.join(different)}): use the same settings, or a new run folder")
    if saved.get("data") != wanted["data"]:  # a description (counts, paths): worth a word, not a refusal
        warnings.warn(f"resuming {run_dir}, trained on {saved.get('data')}, with {wanted['data']}", stacklevel=3)


def train_gan(data, run_dir, epochs, image_shape=None, *, latent_dim=LATENT_DIM, batch_size=BATCH_SIZE,
              seed=0, resume=False, progress=True, on_epoch=None, batches_per_epoch=None,
              description=None, learning_rate=LEARNING_RATE, beta_1=BETA_1, keep_checkpoints=2):
    """Train a DCGAN for ``epochs`` epochs in all, saving a grid and a checkpoint after each.

    ``data``: pictures as an array (n, h, w[, c]) - uint8 in [0, 255] or float in [-1, 1] - or a
    ``data.PictureFolder`` (streamed from disk); both are shuffled by (seed, epoch), so a resumed
    run equals an unbroken one. A ``tf.data.Dataset`` of float batches in [-1, 1] works too (then
    it must give the same batches each time it is read for a resumed run to equal an unbroken one).
    ``resume``: continue from the newest checkpoint in ``run_dir`` (its settings must match).
    ``on_epoch(epoch, logs, grid)`` is called after every epoch (1-based) with the epoch's mean
    losses and the uint8 sample grid; returning False stops. Ctrl-C also stops; the last
    checkpoint is kept either way. ``batches_per_epoch`` cuts epochs short (quick runs).
    """
    from tqdm.auto import tqdm

    epochs = check_whole_number("epochs", epochs, 1, 100_000)
    seed = check_whole_number("seed", seed, 0, 2**31 - 1, example=0)
    if batches_per_epoch is not None:
        batches_per_epoch = check_whole_number("batches_per_epoch", batches_per_epoch, 1)
    keep_checkpoints = check_whole_number("keep_checkpoints", keep_checkpoints, 1, example=2)
    if isinstance(data, PictureFolder):
        batch_size = check_whole_number("batch_size", batch_size, 1, 4096, example=BATCH_SIZE)
        description = description or f"folder {data.folder} ({len(data)} pictures)"
    elif not isinstance(data, tf.data.Dataset):
        data = check_training_images(data)
        batch_size = check_whole_number("batch_size", batch_size, 1, 4096, example=BATCH_SIZE)
        description = description or f"array of {len(data)} pictures"
    else:
        batch_size = None  # the dataset decides
        description = description or "tf.data dataset"
    batches = _Batches(data, batch_size, seed, batches_per_epoch)
    image_shape = tuple(image_shape or batches.image_shape)
    if tuple(batches.image_shape) != image_shape:
        raise DreamlibError(f"the pictures are {'x'.join(map(str, batches.image_shape))} but the GAN is "
                            f"for {'x'.join(map(str, image_shape))}: resize the pictures or change image_shape")
    config = run_config(image_shape, latent_dim, seed, batch_size, learning_rate, beta_1, description)

    run_dir = Path(run_dir).expanduser()
    if run_dir.exists() and not run_dir.is_dir():
        raise DreamlibError(f"{run_dir} is a file: the run needs a folder (choose another --out)")
    config_path = run_dir / "config.json"
    if config_path.exists():
        if not resume:
            raise DreamlibError(f"{run_dir} already holds a GAN run: resume it (--resume, resume=True) "
                                f"or choose another run folder")
        _check_same_config(run_dir, _read_json(config_path), config)
    for stale in (run_dir / "checkpoints").glob(f".epoch_*{TEMP_TAG}.npz"):
        stale.unlink(missing_ok=True)  # left by a run killed while writing: never a usable checkpoint
    gan = make_dcgan(image_shape, latent_dim, learning_rate, beta_1, seed=seed)
    history, start = [], 0
    if config_path.exists():
        found = latest_checkpoint(run_dir)
        if found is not None:
            path, saved = found
            restore_checkpoint(gan, saved, path)
            history, start = saved["history"][:saved["epoch"]], saved["epoch"]
            # history.json may lag the checkpoint if a kill came between the two writes
            write_json(run_dir / "history.json", history, overwrite=True)
    else:
        write_json(config_path, {**config, "dreamlib": _version()}, overwrite=True)
    noise = fixed_noise(GRID_COLS * GRID_COLS, latent_dim, seed)
    if start == 0:
        save_image(sample_grid(gan.generator, noise), run_dir / "grids" / "epoch_000.png", overwrite=True)

    result = GanTraining(gan, run_dir, history, start_epoch=start)
    step = compiled_step(gan)
    try:
        for epoch in range(start, epochs):
            for metric in gan.metrics:
                metric.reset_state()
            logs = {}
            begun = time.perf_counter()
            with tqdm(total=batches.steps, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                      disable=not progress, leave=True) as bar:
                for real in batches.epoch(epoch):
                    logs = step(real)
                    bar.set_postfix({k: f"{float(v):.3f}" for k, v in logs.items()}, refresh=False)
                    bar.update(1)
            if not logs:
                raise DreamlibError("the training data gave no batches: is the dataset empty?")
            logs = {k: float(v) for k, v in logs.items()}
            logs["seconds"] = round(time.perf_counter() - begun, 3)
            grid = sample_grid(gan.generator, noise)
            save_image(grid, run_dir / "grids" / f"epoch_{epoch + 1:03d}.png", overwrite=True)
            # the checkpoint is the truth (it holds the history too); history.json is a copy to read
            save_checkpoint(gan, run_dir / "checkpoints" / f"epoch_{epoch + 1:03d}.npz",
                            epoch + 1, history + [logs], config)
            history.append(logs)
            write_json(run_dir / "history.json", history, overwrite=True)
            for _, old in checkpoint_paths(run_dir)[keep_checkpoints:]:
                old.unlink(missing_ok=True)
            if on_epoch is not None and on_epoch(epoch + 1, logs, grid) is False:
                result.interrupted = epoch + 1 < epochs
                break
    except KeyboardInterrupt:
        result.interrupted = True
    return result


def xla_function(fn):
    """``fn`` compiled with XLA, for any batch size."""
    return tf.function(fn, reduce_retracing=True, jit_compile=True)


def compiled_step(gan):
    """``gan.train_step`` compiled with XLA, which fuses the small nets' many little operations
    (0.81-0.92x the TF tutorial's step time on a 2-core CPU, against 1.06-1.10x without:
    ``benchmarks/bench_gan.py --versus-tutorial``); without XLA where TensorFlow cannot compile it
    (a build or device without XLA): the compile fails before the step changes anything."""
    fast = xla_function(gan.train_step)
    plain = tf.function(gan.train_step, reduce_retracing=True)
    chosen = []

    def step(real):
        if chosen:
            return chosen[0](real)
        try:
            logs = fast(real)
            chosen.append(fast)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError, tf.errors.NotFoundError,
                tf.errors.InternalError):
            logs = plain(real)
            chosen.append(plain)
        return logs

    step.chosen = chosen   # [the compiled function in use], once the first step has run
    return step


def _version():
    from dreamlib import __version__

    return __version__


# --- using a trained run ----------------------------------------------------------------------

def load_generator(run_dir):
    """The generator of a run's newest checkpoint (a Keras model: noise -> pictures in [-1, 1])."""
    run_dir = Path(run_dir).expanduser()
    if not run_dir.is_dir():
        raise DreamlibError(f"no GAN run folder at {run_dir}: train one with `dreamlib gan train --out {run_dir}`")
    config_path = run_dir / "config.json"
    if not config_path.exists():
        raise DreamlibError(f"{run_dir} is not a GAN run folder (no config.json): give the folder "
                            f"`dreamlib gan train --out` wrote")
    config = _read_json(config_path)
    found = latest_checkpoint(run_dir)
    if found is None:
        raise DreamlibError(f"{run_dir} has no checkpoint yet: train at least one epoch first")
    path, data = found
    try:
        generator = build_generator(tuple(config["image_shape"]), config["latent_dim"])
    except (KeyError, TypeError):
        raise DreamlibError(f"{config_path} is incomplete: is this a dreamlib GAN run folder?") from None
    _assign_group(generator.variables, data, "generator", path)
    return generator


def sample(run_dir, n=25, seed=None, cols=None):
    """A uint8 RGB grid of ``n`` new pictures from a trained run (``seed`` repeats a grid)."""
    generator = load_generator(run_dir)
    noise = fixed_noise(n, generator.input_shape[-1], seed)
    return sample_grid(generator, noise, cols or math.ceil(math.sqrt(n)))
