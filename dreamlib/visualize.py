"""Feature visualisation: optimise a picture until a channel (or a class, or a batch) fires.

This is activation maximisation, the basic principle under DeepDream (article A's intro), done
the way Lucid and Distill's "Feature Visualization" do it, from four small ideas that compose:

- an *objective* (``dreamlib.objectives``): what to maximise - a channel, a class logit, the
  diversity of a batch - minus regularisers that read the picture (total variation, blur);
- a *parameterisation* (``dreamlib.parameterize``): pixels, or a Fourier image with
  decorrelated colours;
- *transforms* (``dreamlib.transforms``): random pad, jitter, scale and rotation the picture must
  survive;
- the *render* loop (``dreamlib.render``, the one DeepDream runs on too): ``visualize`` runs
  Adam on the parameters, several steps per compiled call; the network and the objective are
  compiled once and shared by every run of the same objective.

``high_frequency_energy`` and ``objective_value`` measure the result, so comparisons show
numbers as well as pictures.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from dreamlib import knobs
from dreamlib.channels import channel_count, check_channel
from dreamlib.errors import DreamlibError
from dreamlib.models import feature_extractor
from dreamlib.objectives import INPUT, Objective, channel
from dreamlib.parameterize import PARAMETERIZATIONS
from dreamlib.render import Loop, adam, generator
from dreamlib.transforms import compose, crop_or_pad_to, standard_transforms


class Visualization(NamedTuple):
    """The pictures (float RGB in [0, 255], shape (batch, height, width, 3)) and the objective per step."""

    images: np.ndarray
    losses: list

    @property
    def image(self):
        """The first (often the only) picture of the batch."""
        return self.images[0]

    @property
    def interrupted(self):
        """True when Stop (an interrupt) ended the run before its last step."""
        return False


class Interrupted(Visualization):
    """The pictures and losses of a run that Stop ended early."""

    __slots__ = ()

    @property
    def interrupted(self):
        return True


class VisualizationStopped(KeyboardInterrupt):
    """Ctrl-C during ``visualize``: carries the pictures so far as ``result`` (``interrupted`` True).

    A ``KeyboardInterrupt``, so that a loop of runs (a grid of channels) stops too, instead of
    going on with the next run.
    """

    def __init__(self, result, steps):
        super().__init__(f"stopped at step {len(result.losses)} of {steps}: the pictures made so far are "
                         f"in this exception's .result")
        self.result = result


# visualize's own knobs, checked by dreamlib.knobs' rules (numpy numbers welcome)
VISUALIZE_KNOBS = {k.name: k for k in (
    knobs.Knob("size", int, 128, "side of the square pictures", low=32, high=4096, example=128),
    knobs.Knob("batch", int, 1, "pictures optimised together", low=1, high=64, example=1),
    knobs.Knob("learning_rate", float, 0.05, "Adam's learning rate", low=0, high=10, above=True, example=0.05),
    knobs.Knob("preview_every", int, 16, "steps between preview updates", low=1, high=100_000, example=16),
)}


def check_visualize(backbone, objective, parameterization, transforms, size, batch, steps, learning_rate,
                    preview_every):
    """Every argument of ``visualize`` checked: one clear line naming the fix."""
    knobs.check({"steps": steps})
    if not isinstance(objective, Objective):
        raise DreamlibError("objective must be an Objective, e.g. objectives.channel(layer, 3)")
    for layer in objective.layers:
        if layer != INPUT:
            channel_count(backbone, layer)  # an unknown layer is one line naming the fix
    if isinstance(parameterization, str) and parameterization not in PARAMETERIZATIONS:
        raise DreamlibError(f"parameterization must be one of {', '.join(PARAMETERIZATIONS)} "
                            f"(or a PixelImage / FourierImage); got {parameterization!r}")
    if transforms is not None and not all(callable(t) for t in transforms):
        raise DreamlibError("transforms must be a list of transforms, such as "
                            "[transforms.pad(12), transforms.jitter(8)], or [] for none")
    for name, value in (("size", size), ("batch", batch), ("learning_rate", learning_rate),
                        ("preview_every", preview_every)):
        VISUALIZE_KNOBS[name].check(value)
    if network_input_size(backbone) is None and size < backbone.spec.min_size:
        raise DreamlibError(f"size {size} is below {backbone.name}'s minimum input: use at least "
                            f"{backbone.spec.min_size} px")


def no_such_channel(backbone, objective, error):
    """A DreamlibError for an objective that indexed past a layer's last channel, else None."""
    if "out of bounds" not in str(error):
        return None
    counts = ", ".join(f"{layer} has {channel_count(backbone, layer)} channels" for layer in objective.layers
                       if layer != INPUT)
    return DreamlibError(f"{objective.description} asks for a channel a layer does not have ({counts}, "
                         f"counted from 0): choose a smaller channel number")


