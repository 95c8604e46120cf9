"""Where a notebook runs: versions, the device, and what the quick/full setting means.

Every notebook's first cell installs dreamlib where it is missing (Colab, Kaggle, a JupyterHub,
a folder holding only that notebook) and then calls ``report()``, so a learner sees at once what
they run on and how long the notebook will take.
"""

import os
import platform
import sys
from pathlib import Path

from dreamlib import quiet, settings


def _gpu_names(tf):
    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (RuntimeError, ValueError):
            details = {}
        names.append(details.get("device_name") or gpu.name)
    return names


def describe():
    """The facts ``report`` prints, as a dict (versions, dreamlib's folder, GPUs, CPU cores, switches)."""
    import keras
    import numpy as np
    import tensorflow as tf

    import dreamlib

    return {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "dreamlib": dreamlib.__version__,
        "dreamlib_folder": str(Path(dreamlib.__file__).resolve().parent),
        "gpus": _gpu_names(tf),
        "cpu_cores": os.cpu_count(),
        "quick": settings.is_quick(),
        "random_weights_allowed": settings.random_weights_allowed(),
    }


def report_lines(facts):
    """What the first cell of a notebook prints for ``facts`` (a dict from ``describe``)."""
    lines = [
        f"dreamlib {facts['dreamlib']} | Python {facts['python']} | TensorFlow {facts['tensorflow']} "
        f"| Keras {facts['keras']} | NumPy {facts['numpy']}",
        f"  dreamlib from {facts['dreamlib_folder']}",
        f"  Python is {facts['python_executable']}",
    ]
    if facts["gpus"]:
        lines.append(f"Device: GPU ({', '.join(facts['gpus'])}): full settings take minutes.")
    else:
        lines.append(f"Device: CPU only ({facts['cpu_cores']} cores, no GPU): quick settings suit it "
                     "(Colab: Runtime > Change runtime type > GPU).")
    if facts["quick"]:
        lines.append("Settings: QUICK (DREAMLIB_QUICK=1): small pictures, few steps, a couple of "
                     "minutes a notebook on a CPU.")
        lines.append("  For the source articles' full settings: %env DREAMLIB_QUICK=0, then Run All.")
    else:
        lines.append("Settings: FULL: the source articles' picture sizes and steps (best on a GPU; "
                     "up to an hour a notebook on a CPU).")
        lines.append("  For quick settings (small pictures, few steps): %env DREAMLIB_QUICK=1, "
                     "then Run All.")
    if facts["random_weights_allowed"]:
        lines.append("Random-weight stand-in allowed (DREAMLIB_ALLOW_RANDOM_WEIGHTS=1): pictures "
                     "from an untrained network say so.")
    return lines


def report():
    """Print the versions, the device and what the quick/full setting means.

    In a notebook it first keeps TensorFlow's C++ log lines out of the cells (``quiet``).
    """
    quiet.quiet_notebook()
    print("\n".join(report_lines(describe())))
