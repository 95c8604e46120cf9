"""The whole DeepDream, composed: model -> objective -> octaves of (rolled, tiled) gradient ascent.

``dream(image)`` is the one-call version; ``Dreamer`` keeps a built model and its compiled
gradient so that several dreams (a notebook's comparison grid) do not rebuild anything.
"""

import functools
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import tensorflow as tf

from dreamlib import settings
from dreamlib.ascent import AscentStopped, LossGradient, check_step_settings, gradient_ascent
from dreamlib.errors import DreamlibError
from dreamlib.images import UNTRAINED_LABEL, resize_image, save_image, show, stamp_untrained  # noqa: F401 (re-export)
from dreamlib.models import get_spec, load_backbone
from dreamlib.objectives import KINDS, Objective, weighted_layers
from dreamlib.octaves import enlarge, octave_shapes
from dreamlib.tiles import needs_tiles, rolled_gradient, tile_slices

@dataclass
class DreamSettings:
    """Every knob of a dream. ``DreamSettings.quick()`` gives small, fast values for a CPU."""

    steps: int = 20               # ascent steps per octave (keras.io: 20)
    step_size: float = None       # None: the model's own (0.01 on [-1, 1]; VGG: A's 0.01 x 255 = 2.55)
    octaves: object = 3           # a count, or exponents such as range(-2, 3) (article B)
    octave_scale: float = 1.4     # article D and keras.io; article B uses 1.3
    lost_detail: bool = True      # reinject detail lost by shrinking (article D)
    tile_size: int = 512          # images bigger than this are tiled (article B); 0 = never
    jitter: int = None            # max random roll in pixels; None = tile_size when tiled, else 0
    normalize: str = "mean_abs"   # gradient normalisation: mean_abs (A, C, D), std (B) or l2
    max_loss: float = None        # stop an octave once the loss passes this (A: 30, D: 20, keras.io: 15)
    seed: int = None              # fixes the random rolls (and random weights) for repeatable runs

    @classmethod
    def quick(cls, **overrides):
        """Settings that finish in seconds on a laptop CPU and still change the picture visibly.

        On a 256-px picture (the quick size) 15 steps x 4 octaves move the cat by about 13 grey
        levels on average with MobileNetV2; 5 x 2 moved it by 4, which looks unchanged.
        """
        return cls(**{"steps": 15, "octaves": 4, **overrides})

    @classmethod
    def default(cls, **overrides):
        """Quick settings under ``DREAMLIB_QUICK=1``, else the full ones."""
        return cls.quick(**overrides) if settings.is_quick() else cls(**overrides)

    def check(self):
        """One clear error for each nonsense value."""
        step_size = 1.0 if self.step_size is None else self.step_size  # None: the model's default
        check_step_settings(self.steps, step_size, self.normalize, self.max_loss)
        if not isinstance(self.tile_size, (int, np.integer)) or self.tile_size < 0:
            raise DreamlibError(f"tile_size must be 0 (never tile) or a number of pixels; got {self.tile_size!r}")
        if self.jitter is not None and (not isinstance(self.jitter, (int, np.integer)) or self.jitter < 0):
            raise DreamlibError(f"jitter must be a whole number of pixels >= 0; got {self.jitter!r}")
        if self.seed is not None and (not isinstance(self.seed, (int, np.integer)) or self.seed < 0):
            raise DreamlibError(f"seed must be a whole number >= 0; got {self.seed!r}")


@dataclass
class DreamRecord:
    """What was done: enough to repeat the dream and to judge it."""

    model: str
    weights: str
    objective: str
    settings: dict
    input_shape: tuple
    octave_shapes: list = field(default_factory=list)
    losses: list = field(default_factory=list)        # one list of losses per octave
    stopped_early: list = field(default_factory=list)  # one flag per octave
    tiles: list = field(default_factory=list)          # tiles per step, per octave
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def untrained(self):
        return self.weights != "imagenet"

    def as_text(self):
        """A dict of strings, for PNG metadata and for printing."""
        data = asdict(self)
        return {f"dreamlib:{key}": str(value) for key, value in data.items()}


@dataclass
class DreamResult:
    """The dreamed picture (float RGB in [0, 255]) and its record."""

    image: np.ndarray
    record: DreamRecord

    @property
    def untrained(self):
        return self.record.untrained

    def labelled_image(self):
        """The picture, with a visible warning stamped on it when the network was untrained."""
        return stamp_untrained(self.image, self.untrained)

    def save(self, path, overwrite=False, protect=()):
        """Save atomically, with the record as PNG metadata and the untrained warning stamped."""
        return save_image(self.labelled_image(), path, overwrite=overwrite, protect=protect,
                          metadata=self.record.as_text())

    def show(self, title=None):
        return show(self.image, title or f"{self.record.model}: {self.record.objective}", untrained=self.untrained)


def default_objective(model, layers=None, kind="sum_of_squares", border=0):
    """The weighted-layer objective for ``model``: ``layers`` ({name: weight}) or its defaults."""
    if kind not in KINDS:
        raise DreamlibError(f"unknown objective {kind!r}: choose one of {', '.join(KINDS)}")
    return weighted_layers(layers or get_spec(model).default_layers, kind, border)