def network_input_size(backbone):
    """(height, width) a network insists on (a classifier), or None when any size works."""
    shape = backbone.model.input.shape
    return None if shape[1] is None else (int(shape[1]), int(shape[2]))


def compiled_objective(backbone, objective):
    """``value(seen, pictures)``: the objective of the network's view ``seen`` and of the pictures.

    Compiled once per network and objective (any picture size, any batch), so that several
    visualisations of one objective - pixels or Fourier, with or without transforms - share it.
    The compiled functions live on the objective and go when it goes.
    """
    compiled = objective.__dict__.setdefault("_compiled", {})  # network -> its compiled value
    if backbone.model not in compiled:
        layers = [layer for layer in objective.layers if layer != INPUT]
        extractor = feature_extractor(backbone, layers) if layers else None
        side = network_input_size(backbone) or (None, None)

        @tf.function(input_signature=[tf.TensorSpec([None, *side, 3]), tf.TensorSpec([None, None, None, 3])])
        def value(seen, pictures):
            acts = {INPUT: pictures}
            if extractor is not None:
                outputs = extractor(backbone.preprocess(seen * 255.0), training=False)
                acts.update(zip(layers, outputs if isinstance(outputs, (list, tuple)) else [outputs]))
            return objective(acts)

        compiled[backbone.model] = value
    return compiled[backbone.model]


def visualize_gradient(value):
    """The render loop's gradient part: the objective ``value(seen, pictures)`` and its gradient
    with respect to what the network saw and to the pictures themselves (for regularisers)."""
    def gradient(seen, pictures, knobs):
        with tf.GradientTape() as tape:
            tape.watch([seen, pictures])
            loss = value(seen, pictures)
        return (loss, *tape.gradient(loss, [seen, pictures]))

    return gradient


def visualize_loop(backbone, objective, image, transforms=None, seed=0):
    """The render loop of a visualisation: ``image``'s parameters -> ``transforms`` (default
    Lucid's standard list; a classifier's picture then cropped or padded to its input) -> the
    network and ``objective`` -> Adam."""
    transforms = standard_transforms() if transforms is None else list(transforms)
    fixed = network_input_size(backbone)
    if fixed is not None:
        transforms.append(crop_or_pad_to(*fixed))
    transform = compose(transforms)
    return Loop(visualize_gradient(compiled_objective(backbone, objective)), adam(),
                transform=lambda pictures, rng, knobs: transform(pictures, rng), parameterize=image.render,
                rng=generator(seed))


