"""What leaves the repository works on its own: the wheel and sdist, and one notebook alone in a folder.

Marked ``dist`` (run by ``make dist-tests``, which ``make test`` calls; ``pytest tests`` skips them):
they build the package (about 10 s) and run a notebook in a fresh environment (about a minute).
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.dist

ROOT = Path(__file__).resolve().parent.parent
# The lone notebook: 02 is the quickest notebook that dreams (on a bundled sample, so the wheel must
# carry the samples) and walks models, objectives, ascent and dream: a short run through most of dreamlib.
LONE_NOTEBOOK = ROOT / "notebooks" / "02_vgg19_two_layer_dream.ipynb"


def _clean_env(**extra):
    """This environment without anything that would let a child find dreamlib's source folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel, built by ``python -m build`` from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    start = time.perf_counter()
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    print(f"built in {time.perf_counter() - start:.1f} s:",
          ", ".join(f"{p.name} {p.stat().st_size / 1e3:.0f} kB" for p in sorted(out.iterdir())))
    return next(out.glob("*.whl")), next(out.glob("*.tar.gz"))


def _package_files():
    """Every file under dreamlib/ that is not Python bytecode: the package's code and data."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "dreamlib").rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def test_wheel_carries_the_package_and_its_data(dist):
    wheel, _ = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in _package_files() if f not in names]
    assert not missing, f"the wheel lacks {missing}: add them to [tool.setuptools.package-data]"
    assert any(n.startswith("dreamlib/samples/") and n.endswith(".jpg") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_sdist_carries_the_course(dist):
    _, sdist = dist
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    wanted = _package_files() + ["LICENSE", "README.md", "pyproject.toml", "Makefile"]
    wanted += [f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")]
    assert not [f for f in wanted if f not in names]


def test_metadata_is_complete_and_twine_accepts_it(dist):
    wheel, sdist = dist
    meta = zipfile.ZipFile(wheel).read(f"dreamlib-{wheel.name.split('-')[1]}.dist-info/METADATA").decode()
    for field in ("Author: ", "License-Expression: MIT", "License-File: LICENSE", "Classifier: ",
                  "Requires-Python: >=3.10", "Description-Content-Type: text/markdown", "Keywords: ",
                  "Project-URL: Homepage, https://github.com/"):   # the course's home: [project.urls]
        assert field in meta, f"METADATA lacks {field!r}"
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.count("PASSED") == 2, check.stdout + check.stderr


def fresh_venv(path):
    """A venv with every package of this one except dreamlib, linked (not copied): seconds, not minutes.

    pip in it sees the third-party packages as installed, so installing dreamlib there adds dreamlib only.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    here = Path(sysconfig.get_paths()["purelib"])
    there = Path(subprocess.run([str(path / "bin" / "python"), "-c",
                                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                capture_output=True, text=True, check=True).stdout.strip())
    for entry in here.iterdir():
        if "dreamlib" not in entry.name.lower() and not (there / entry.name).exists():
            (there / entry.name).symlink_to(entry)
    python = path / "bin" / "python"
    # the notebook's kernel is this venv's own Python, whatever kernels the machine has elsewhere
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(path), "--name", "python3"],
                   check=True, capture_output=True, timeout=120, env=_clean_env())
    return python


def test_a_lone_notebook_installs_dreamlib_from_the_wheel_and_runs(dist, tmp_path):
    wheel, _ = dist
    python = fresh_venv(tmp_path / "venv")
    env = _clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheel.parent), JUPYTER_PREFER_ENV_PATH="1",
                     DREAMLIB_QUICK="1", DREAMLIB_ALLOW_RANDOM_WEIGHTS="1", TF_CPP_MIN_LOG_LEVEL="2",
                     PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    no_dreamlib = subprocess.run([str(python), "-c", "import dreamlib"], cwd=tmp_path, env=env,
                                 capture_output=True, text=True)
    assert no_dreamlib.returncode != 0, "the fresh environment must start without dreamlib"

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(LONE_NOTEBOOK, alone)
    start = time.perf_counter()
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute",
                          "--ExecutePreprocessor.timeout=600", "--output", "ran.ipynb",
                          str(alone / LONE_NOTEBOOK.name)], cwd=alone, env=env,
                         capture_output=True, text=True, timeout=900)
    print(f"{LONE_NOTEBOOK.name} alone, from the wheel: {time.perf_counter() - start:.1f} s")
    assert run.returncode == 0, run.stderr[-4000:]

    cells = json.loads((alone / "ran.ipynb").read_text())["cells"]
    first = next(c for c in cells if c["cell_type"] == "code")
    said = "".join("".join(o.get("text", "")) for o in first["outputs"])
    assert "dreamlib is not installed here: pip install dreamlib" in said
    assert f"Python is {python}" in said, said          # the kernel was the fresh venv's Python
    assert "dreamlib from " + str(tmp_path / "venv") in said  # and dreamlib came from the wheel
    assert "Settings: QUICK" in said
    installed = subprocess.run([str(python), "-m", "pip", "show", "-f", "dreamlib"], env=env,
                               capture_output=True, text=True)
    assert "samples/chelsea.jpg" in installed.stdout


def test_install_cell_takes_a_wheel_file_as_its_source(dist, tmp_path):
    """DREAMLIB_SOURCE may name a wheel file (a USB stick, a course server) instead of the package name."""
    wheel, _ = dist
    python = fresh_venv(tmp_path / "venv")
    spec = importlib.util.spec_from_file_location("install_cell", ROOT / "tools" / "install_cell.py")
    install_cell = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install_cell)
    env = _clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path), DREAMLIB_SOURCE=str(wheel),
                     DREAMLIB_QUICK="0", TF_CPP_MIN_LOG_LEVEL="2")
    run = subprocess.run([str(python), "-c", install_cell.INSTALL_CELL], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert f"pip install {wheel}" in run.stdout and "Settings: FULL" in run.stdout
    assert "dreamlib from " + str(tmp_path / "venv") in run.stdout


def test_make_release_checks_the_home_builds_and_runs_twine_check():
    """`make release` readies the upload: the commands it runs (make -n; the wheel itself is tested above)."""
    plan = subprocess.run(["make", "-n", "release", "STAMP="], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    steps = plan.stdout.splitlines()
    order = [next(i for i, s in enumerate(steps) if needle in s) for needle in
             ("tools/install_cell.py --check", "-m build --outdir dist", "-m twine check --strict dist/*")]
    assert order == sorted(order)
