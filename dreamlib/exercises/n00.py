"""Notebook 00's exercises: questions about what runs where (only each answer's SHA-256 is kept).

1. With no internet and an empty Keras cache, which network does a dream without ``--model`` use?
2. There, how many training pictures does ``data.load_fashion_mnist(subset=True)`` return?
3. ``steps = pick(quick=10, full=100)`` ran under ``DREAMLIB_QUICK=1``; the variable is then set to 0
   and ``steps`` printed without rerunning that cell: what is printed?
"""

import re

from dreamlib.exercises.core import Question


def model_name(answer):
    """A model name however written: "mobilenet_v2", "MobileNetV2", "mobilenet-v2" are the same."""
    return re.sub(r"[^a-z0-9]", "", str(answer).lower())


def whole_number(answer):
    """A count however written: 6000, "6,000", "6_000", 6000.0 are the same; other text as it is."""
    text = str(answer).strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return text.lower()
    return str(int(value)) if value.is_integer() else repr(value)


EXERCISES = [
    Question(id="00_ex1", name="answer_1", normalize=model_name,
             sha256="1d8c4244b4fd616e2e24ba7c5ef2819f18b39d7fe47429b1f18b05737275dda0",
             hint="section 4 and the cell that calls models.choose_default_model: where does a dream go "
                  "when InceptionV3's weights can be neither found nor downloaded?"),
    Question(id="00_ex2", name="answer_2", normalize=whole_number,
             sha256="8d284220975da66c6cba4a32aaedfa0b897187d86ed9f7a2419c9bd10a103505",
             hint="section 5, 'The data for notebook 06': what travels inside dreamlib, and how many of "
                  "those pictures are for training?"),
    Question(id="00_ex3", name="answer_3", normalize=whole_number,
             sha256="4a44dc15364204a80fe80e9039455cc1608281820fe2b24f1e5233ade6af1dd5",
             hint="pick reads DREAMLIB_QUICK when it is called: when was steps computed, and has that "
                  "line run again since?"),
]