class Dreamer:
    """A backbone, an objective and their compiled gradient, ready to dream many times."""

    def __init__(self, model="inception_v3", objective=None, weights="imagenet", backbone=None,
                 allow_random=None):
        self.backbone = backbone or load_backbone(model, weights=weights, allow_random=allow_random)
        if objective is None:
            objective = default_objective(self.backbone.name)
        elif isinstance(objective, dict):
            objective = default_objective(self.backbone.name, objective)
        if not isinstance(objective, Objective):
            raise DreamlibError("objective must be an Objective or a {layer: weight} dict")
        self.objective = objective
        self.gradient = LossGradient(self.backbone, objective)

    @property
    def untrained(self):
        return self.backbone.untrained

    def dream(self, image, settings=None, progress=True, on_octave=None, on_step=None, **overrides):
        """Dream on ``image`` (float RGB [0, 255]) and return a ``DreamResult``.

        ``settings`` is a ``DreamSettings`` (default: ``DreamSettings.default()``), ``overrides``
        change single fields. ``on_octave(index, picture)`` is called after every octave with the
        picture so far (for live previews); if it returns False the dream stops there, keeping
        what was made. ``on_step(octave, step, loss)`` is called after every ascent step and may
        return False to stop mid-octave (a Stop button). A KeyboardInterrupt also keeps the
        picture made so far.
        """
        from tqdm.auto import tqdm

        s = settings or DreamSettings.default()
        if overrides:
            s = DreamSettings(**{**asdict(s), **overrides})
        if s.step_size is None:
            s = DreamSettings(**{**asdict(s), "step_size": self.backbone.spec.step_size})
        s.check()
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise DreamlibError(f"an image is (height, width, 3) RGB; got shape {image.shape}")
        spec = self.backbone.spec
        shapes = octave_shapes(image.shape[:2], s.octaves, s.octave_scale, spec.min_size)
        if s.tile_size and s.tile_size < spec.min_size:
            raise DreamlibError(f"tile_size {s.tile_size} is below {spec.name}'s minimum input of "
                                f"{spec.min_size} px: use a bigger tile (512 is typical)")
        rng = np.random.default_rng(s.seed)
        record = DreamRecord(self.backbone.name, self.backbone.weights_label, self.objective.description,
                             {k: (list(v) if isinstance(v, range) else v) for k, v in asdict(s).items()},
                             tuple(image.shape[:2]), octave_shapes=shapes)
        original = self.backbone.preprocess(image)
        x = resize_image(original, shapes[0])
        start = time.perf_counter()
        bar = tqdm(total=s.steps * len(shapes), desc="dreaming", disable=not progress, leave=True)
        try:
            for index, shape in enumerate(shapes):
                if index:
                    x = enlarge(np.asarray(x), shape, original if s.lost_detail else None)
                tiled = needs_tiles(shape, s.tile_size)
                jitter = s.jitter if s.jitter is not None else (s.tile_size if tiled else 0)
                record.tiles.append(len(tile_slices(shape, s.tile_size)) if tiled else 1)
                bar.set_description(f"octave {index + 1}/{len(shapes)} {shape[0]}x{shape[1]}")

                def gradient_fn(x, tiled=tiled, jitter=jitter):
                    return rolled_gradient(x, self.gradient, s.tile_size if tiled else None, jitter, rng)

                def step_fn(x, g, step_size):
                    return self.gradient.step(x, g, step_size, s.normalize)

                step_hook = None if on_step is None else functools.partial(on_step, index)
                try:
                    x, losses, stopped = gradient_ascent(tf.constant(x, tf.float32), gradient_fn, step_fn,
                                                         s.steps, s.step_size, s.max_loss, bar, step_hook)
                except AscentStopped as stop:
                    record.losses.append(stop.losses)
                    record.stopped_early.append(False)
                    record.interrupted = True
                    x = np.asarray(stop.x)
                    break
                if stopped:
                    bar.update(s.steps - len(losses))
                x = np.asarray(x)
                record.losses.append(losses)
                record.stopped_early.append(stopped)
                if on_octave is not None and on_octave(index, self._to_pixels(x, image.shape)) is False:
                    record.interrupted = True
                    break
        except KeyboardInterrupt:
            record.interrupted = True
        finally:
            bar.close()
        record.seconds = time.perf_counter() - start
        return DreamResult(self._to_pixels(np.asarray(x), image.shape), record)

    def _to_pixels(self, x, shape):
        """Back to an RGB picture of the input's size (article A resizes back, too)."""
        return self.backbone.to_pixels(resize_image(x, shape[:2]))


def dream(image, model="inception_v3", layers=None, objective="sum_of_squares", border=0,
          weights="imagenet", settings=None, progress=True, **overrides):
    """Dream on ``image`` with ``model`` in one call; see ``Dreamer.dream`` and ``DreamSettings``."""
    s = settings or DreamSettings.default()
    seed = overrides.get("seed", s.seed)
    if weights is None and seed is not None:
        import keras

        keras.utils.set_random_seed(int(seed))  # the same random network for the same seed
    dreamer = Dreamer(model, default_objective(model, layers, objective, border), weights=weights)
    return dreamer.dream(image, s, progress=progress, **overrides)
