"""Names of the old engine that notebooks on main still use: thin wrappers on ``dreamlib.render``.

Issue 18 replaced the old engine (``LossGradient.step``/``ascend``, ``gradient_ascent``,
``ascend_in_chunks``, ``tiled_gradient``, ``rolled_gradient``, ``random_roll``, ``make_step``) by
the one render loop. The lessons are being rewritten to write their method by hand (issue 18
§2); until the last notebook stops naming these, they stay here, each a few lines on top of the
render loop (no second loop), and ``ascent``, ``tiles`` and ``visualize`` re-export them.
Delete this module and those re-exports once ``grep`` finds none of ``LEGACY`` in solutions/.
New code must not use them.
"""

import numpy as np
import tensorflow as tf

LEGACY = ("gradient_ascent", "ascend_in_chunks", "tiled_gradient", "rolled_gradient", "random_roll", "make_step",
          "LossGradient.step", "LossGradient.tracing_count", "LossGradient._loss_and_gradient",
          "LossGradient._apply_step", "LossGradient._ascend")


class OldSteps:
    """``LossGradient``'s old entry points: one normalised step, and the count of its traces."""

    def step(self, x, gradient, step_size, normalize="mean_abs"):
        """One ascent step: normalise the gradient, move along it, clip to valid input."""
        from dreamlib.models import input_range
        from dreamlib.ascent import normalized_step

        rule = normalized_step(normalize, *input_range(self.backbone.spec))
        return rule(tf.convert_to_tensor(x, tf.float32), gradient, (), {"step_size": tf.constant(step_size, tf.float32)})[0]

    def tracing_count(self):
        """How many times a compiled function was traced, at most (1 after any number of image sizes)."""
        counts = [f.experimental_get_tracing_count() for f in (self.whole, self.tiled)]
        return max(counts + [loop.tracing_count() for loop in self.__dict__.get("loops", {}).values()])

    def _loss_and_gradient(self, x):
        return self.loss_and_gradient(x)

    def _apply_step(self, x, gradient, step_size, normalize):
        return self.step(x, gradient, step_size, normalize)

    def _ascend(self, x, steps, step_size, max_loss=None, normalize="mean_abs", tile_size=0, margin=0):
        from dreamlib.render import dream_knobs, dream_loop

        run = dream_loop(self, normalize, 0).run(x, steps, dream_knobs(x.shape[:2], step_size, 0, tile_size, margin),
                                                 max_loss=max_loss)
        return run.params, run.losses


def gradient_ascent(x, gradient_fn, step_fn, steps, step_size, max_loss=None, progress=None, on_step=None):
    """Up to ``steps`` steps with any ``gradient_fn(x) -> (loss, gradient)`` and ``step_fn(x, g,
    step_size)``, run eagerly on the render loop: (x, losses, stopped_early)."""
    from dreamlib.render import Loop

    def gradient(seen, picture, knobs):
        loss, g = gradient_fn(seen)
        return tf.constant(loss, tf.float32), g, None

    def rule(x, g, state, knobs):
        return step_fn(x, g, step_size), state

    rule.start = lambda params: ()
    run = Loop(gradient, rule, compile=False).run(x, steps, {}, max_loss=max_loss, progress=progress,
                                                   on_step=on_step)
    return run.params, run.losses, run.stopped_early


def ascend_in_chunks(*args, **kwargs):
    """The chunk runner is ``dreamlib.render.Loop.run``."""
    from dreamlib.render import Loop

    return Loop.run(*args, **kwargs)


def tiled_gradient(x, gradient_fn, tile_size, margin=0, area_power=0.0):
    """(loss, gradient) of image ``x`` computed tile by tile (tiles of at most ``tile_size``)
    with ``margin`` pixels of context around each; a ``LossGradient`` runs its compiled tiles."""
    from dreamlib.tiles import gradient_by_tiles, needs_tiles, tile_grid

    x = tf.convert_to_tensor(x, tf.float32)
    if hasattr(gradient_fn, "tiled"):
        return gradient_fn(x, tile_size or 0, margin)
    if not needs_tiles(x.shape[:2], tile_size):
        return gradient_fn(x)
    return gradient_by_tiles(x, gradient_fn, *tile_grid(x.shape[:2], tile_size), tf.constant(margin, tf.int32),
                             area_power)


def random_roll(x, max_shift, rng):
    """Roll image ``x`` by a random shift (wrapping around); returns (rolled, shift)."""
    from dreamlib.tiles import random_shift

    shift = random_shift(max_shift, rng)
    return tf.roll(x, shift=shift, axis=[0, 1]), shift


def rolled_gradient(x, gradient_fn, tile_size=None, max_shift=0, rng=None, margin=0):
    """Gradient of ``x`` after a random roll of up to ``max_shift`` (rolled back), tiled if asked."""
    rng = rng if rng is not None else np.random.default_rng()
    rolled, (dy, dx) = random_roll(tf.convert_to_tensor(x, tf.float32), max_shift, rng)
    loss, gradient = tiled_gradient(rolled, gradient_fn, tile_size, margin) if tile_size else gradient_fn(rolled)
    return loss, tf.roll(gradient, shift=(-dy, -dx), axis=[0, 1])


def make_step(backbone, objective, image, transform, optimizer, rng):
    """One visualisation step (the old interface): now one step of ``visualize``'s render loop,
    with Adam's state kept here; ``transform`` and ``rng`` as before, ``optimizer`` unused."""
    from dreamlib.render import Loop, adam
    from dreamlib.visualize import compiled_objective, visualize_gradient

    loop = Loop(visualize_gradient(compiled_objective(backbone, objective)), adam(),
                transform=lambda pictures, r, knobs: transform(pictures, r), parameterize=image.render, rng=rng,
                compile=False)
    state = [None]
    rate = {"learning_rate": tf.constant(float(optimizer.learning_rate), tf.float32)}

    def step():
        run = loop.run(image.variable, 1, rate, state=state[0])
        image.variable.assign(run.params)
        state[0] = run.state
        return run.losses[0]

    return step
