"""Where the course lives, written into every notebook and the README from ONE setting.

    python tools/install_cell.py          # write it all (solutions/, notebooks/ without a solutions/
                                          # twin, and README.md); then run tools/student.py
    python tools/install_cell.py --check  # exit 1 and name every place that is out of step

The setting is ``Homepage`` in pyproject.toml's ``[project.urls]`` (a GitHub repository address).
From it, and from the package's name, this tool generates:

- the "Open in Colab" line at the top of every notebook's title cell (the student edition in
  ``notebooks/`` on the course's main branch);
- the first code cell, the install cell: a notebook opened on its own (Colab, Kaggle, a JupyterHub,
  a folder with only that file) runs it first: when ``import dreamlib`` fails it pip-installs
  DREAMLIB_SOURCE into the running kernel's Python (the package name by default; a wheel file, a
  folder or a git+https URL work too, and the environment variable of the same name overrides it),
  then prints versions, device and what quick mode means (``dreamlib.environment.report``). When
  pip fails, its last line names the wheel route (the releases page of the home);
- the one "Stuck? ..." sentence of each notebook's exercises intro: a link to its solved notebook
  in the home's ``solutions/`` (the workshop handouts replace it: tools/handouts.py);
- README's Colab section, between COLAB_BEGIN and COLAB_END.
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clean_notebooks  # noqa: E402  (tools/ is a folder of scripts, not a package)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"  # the notebooks with solutions, from which `make student` writes notebooks/
README = ROOT / "README.md"
PYPROJECT = ROOT / "pyproject.toml"
BRANCH = "main"  # the branch the links point into
MARKER = "# Install dreamlib where it is missing"  # how the tool recognises an existing install cell
COLAB_MARK = "[Open in Colab]"                       # how it recognises the Colab line of a title cell
STUCK = re.compile(r"Stuck\?.*?after trying\.", re.S)  # the sentence it owns in the exercises intro
COLAB_BEGIN = "<!-- colab: generated from pyproject.toml [project.urls] by tools/install_cell.py -->"
COLAB_END = "<!-- end of the generated colab section -->"


def _project():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


PROJECT = _project()
NAME = PROJECT["name"]
VERSION = PROJECT["version"]
HOME = PROJECT["urls"]["Homepage"].rstrip("/")
_github = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", HOME)
if not _github:
    raise SystemExit(f"pyproject.toml: [project.urls] Homepage must be a GitHub repository address "
                     f"(https://github.com/OWNER/NAME), for Colab's links; got {HOME!r}")
GITHUB_PATH = f"{_github.group(1)}/{_github.group(2)}"
RELEASES = f"{HOME}/releases"
GIT_URL = f"git+{HOME}.git"
WHEEL = f"{NAME}-{VERSION}-py3-none-any.whl"


def colab_url(stem):
    """Colab's address of the student notebook ``stem`` on the course's home."""
    return f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/{BRANCH}/notebooks/{stem}.ipynb"


def solution_url(stem):
    """The solved notebook ``stem`` on the course's home."""
    return f"{HOME}/blob/{BRANCH}/solutions/{stem}.ipynb"


def colab_line(stem):
    return f"{COLAB_MARK}({colab_url(stem)}) - its first code cell installs {NAME} there"


def stuck_sentence(stem):
    return f"Stuck? The solved notebook is [solutions/{stem}.ipynb]({solution_url(stem)}) - look only after trying."


INSTALL_CELL = f'''\
# Install dreamlib where it is missing (Colab, Kaggle, JupyterHub, this file alone in a folder),
# then show the versions, the device and the quick/full setting this notebook runs with.
import os

# what pip installs when dreamlib is missing: the name, a .whl file, a folder or git+https://...
DREAMLIB_SOURCE = os.environ.get("DREAMLIB_SOURCE", "{NAME}")
try:
    import dreamlib
except ImportError:
    import importlib, subprocess, sys, warnings
    print(f"dreamlib is not installed here: pip install {{DREAMLIB_SOURCE}} (a minute or two) ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", DREAMLIB_SOURCE],
                         capture_output=True, text=True)
    if pip.returncode:
        print(pip.stderr[-2000:])
        warnings.filterwarnings("ignore", "To exit")  # IPython's note on SystemExit: not for us
        raise SystemExit(f"pip could not install {{DREAMLIB_SOURCE!r}}: set DREAMLIB_SOURCE above to "
                         "a dreamlib wheel (.whl) from {RELEASES} "
                         "uploaded beside this notebook, a source folder or "
                         "{GIT_URL}, and rerun")
    importlib.invalidate_caches()
    import dreamlib
from dreamlib.environment import report

report()'''


