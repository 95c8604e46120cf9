"""The render loop: the one optimisation loop every technique in dreamlib runs on.

One step, the same for a DeepDream and a feature visualisation (Lucid's ``render_vis``):

    parameters --parameterize--> picture --transform(rng)--> what the network sees
        --network + objective--> loss, and its gradient (whole picture or seamless tiles)
        --back through the transforms and the parameterisation--> gradient of the parameters
        --step rule--> new parameters

The parts live where a lesson looks for them: parameterisations in ``dreamlib.parameterize``,
transforms (the roll too) in ``dreamlib.transforms``, the network's gradient (whole or tiled) and
DeepDream's normalised step in ``dreamlib.ascent``, Adam here. A DeepDream is pixels (the
network's input itself), a random roll and the normalised step, inside an octave schedule
(``dreamlib.dream``); ``visualize`` is a Fourier image, Lucid's transforms and Adam.

The transforms draw from a ``tf.random.Generator``: a roll is an ordinary transform, and the
gradient comes back through it by automatic differentiation (no hand roll-back). Several steps
run in one compiled call (``Loop.steps``); ``Loop.run`` calls it in chunks that grow while they
are quick, and ends early, with the result so far marked ``interrupted``, when a callback
returns False (a Stop button) or on Ctrl-C.
"""

import functools
import time
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from dreamlib.ascent import LossGradient, normalize_gradient, normalized_step  # noqa: F401 (the loop's parts)
from dreamlib.errors import DreamlibError
from dreamlib.models import input_range
from dreamlib.tiles import needs_tiles, tile_grid
from dreamlib.transforms import roll

STOP_WITHIN_SECONDS = 0.5   # a compiled chunk of steps grows until it takes about this long


# --- step rules: rule(params, gradient, state, knobs) -> (params, state); DeepDream's is
# ``dreamlib.ascent.normalized_step`` ----------------------------------------------------------

def adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Adam, uphill: Keras' ``Adam`` minimising -loss, written out. ``knobs["learning_rate"]``.

    The state is (first moment, second moment, steps taken).
    """
    def rule(params, gradient, state, knobs):
        m, v, t = state
        t = t + 1.0
        m = m + (gradient - m) * (1 - beta_1)
        v = v + (tf.square(gradient) - v) * (1 - beta_2)
        rate = knobs["learning_rate"] * tf.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return params + rate * m / (tf.sqrt(v) + epsilon), (m, v, t)

    rule.start = lambda params: (tf.zeros_like(params), tf.zeros_like(params), tf.constant(0.0))
    return rule


# --- the loop ------------------------------------------------------------------------------------

def generator(seed=None):
    """The random generator the transforms draw from: seeded, or from fresh entropy when ``seed`` is None."""
    return tf.random.Generator.from_seed(np.random.SeedSequence().entropy % 2**63 if seed is None else int(seed))


def whole_or_tiled(lossgrad):
    """The dream's gradient part: tiles when the knobs carry ``rows``, ``cols`` and ``margin``."""
    def gradient(seen, picture, knobs):
        if "rows" in knobs:
            loss, g = lossgrad.tiled_loss_and_gradient(seen, knobs["rows"], knobs["cols"], knobs["margin"],
                                                       knobs["batch"])
        else:
            loss, g = lossgrad.loss_and_gradient(seen)
        return loss, g, None

    return gradient


class Run(NamedTuple):
    """What ``Loop.run`` made: the parameters, the step rule's state and one loss per step taken."""

    params: tf.Tensor
    state: tuple
    losses: list
    stopped_early: bool = False   # a loss passed max_loss: the loop ended before that step
    interrupted: bool = False     # a callback returned False (Stop) or Ctrl-C: the result so far
    by_keyboard: bool = False     # the interruption was Ctrl-C


