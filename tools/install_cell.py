"""The first code cell of every notebook: install dreamlib where it is missing, then report.

    python tools/install_cell.py          # put INSTALL_CELL first in every notebook (replacing it)
                                          # (solutions/, and notebooks/ without a solutions/ twin)
    python tools/install_cell.py --check  # exit 1 and name every notebook whose first cell differs

A notebook opened on its own (Colab, Kaggle, a JupyterHub, a folder with only that file) runs
this cell first: when ``import dreamlib`` fails it pip-installs DREAMLIB_SOURCE into the running
kernel's Python (the package name by default; a wheel file, a folder or a git+https URL work too,
and the environment variable of the same name overrides it), then prints versions, device and
what quick mode means (``dreamlib.environment.report``).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clean_notebooks  # noqa: E402  (tools/ is a folder of scripts, not a package)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"  # the notebooks with solutions, from which `make student` writes notebooks/
MARKER = "# Install dreamlib where it is missing"  # how the tool recognises an existing install cell

INSTALL_CELL = '''\
# Install dreamlib where it is missing (Colab, Kaggle, JupyterHub, this file alone in a folder),
# then show the versions, the device and the quick/full setting this notebook runs with.
import os

# what pip installs when dreamlib is missing: the name, a .whl file, a folder or git+https://...
DREAMLIB_SOURCE = os.environ.get("DREAMLIB_SOURCE", "dreamlib")
try:
    import dreamlib
except ImportError:
    import importlib, subprocess, sys, warnings
    print(f"dreamlib is not installed here: pip install {DREAMLIB_SOURCE} (a minute or two) ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", DREAMLIB_SOURCE],
                         capture_output=True, text=True)
    if pip.returncode:
        print(pip.stderr[-2000:])
        warnings.filterwarnings("ignore", "To exit")  # IPython's note on SystemExit: not for us
        raise SystemExit(f"pip could not install {DREAMLIB_SOURCE!r}: set DREAMLIB_SOURCE above "
                         "to a dreamlib wheel file, source folder or git+https URL and rerun")
    importlib.invalidate_caches()
    import dreamlib
from dreamlib.environment import report

report()'''


def course_notebooks():
    """Every notebook people edit: solutions/*.ipynb, and those in notebooks/ without a solutions/ twin
    (the others are written from their twin by `make student`, first cell included)."""
    solved = sorted(SOLUTIONS.glob("*.ipynb"))
    names = {p.name for p in solved}
    return solved + [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if p.name not in names]


def first_code_cell(nb):
    """Index of the notebook's first code cell."""
    return next(i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code")


def with_install_cell(nb):
    """The notebook with INSTALL_CELL as its first code cell (inserted, or replacing an older one)."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": INSTALL_CELL.splitlines(keepends=True)}
    index = first_code_cell(nb)
    if "".join(nb["cells"][index]["source"]).startswith(MARKER):
        nb["cells"][index] = cell
    else:
        nb["cells"].insert(index, cell)
    return nb


def with_install_cell_text(text):
    """The notebook ``text`` with INSTALL_CELL first, or None when its first code cell is that already."""
    nb = json.loads(text)
    if "".join(nb["cells"][first_code_cell(nb)]["source"]) == INSTALL_CELL:
        return None
    return clean_notebooks.render(with_install_cell(nb))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only name notebooks without the cell")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    wrong = clean_notebooks.rewrite(args.paths or course_notebooks(), with_install_cell_text, args.check)
    if args.check and wrong:
        for path in wrong:
            print(f"{path}: its first code cell is not the install cell: run python tools/install_cell.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
