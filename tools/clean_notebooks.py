"""Strip outputs, execution counts and machine-specific metadata from the course notebooks.

    python tools/clean_notebooks.py          # clean notebooks/*.ipynb and solutions/*.ipynb in place
    python tools/clean_notebooks.py --check  # exit 1 and name every notebook that is not clean
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = (ROOT / "notebooks", ROOT / "solutions")  # the student edition, and the notebooks people edit
# tags, collapsed cells, and nbgrader's exercise cells (with the read-only flags it sets on them)
KEEP_CELL_METADATA = ("tags", "jupyter", "nbgrader", "deletable", "editable")
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def cleaned(nb):
    """The notebook dict with outputs, counts and volatile metadata removed."""
    nb = json.loads(json.dumps(nb))
    nb["metadata"] = METADATA
    for cell in nb.get("cells", []):
        cell.pop("id", None)
        keep = {k: v for k, v in cell.get("metadata", {}).items() if k in KEEP_CELL_METADATA}
        cell["metadata"] = keep
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb["nbformat"], nb["nbformat_minor"] = 4, 4
    return nb


def render(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def rewrite(paths, fixed, check=False):
    """The notebooks among ``paths`` whose text ``fixed(text)`` changes (``None``: leave it as it is);
    each is rewritten with that text unless ``check``."""
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new_text = fixed(text)
        if new_text is not None and new_text != text:
            changed.append(path)
            if not check:
                path.write_text(new_text, encoding="utf-8")
    return changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not clean")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or sorted(p for folder in FOLDERS for p in folder.glob("*.ipynb"))
    dirty = rewrite(paths, lambda text: render(cleaned(json.loads(text))), args.check)
    if args.check and dirty:
        for path in dirty:
            print(f"{path} is not clean: run `make clean-notebooks`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
