"""Every notebook starts with the same install cell, and dreamlib.environment reports truthfully."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dreamlib import environment, quiet

ROOT = Path(__file__).resolve().parent.parent
# the student release (notebooks/) and, once it exists, the notebooks with solutions (solutions/)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location("install_cell", ROOT / "tools" / "install_cell.py")
install_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_is_the_install_cell(path):
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "".join(first["source"]) == install_cell.INSTALL_CELL, (
        f"{path.name}: run `python tools/install_cell.py` (then tools/clean_notebooks.py)")
    later = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for trick in ("sys.path", "../", "chdir("):
        assert trick not in later, f"{path.name} depends on files beside it ({trick!r})"


def test_install_cell_tool_inserts_then_replaces(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# t"]},
                    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": ["import dreamlib"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb))
    assert install_cell.main(["--check", str(path)]) == 1
    assert install_cell.main([str(path)]) == 0
    assert install_cell.main([str(path)]) == 0  # a second run replaces, never stacks
    cells = json.loads(path.read_text())["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "code"]
    assert "".join(cells[1]["source"]) == install_cell.INSTALL_CELL
    assert cells[2]["source"] == ["import dreamlib"]
    assert install_cell.main(["--check", str(path)]) == 0


FACTS = {"python": "3.11.7", "python_executable": "/venv/bin/python", "tensorflow": "2.21.0",
         "keras": "3.15.1", "numpy": "2.4.6", "dreamlib": "0.1.0", "dreamlib_folder": "/site/dreamlib",
         "gpus": [], "cpu_cores": 2, "quick": True, "random_weights_allowed": False}


def test_report_lines_cpu_quick():
    text = "\n".join(environment.report_lines(FACTS))
    assert "dreamlib 0.1.0 | Python 3.11.7 | TensorFlow 2.21.0 | Keras 3.15.1 | NumPy 2.4.6" in text
    assert "dreamlib from /site/dreamlib" in text and "/venv/bin/python" in text
    assert "CPU only (2 cores, no GPU)" in text and "Change runtime type" in text
    assert "QUICK" in text and "%env DREAMLIB_QUICK=0" in text
    assert "Random-weight" not in text


def test_report_lines_gpu_full_random():
    facts = dict(FACTS, gpus=["NVIDIA T4"], quick=False, random_weights_allowed=True)
    text = "\n".join(environment.report_lines(facts))
    assert "Device: GPU (NVIDIA T4)" in text and "CPU only" not in text
    assert "FULL" in text and "%env DREAMLIB_QUICK=1" in text
    assert "Random-weight stand-in allowed" in text


def test_describe_reads_this_machine(monkeypatch):
    import keras
    import numpy as np
    import tensorflow as tf

    import dreamlib

    monkeypatch.setenv("DREAMLIB_QUICK", "1")
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    facts = environment.describe()
    assert (facts["tensorflow"], facts["keras"], facts["numpy"]) == (tf.__version__, keras.__version__,
                                                                     np.__version__)
    assert facts["dreamlib"] == dreamlib.__version__
    assert Path(facts["dreamlib_folder"]) == Path(dreamlib.__file__).resolve().parent
    assert facts["python_executable"] == sys.executable and facts["cpu_cores"] == os.cpu_count()
    assert facts["quick"] is True and facts["random_weights_allowed"] is False
    assert len(facts["gpus"]) == len(tf.config.list_physical_devices("GPU"))


def test_describe_names_a_gpu(monkeypatch):
    import tensorflow as tf

    class FakeGpu:
        name = "/physical_device:GPU:0"

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [FakeGpu()])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda gpu: {"device_name": "NVIDIA T4"})
    assert environment.describe()["gpus"] == ["NVIDIA T4"]


def test_report_prints_what_describe_found(capsys, monkeypatch):
    monkeypatch.setenv("DREAMLIB_QUICK", "0")
    environment.report()
    printed = capsys.readouterr().out
    assert printed.strip().splitlines() == environment.report_lines(environment.describe())
    assert "Settings: FULL" in printed


# What a notebook's first cell runs, in a process that takes itself for a Jupyter kernel (whose
# ipykernel forwards descriptor 2 into the cell's output): TensorFlow really starts up in it.
FIRST_CELL_IN_A_KERNEL = """
import os, time
from dreamlib import environment, quiet
quiet.in_jupyter_kernel = lambda: True
environment.report()
quiet.quiet_notebook()  # the first cell run again: nothing more happens
os.write(2, b"E0000 00:00:1795954782.811764   21215 meta_optimizer.cc:967] remapper failed\\n")
os.write(2, b"a message of the learner's own\\n")
os.write(2, b"a prompt, no newline: ")
time.sleep(0.5)
"""


def test_the_first_cell_keeps_tensorflow_log_lines_out_of_the_notebook():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    run = subprocess.run([sys.executable, "-c", FIRST_CELL_IN_A_KERNEL], env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("dreamlib ") and "Device:" in run.stdout
    assert run.stderr == "a message of the learner's own\na prompt, no newline: "


def test_outside_a_kernel_quiet_notebook_leaves_stderr_alone(capfd):
    quiet.quiet_notebook()
    os.write(2, b"I0000 00:00:1795954779.263388   21215 port.cc:153] oneDNN custom operations are on\n")
    assert quiet._notebook_filter == [] and "oneDNN" in capfd.readouterr().err


def test_install_cell_names_the_fix_when_pip_fails(tmp_path):
    """Without dreamlib (python -S: no site-packages) and a source pip cannot use: one line to act on."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(DREAMLIB_SOURCE=str(tmp_path / "no-such-folder"), PIP_NO_INDEX="1")
    run = subprocess.run([sys.executable, "-S", "-c", install_cell.INSTALL_CELL], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"pip install {tmp_path / 'no-such-folder'}" in run.stdout
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("pip could not install") and "set DREAMLIB_SOURCE" in last
    assert "Traceback" not in run.stderr
