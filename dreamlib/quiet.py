"""No walls of log lines: TensorFlow's C++ start-up chatter kept off the terminal.

TensorFlow 2.21 writes its start-up lines (oneDNN, CUDA drivers, CPU instructions, absl's
"before InitializeLog" warning, ``E0000 ... failed call to cuInit``) from C++ straight to file
descriptor 2, and ``TF_CPP_MIN_LOG_LEVEL`` no longer hides all of them. ``filtered_stderr()``
points descriptor 2 at a pipe for the duration, drops exactly those lines and passes every other
line through; Python's own ``sys.stderr`` (messages, warnings, progress bars) bypasses the pipe
and is untouched. The command line uses it unless ``--verbose``.

A Jupyter kernel (ipykernel) forwards whatever reaches descriptor 2 into the running cell's output,
so the same lines land in every notebook. ``quiet_notebook()`` (called by each notebook's first
cell, through ``environment.report``) puts the same filter in front of that for the kernel's life.
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
    """Copy the pipe to ``out``, leaving out log lines. Each read takes what has been written so far;
    a log line comes in one write, and a partial line at the end of a read (a prompt) goes on at once."""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            kept = [line for line in chunk.splitlines(keepends=True)
                    if not is_log_line(line.decode("utf-8", "replace"))]
            if kept:
                os.write(out, b"".join(kept))


def _filter_descriptor_2():
    """Point descriptor 2 at a pipe whose reader drops log lines and passes the rest to where 2 went.

    Returns ``(original, stop)``: a copy of the old descriptor 2 and a function that puts it back;
    ``None`` when there is no descriptor 2 to filter (some IDEs).
    """
    try:
        sys.stderr.flush()
        original = os.dup(2)
    except (OSError, AttributeError, ValueError):
        return None
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    reader = threading.Thread(target=_forward, args=(read_end, original), daemon=True)
    reader.start()

    def stop():
        os.dup2(original, 2)   # closes the pipe's last write end: the reader sees its end and stops
        reader.join(timeout=5)
        os.close(original)

    return original, stop


def _descriptor(stream):
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # pytest's capture, a notebook's stream
        return None


@contextmanager
def filtered_stderr():
    """Within the block, TensorFlow's C++ log lines written to descriptor 2 are dropped; others pass."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # what it still hides, it hides at the source
    python_stderr = sys.stderr
    redirected = _filter_descriptor_2()
    if redirected is None:
        yield
        return
    original, stop = redirected
    if _descriptor(python_stderr) == 2:  # Python's messages go straight to the terminal, not the pipe
        sys.stderr = io.TextIOWrapper(io.FileIO(os.dup(original), "w"), encoding="utf-8",
                                      errors="backslashreplace", write_through=True)
    try:
        yield
    finally:
        if sys.stderr is not python_stderr:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        stop()


def in_jupyter_kernel():
    """True inside an IPython kernel, whose ``sys.stderr`` sends text to the notebook."""
    return type(sys.stderr).__module__.startswith("ipykernel")


_notebook_filter = []


def quiet_notebook():
    """From now on, TensorFlow's C++ log lines stay out of this notebook's cell outputs.

    Call it before TensorFlow is imported (each notebook's first cell does, via
    ``environment.report``): its start-up lines come as the library loads. Outside a Jupyter kernel,
    or when already done, it does nothing.
    """
    if _notebook_filter or not in_jupyter_kernel():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    redirected = _filter_descriptor_2()
    if redirected is not None:
        _notebook_filter.append(redirected)
