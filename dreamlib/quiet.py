"""No walls of log lines: TensorFlow's C++ start-up chatter kept off the terminal.

TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, CPU instructions, absl's
"before InitializeLog" warning, ``E0000 ... failed call to cuInit``) from C++ straight to file
descriptor 2, and ``TF_CPP_MIN_LOG_LEVEL`` no longer hides all of them. ``filtered_stderr()``
points descriptor 2 at a pipe for the duration, drops exactly those lines and passes every other
line through; Python's own ``sys.stderr`` (messages, warnings, progress bars) bypasses the pipe
and is untouched. The command line uses it unless ``--verbose``.
"""

import io
import os
import re
import sys
import threading
from contextlib import contextmanager

TF_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] "                   # absl/glog: I0000 00:00:...
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .* rebuild TensorFlow)")     # cpu_feature_guard's 2nd line


def is_log_line(line):
    """True for one of TensorFlow's or absl's log lines (``line`` without its newline is fine too)."""
    return bool(TF_LOG_LINE.match(line))


def _forward(read_end, out):
    with os.fdopen(read_end, "rb") as pipe:
        for line in pipe:
            if not is_log_line(line.decode("utf-8", "replace")):
                os.write(out, line)


def _descriptor(stream):
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # pytest's capture, a notebook's stream
        return None


@contextmanager
def filtered_stderr():
    """Within the block, TensorFlow's C++ log lines written to descriptor 2 are dropped; others pass."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # what it still hides, it hides at the source
    try:
        sys.stderr.flush()
        original = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no real descriptor 2 (some IDEs): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    python_stderr = sys.stderr
    if _descriptor(python_stderr) == 2:  # Python's messages go straight to the terminal, not the pipe
        sys.stderr = io.TextIOWrapper(io.FileIO(os.dup(original), "w"), encoding="utf-8",
                                      errors="backslashreplace", write_through=True)
    reader = threading.Thread(target=_forward, args=(read_end, original), daemon=True)
    reader.start()
    try:
        yield
    finally:
        if sys.stderr is not python_stderr:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(original, 2)   # closes the pipe's last write end: the reader sees its end and stops
        reader.join(timeout=5)
        os.close(original)