class Loop:
    """parameterize -> transform -> gradient -> step rule, several steps per compiled call.

    ``gradient(seen, picture, knobs) -> (loss, gradient wrt seen, gradient wrt picture or None)``;
    ``rule(params, g, state, knobs) -> (params, state)`` with ``rule.start(params)`` the first
    state; ``transform(picture, rng, knobs)`` and ``parameterize(params)`` default to nothing.
    ``knobs`` is a dict of tensors handed to every part (a step size, a roll, tile cuts): new
    values, and new picture sizes, never retrace. ``rng`` (a ``tf.random.Generator``) seeds the
    transforms; ``compile=False`` runs the same steps eagerly.
    """

    def __init__(self, gradient, rule, transform=None, parameterize=None, rng=None, compile=True):
        self.gradient, self.rule = gradient, rule
        self.transform = transform or (lambda picture, rng, knobs: picture)
        self.parameterize = parameterize or (lambda params: params)
        self.rng = rng if rng is not None else generator(0)
        self.compile = compile
        self._compiled = {}

    def step(self, params, knobs):
        """One step's (loss, gradient of the parameters)."""
        with tf.GradientTape() as tape:
            tape.watch(params)
            picture = self.parameterize(params)
            seen = self.transform(picture, self.rng, knobs)
        loss, g_seen, g_picture = self.gradient(seen, picture, knobs)
        pairs = [(t, g) for t, g in ((seen, g_seen), (picture, g_picture)) if g is not None]
        if not pairs:  # the objective does not depend on the picture
            return loss, tf.zeros_like(params)
        targets, gradients = zip(*pairs)
        return loss, tape.gradient(list(targets), params, output_gradients=list(gradients))

    def _steps(self, params, state, count, max_loss, knobs):
        """Up to ``count`` steps; a loss above ``max_loss`` (or not finite) ends them before its step."""
        losses = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        go_on = tf.constant(True)
        for i in tf.range(count):
            if not go_on:
                break
            loss, gradient = self.step(params, knobs)
            loss = tf.cast(loss, tf.float32)
            losses = losses.write(i, loss)
            go_on = tf.logical_and(tf.math.is_finite(loss), loss <= max_loss)
            if go_on:
                params, state = self.rule(params, gradient, state, knobs)
        return params, state, losses.stack()

    def steps(self, params, state, count, knobs, max_loss=None):
        """``count`` steps in one compiled call: (params, state, losses of the steps tried)."""
        args = (params, state, tf.constant(count, tf.int32),
                tf.constant(np.inf if max_loss is None else max_loss, tf.float32), knobs)
        if not self.compile:
            return self._steps(*args)
        spec = tf.nest.map_structure(lambda t: tf.TensorSpec([None] * t.shape.rank, t.dtype), args)
        key = str(spec)  # one compiled function per structure of ranks: any size runs on it
        if key not in self._compiled:
            # a partial: TensorFlow counts traces per function code, and a partial is its own key, so a
            # new loop (each visualisation has one) is traced once without a warning of "retracing"
            self._compiled[key] = tf.function(functools.partial(self._steps), input_signature=spec)
        return self._compiled[key](*args)

    def tracing_count(self):
        """How many times a compiled chunk was traced, at most (1 after any number of sizes)."""
        return max((f.experimental_get_tracing_count() for f in self._compiled.values()), default=0)

    def run(self, params, steps, knobs, state=None, max_loss=None, on_step=None, on_chunk=None, progress=None,
            max_chunk=None):
        """Up to ``steps`` steps from ``params``, in compiled chunks: a ``Run``.

        Chunks start at one step and double while a chunk takes under ``STOP_WITHIN_SECONDS``
        (never above ``max_chunk``), so few calls are made and a Stop still comes quickly.
        ``on_step(step, loss)`` is called for every step taken and ``on_chunk(params, steps_done)``
        after every chunk; either returning False ends the run after that chunk, as Ctrl-C does
        during one (the chunk under way is then dropped): ``interrupted``. A loss above
        ``max_loss`` ends it before that step: ``stopped_early``. ``progress``: a tqdm bar.
        """
        knobs = {k: tf.convert_to_tensor(v) for k, v in knobs.items()}
        params = tf.convert_to_tensor(params, tf.float32)
        max_loss = None if max_loss is None else float(np.float32(max_loss))  # compared as the loop does
        state = self.rule.start(params) if state is None else state
        losses, chunk, stopped, stop = [], 1, False, False
        try:
            while len(losses) < steps and not (stopped or stop):
                start = time.perf_counter()
                params, state, tried = self.steps(params, state, min(chunk, steps - len(losses)), knobs, max_loss)
                if time.perf_counter() - start < STOP_WITHIN_SECONDS / 2:
                    chunk = min(chunk * 2, max_chunk or steps)
                first = len(losses)
                for loss in np.asarray(tried).tolist():
                    check_finite(loss, len(losses))
                    losses.append(loss)
                    stopped = max_loss is not None and loss > max_loss
                for step, loss in enumerate(losses[first:len(losses) - stopped], first + 1):
                    if progress is not None:
                        progress.update(1)
                        progress.set_postfix(loss=f"{loss:.4g}", refresh=False)
                    stop = stop or (on_step is not None and on_step(step, loss) is False)  # none after a stop
                stop = (on_chunk is not None and on_chunk(params, len(losses)) is False) or stop
        except KeyboardInterrupt:  # during a chunk: it is dropped; after it: it is kept, with its losses
            return Run(params, state, losses, interrupted=True, by_keyboard=True)
        return Run(params, state, losses, stopped_early=stopped, interrupted=stop and not stopped)


def check_finite(loss, taken):
    """One line naming the fix when a loss is NaN or infinite (``taken``: steps before it)."""
    if np.isfinite(loss):
        return
    if not taken:
        raise DreamlibError("the loss is NaN or infinite before the first step: the network's "
                            "weights or the picture hold NaN/inf values; reload them")
    raise DreamlibError(f"the loss became NaN or infinite at step {taken + 1}: lower step_size")


def dream_loop(lossgrad, normalize="mean_abs", seed=None):
    """DeepDream's loop: pixels (the network's input), a random roll of ``knobs["jitter"]``,
    the whole or tiled gradient, the normalised step clipped to the network's input range.

    One loop per gradient and normalisation, kept with the gradient, so that dream after dream
    (and octave after octave) runs on the same compiled steps; its generator starts from ``seed``.
    """
    loops = lossgrad.__dict__.setdefault("loops", {})
    if normalize not in loops:
        low, high = input_range(lossgrad.backbone.spec)
        loops[normalize] = Loop(whole_or_tiled(lossgrad), normalized_step(normalize, low, high),
                                transform=lambda picture, rng, knobs: roll(knobs["jitter"])(picture, rng))
    loop = loops[normalize]
    loop.rng.reset_from_seed(np.random.SeedSequence().entropy % 2**63 if seed is None else int(seed))
    return loop


def dream_knobs(shape, step_size, jitter, tile_size=0, margin=0, batch=1):
    """The knobs of one octave of a dream on a picture of ``shape``: tile cuts only when it needs tiles
    (and how many windows go through the network at once)."""
    knobs = {"step_size": np.float32(step_size), "jitter": np.int32(jitter)}
    if needs_tiles(shape, tile_size):
        rows, cols = tile_grid(shape, tile_size)
        knobs.update(rows=rows, cols=cols, margin=np.int32(margin), batch=np.int32(batch))
    return knobs