def readme_section(stems):
    """README's generated Colab section (between COLAB_BEGIN and COLAB_END)."""
    links = " · ".join(f"[{stem.split('_')[0]}]({colab_url(stem)})" for stem in stems)
    return f"""{COLAB_BEGIN}
The course's home is **{HOME}**, set once as `Homepage` in `pyproject.toml`'s
`[project.urls]`: that is where the course will be published. Until it is, the address is a
placeholder, and the links made from it (these, the *Open in Colab* line at the top of every
notebook, each notebook's *Stuck?* link to its solved notebook, the install cell's message) lead
nowhere yet. To move the course, change that one
line, then run `python tools/install_cell.py` and `python tools/student.py` (a test keeps them in step).

Open a notebook in Colab: {links}.

Its first cell installs from `DREAMLIB_SOURCE`, set at its top (or as an environment variable, e.g.
by a JupyterHub admin for everyone):

- `"{NAME}"` (the default): the package by name, from PyPI once it is published there (until then
  pip cannot find it, and the cell's last line names the two routes below);
- a wheel: `make release` writes `dist/{WHEEL}`; attach it to a release on
  {RELEASES} (or hand it out), upload it beside the notebook and set
  `DREAMLIB_SOURCE = "{WHEEL}"`;
- a folder holding this repository, or the git URL `"{GIT_URL}"`.

If pip fails, the cell prints pip's error and one line naming these routes.
{COLAB_END}"""


def course_notebooks():
    """Every notebook people edit: solutions/*.ipynb, and those in notebooks/ without a solutions/ twin
    (the others are written from their twin by `make student`, every cell included)."""
    solved = sorted(SOLUTIONS.glob("*.ipynb"))
    names = {p.name for p in solved}
    return solved + [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if p.name not in names]


def first_code_cell(nb):
    """Index of the notebook's first code cell."""
    return next(i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code")


def _lines(text):
    return text.splitlines(keepends=True)


def with_install_cell(nb):
    """The notebook with INSTALL_CELL as its first code cell (inserted, or replacing an older one)."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": _lines(INSTALL_CELL)}
    index = first_code_cell(nb)
    if "".join(nb["cells"][index]["source"]).startswith(MARKER):
        nb["cells"][index] = cell
    else:
        nb["cells"].insert(index, cell)
    return nb


def with_colab_line(nb, stem):
    """The notebook with the Colab line first in its first (title) markdown cell."""
    cell = next((c for c in nb["cells"] if c["cell_type"] == "markdown"), None)
    if cell is None:
        return nb
    text = "".join(cell["source"])
    if text.startswith(COLAB_MARK):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text[1:] if text.startswith("\n") else text
    cell["source"] = _lines(f"{colab_line(stem)}\n\n{text}")
    return nb


def with_stuck_sentence(nb, stem):
    """The notebook with its one "Stuck? ..." sentence (a line of its own) linking its solved notebook."""
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        match = STUCK.search(text) if cell["cell_type"] == "markdown" else None
        if match:
            before, after = text[:match.start()].rstrip(" "), text[match.end():].lstrip(" ")
            before += "\n" if before and not before.endswith("\n") else ""
            after = ("\n" if after and not after.startswith("\n") else "") + after
            cell["source"] = _lines(before + stuck_sentence(stem) + after)
    return nb


def generated(text, stem):
    """The notebook ``text`` with every generated part in step, or None when it is so already."""
    nb = json.loads(text)
    new = clean_notebooks.render(with_stuck_sentence(with_colab_line(with_install_cell(
        json.loads(text)), stem), stem))
    return None if json.loads(new) == nb else new


def problems(nb, stem):
    """What in the notebook ``nb`` is not as generated (lines; empty when all is)."""
    found = []
    if "".join(nb["cells"][first_code_cell(nb)]["source"]) != INSTALL_CELL:
        found.append("its first code cell is not the install cell")
    title = next((c for c in nb["cells"] if c["cell_type"] == "markdown"), {"source": ""})
    if not "".join(title["source"]).startswith(colab_line(stem) + "\n"):
        found.append("its title cell does not start with the Open in Colab line")
    sentences = [m.group(0) for c in nb["cells"] if c["cell_type"] == "markdown"
                 for m in STUCK.finditer("".join(c["source"]))]
    if sentences != [stuck_sentence(stem)] and (sentences or _has_exercises(nb)):
        found.append(f"its exercises intro needs the one line {stuck_sentence(stem)!r} (found {len(sentences)})")
    return found


def _has_exercises(nb):
    return any(c.get("metadata", {}).get("nbgrader", {}).get("solution") for c in nb["cells"])


def with_readme_section(text, stems):
    """README ``text`` with its generated Colab section in step."""
    if COLAB_BEGIN not in text:
        raise SystemExit(f"README.md has no line {COLAB_BEGIN!r}: put it (and {COLAB_END!r}) where the "
                         "Colab section goes")
    before, rest = text.split(COLAB_BEGIN, 1)
    after = rest.split(COLAB_END, 1)[1] if COLAB_END in rest else rest
    return before + readme_section(stems) + after


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only name what is out of step")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: the course's, and README.md)")
    args = parser.parse_args(argv)
    paths = args.paths or course_notebooks()
    wrong = []
    for path in paths:
        stem = path.stem
        if args.check:
            wrong += [f"{path}: {p}" for p in problems(json.loads(path.read_text(encoding="utf-8")), stem)]
        else:
            clean_notebooks.rewrite([path], lambda text: generated(text, stem))
            left = problems(json.loads(path.read_text(encoding="utf-8")), stem)
            wrong += [f"{path}: {p}" for p in left]
    if not args.paths:
        stems = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
        text = README.read_text(encoding="utf-8")
        new = with_readme_section(text, stems)
        if new != text:
            if args.check:
                wrong.append(f"{README}: its Colab section is not what pyproject.toml's [project.urls] makes")
            else:
                README.write_text(new, encoding="utf-8")
    for line in wrong:
        print(f"{line}: run python tools/install_cell.py, then tools/student.py", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
