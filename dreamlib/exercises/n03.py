"""Notebook 03's exercises: the octave loop with lost detail, and what to ask of octave_shapes."""

from dreamlib.exercises.core import Implementation, Question, hash_answer


def resize(x, shape):
    """The notebook's resize, handed to the learner: bicubic, antialiased when shrinking."""
    from dreamlib import octaves

    return octaves.resize(x, shape)


def run_octave(x):
    """A stand-in for an octave's ascent steps: changes the picture in a way that depends on it."""
    import tensorflow as tf

    return x + 0.2 * tf.tanh(3.0 * x) + 0.05 * tf.roll(x, 1, axis=1)


def _octave_inputs(rng):
    """(original, shapes, run_octave, resize): a small picture and 2-4 octaves, smallest first."""
    import tensorflow as tf

    from dreamlib import octaves

    height, width = (int(n) for n in rng.integers(24, 41, size=2))
    original = tf.constant(rng.uniform(-1, 1, (height, width, 3)), tf.float32)
    count = int(rng.integers(2, 5))
    scale = float(rng.choice([1.3, 1.4, 1.5]))
    layout = count if rng.random() < 0.7 else list(range(1 - count, 2))   # D's, or B's (one above 0)
    return original, octaves.octave_shapes((height, width), layout, scale), run_octave, resize


def _reference_octaves(original, shapes, run_octave, resize):
    """dreamlib's octave loop: shrink, dream, enlarge with the lost detail, dream, ... smallest first."""
    from dreamlib import octaves

    shrunk = resize(original, shapes[0])
    x = shrunk
    for index, shape in enumerate(shapes):
        if index:
            same_size = resize(original, shape)
            x = octaves.enlarge(x, shape, shrunk, same_size)
            shrunk = same_size
        x = run_octave(x)
    return x


def _exponents(answer):
    """A list or range of exponents as text, "[-3, -2, -1, 0]"; anything else as it prints."""
    try:
        return str(sorted(int(n) for n in answer))   # octave_shapes sorts them too
    except (TypeError, ValueError):
        return repr(answer)


KERASIO_FIELDS = ("steps", "step_size", "octaves", "octave_scale", "max_loss", "lost_detail")


def _settings(answer):
    """The six fields of keras.io's recipe in a DreamSettings, as numbers; anything else as it prints."""
    try:
        return str([float(getattr(answer, name)) for name in KERASIO_FIELDS])
    except (AttributeError, TypeError, ValueError):
        return repr(answer)


EXERCISES = [
    Implementation(
        id="03_ex1",
        name="dream_octaves",
        reference=_reference_octaves,
        inputs=_octave_inputs,
        outputs="dream",
        rtol=1e-4,
        hint="the exercise's formula, smallest octave first: enlarge the dream, add what the original "
             "lost by its trip through the previous octave's size, then run the octave.",
        forbidden=("dreamlib.dream", "dreamlib.octaves", "dreamlib.render"),
        trials=3,
    ),
    Question(
        id="03_ex2",
        name="answer_2",
        sha256=hash_answer("[-3, -2, -1, 0]"),
        normalize=_exponents,
        hint="n = 0 is the original size; smaller octaves have negative n.",
    ),
    Question(
        id="03_ex4",
        name="answer_4",
        sha256=hash_answer("[20.0, 0.01, 3.0, 1.4, 15.0, 1.0]"),
        normalize=_settings,
        hint="the exercise names six values; DreamSettings takes each one as a keyword.",
    ),
]