def visualize(backbone, objective, parameterization="fourier", transforms=None, size=128, batch=1,
              steps=256, learning_rate=0.05, seed=0, start=None, progress=True, preview=None,
              preview_every=16, on_step=None):
    """Maximise ``objective`` over a picture made by ``parameterization``, robust to ``transforms``.

    ``parameterization``: "fourier" (decorrelated Fourier image), "pixels", or a ready
    ``PixelImage``/``FourierImage``; ``transforms``: a list (default Lucid's standard list, [] for
    none); ``size`` and ``batch``: the pictures' side and count; ``learning_rate``: Adam's.
    ``seed`` fixes the start and every random transform; ``start`` (float RGB [0, 255]) replaces
    the random start. ``preview`` (a ``LivePreview``) is updated every ``preview_every`` steps.
    Returns a ``Visualization`` (images, losses). ``on_step(step, loss)`` returning False (a Stop
    button) ends the run with the pictures so far (``interrupted`` True); Ctrl-C does too, and
    raises ``VisualizationStopped``, whose ``result`` holds them, so a loop of runs stops as well.
    """
    from tqdm.auto import tqdm

    check_visualize(backbone, objective, parameterization, transforms, size, batch, steps, learning_rate,
                    preview_every)
    learning_rate = VISUALIZE_KNOBS["learning_rate"].check(learning_rate)
    image = parameterization
    if isinstance(parameterization, str):
        image = PARAMETERIZATIONS[parameterization](size, size, batch=batch, seed=seed)
    if start is not None:
        image.assign_image(np.asarray(start, np.float32) / 255.0)
    loop = visualize_loop(backbone, objective, image, transforms, seed)

    def show(params, done):
        if preview is not None and (done % preview_every == 0 or done == steps):
            preview.update(255.0 * np.asarray(image.render(params)[0]), f"{objective.description}: step {done}/{steps}")

    with tqdm(total=steps, desc=objective.description, disable=not progress, leave=True) as bar:
        try:
            run = loop.run(image.variable, steps, {"learning_rate": np.float32(learning_rate)}, on_step=on_step,
                           on_chunk=show, progress=bar, max_chunk=preview_every if preview is not None else None)
        except (ValueError, tf.errors.InvalidArgumentError) as error:
            raise (no_such_channel(backbone, objective, error) or error) from None
        image.variable.assign(run.params)
        made = (Interrupted if run.interrupted else Visualization)(255.0 * np.asarray(image(), np.float32), run.losses)
        if run.by_keyboard:  # Stop in a notebook: keep the pictures made so far, and say so
            bar.set_description(f"{objective.description}: stopped at step {len(run.losses)}")
            raise VisualizationStopped(made, steps) from None
    return made


def visualize_channel(backbone, layer, channel_index, **options):
    """The picture that most excites channel ``channel_index`` of ``layer``; see ``visualize``."""
    return visualize(backbone, channel(layer, check_channel(backbone, layer, channel_index)), **options)


def objective_value(backbone, objective, images):
    """``objective`` on pictures (float RGB [0, 255], one or a batch) as they are: no transforms."""
    images = np.asarray(images, np.float32)
    images = images[None] if images.ndim == 3 else images
    layers = [layer for layer in objective.layers if layer != INPUT]
    acts = {INPUT: tf.constant(images / 255.0)}
    if layers:
        fixed = network_input_size(backbone)  # a classifier sees what visualize shows it: crop or pad
        seen = images if fixed is None else 255.0 * crop_or_pad_to(*fixed)(images / 255.0, None)
        outputs = feature_extractor(backbone, layers)(backbone.preprocess(seen), training=False)
        acts.update(zip(layers, outputs if isinstance(outputs, (list, tuple)) else [outputs]))
    try:
        return float(objective(acts))
    except (ValueError, tf.errors.InvalidArgumentError) as error:
        raise (no_such_channel(backbone, objective, error) or error) from None


def high_frequency_energy(image, cutoff=0.25):
    """Share of a picture's spectral energy above ``cutoff`` cycles per pixel (0.5 is the finest).

    The mean (brightness) is left out. White noise scores about 0.8 (the share of such
    frequencies), a photo a few hundredths: the higher, the more the picture is static.
    """
    image = np.asarray(image, np.float64)
    centred = image - image.mean(axis=(0, 1))
    power = (np.abs(np.fft.fft2(centred, axes=(0, 1))) ** 2).sum(axis=-1)  # summed over colours
    fy = np.fft.fftfreq(image.shape[0])[:, None]
    fx = np.fft.fftfreq(image.shape[1])[None, :]
    total = power.sum()
    return float(power[np.sqrt(fx * fx + fy * fy) > cutoff].sum() / total) if total > 0 else 0.0
