"""Names of the old engine that notebooks on main still use: thin wrappers on ``dreamlib.render``.

Issue 18 replaced the old engine (``LossGradient.step``/``ascend``, ``gradient_ascent``,
``ascend_in_chunks``, ``tiled_gradient``, ``rolled_gradient``, ``random_roll``, ``make_step``) by
the one render loop. The lessons are being rewritten to write their method by hand (issue 18
§2); until the last notebook stops naming these (notebook 04: ``random_roll``,
``gradient.tracing_count()``; notebook 05: ``random_roll``), they stay here, each a few lines on
top of the render loop, and ``ascent`` and ``tiles`` re-export them. Delete this module and those
re-exports once ``grep`` finds none of ``LEGACY`` in solutions/. New code must not use them.
"""

import tensorflow as tf

LEGACY = ("random_roll", "LossGradient.tracing_count")


class OldSteps:
    """``LossGradient``'s old entry point still named in notebook 04."""

    def tracing_count(self):
        """How many times a compiled function was traced, at most (1 after any number of image sizes)."""
        counts = [f.experimental_get_tracing_count() for f in (self.whole, self.tiled)]
        return max(counts + [loop.tracing_count() for loop in self.__dict__.get("loops", {}).values()])


def random_roll(x, max_shift, rng):
    """Roll image ``x`` by a random shift (wrapping around); returns (rolled, shift)."""
    from dreamlib.tiles import random_shift

    shift = random_shift(max_shift, rng)
    return tf.roll(x, shift=shift, axis=[0, 1]), shift
