"""Write the student edition of the course notebooks with nbgrader: no solutions, stubs to fill in.

    python tools/student.py            # solutions/*.ipynb -> notebooks/ (what `make student` runs)
    python tools/student.py --check    # exit 1 if notebooks/ is not what solutions/ generates
    python tools/student.py --adopt notebooks/03_inception_octaves.ipynb
                                       # carry edits made to a student notebook back into solutions/

The notebooks in solutions/ are the ones people edit: each exercise's answer cell holds its solution
between `### BEGIN SOLUTION` and `### END SOLUTION`. nbgrader's `generate_assignment`, configured by
nbgrader_config.py, turns each into an assignment of the same name in course/ (source/ and release/
folders and the gradebook that `make grade` and the formgrader use) and the release, cleaned, is the
student edition in notebooks/.
"""

import argparse
import filecmp
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import clean_notebooks  # noqa: E402  (tools/ is a folder of scripts, not a package)

SOURCE = ROOT / "solutions"
STUDENT = ROOT / "notebooks"
COURSE = ROOT / "course"
CONFIG = ROOT / "nbgrader_config.py"


def nbgrader_cells(path):
    """The cells of a notebook that carry nbgrader metadata (answers, checks, tests, locked cells)."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if "nbgrader" in c.get("metadata", {})]


def exercise_notebooks(source=SOURCE):
    """The source notebooks that have exercises: each becomes one nbgrader assignment."""
    return [p for p in sorted(Path(source).glob("*.ipynb")) if nbgrader_cells(p)]


def nbgrader_api(course=COURSE):
    """nbgrader's API with this course's nbgrader_config.py, working in the folder ``course``."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs `alembic` (its database tool) by name: find it beside this Python, as in a venv
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")

    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    config.CourseDirectory.root = str(Path(course).resolve())
    return NbGraderAPI(config=config)


def run(result, what):
    """Stop with nbgrader's own error message when one of its steps failed."""
    if not result["success"]:
        log = (result.get("log") or "") + (result.get("error") or "")
        errors = [line for line in log.splitlines() if "[ERROR]" in line or "Error" in line]
        raise SystemExit(f"nbgrader could not {what}: {errors[-1] if errors else log.strip()[-500:]}")


def generate(source=SOURCE, course=COURSE, out=None):
    """Run nbgrader generate_assignment for every exercise notebook; copy the cleaned releases to ``out``.

    Returns the paths written to ``out`` (none when ``out`` is None: only course/ is updated).
    """
    api = nbgrader_api(course)
    written = []
    for path in exercise_notebooks(source):
        assignment = path.stem
        folder = Path(course) / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / path.name)
        run(api.generate_assignment(assignment, force=True, create=True), f"release {path.name}")
        if out is not None:
            release = Path(course) / "release" / assignment / path.name
            notebook = clean_notebooks.cleaned(json.loads(release.read_text(encoding="utf-8")))
            target = Path(out) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(clean_notebooks.render(notebook), encoding="utf-8")
            written.append(target)
    return written


def adopt(edited, source):
    """The source notebook with the edits made to its student edition ``edited`` carried over.

    Every cell is taken from ``edited`` (so added, removed, moved and reworded cells come along),
    except the answer cells and autograded test cells: those keep their solution and hidden tests
    from ``source``. Cells nbgrader knows get back their source metadata (no release checksums).
    """
    edited_nb = json.loads(Path(edited).read_text(encoding="utf-8"))
    source_nb = json.loads(Path(source).read_text(encoding="utf-8"))
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source_nb["cells"] if "nbgrader" in c["metadata"]}
    cells, dropped = [], []
    for cell in edited_nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        original = by_id.get(grade_id)
        if original is None:
            cells.append(cell)
        elif original["metadata"]["nbgrader"].get("solution") or original["metadata"]["nbgrader"].get("grade"):
            cells.append(original)
        else:
            cells.append({**cell, "metadata": original["metadata"]})
    source_nb["cells"] = cells
    return clean_notebooks.cleaned(source_nb)


def out_of_date(source=SOURCE, student=STUDENT):
    """The student notebooks that differ from what ``source`` generates (or are missing)."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate(source, Path(scratch) / "course", Path(scratch) / "student")
        return [student / p.name for p in fresh
                if not (student / p.name).exists() or not filecmp.cmp(p, student / p.name, shallow=False)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="notebooks with solutions (default solutions/)")
    parser.add_argument("--out", type=Path, default=STUDENT, help="where the student edition goes (default notebooks/)")
    parser.add_argument("--course", type=Path, default=COURSE, help="nbgrader's course folder (default course/)")
    parser.add_argument("--check", action="store_true", help="only report student notebooks that are out of date")
    parser.add_argument("--adopt", type=Path, nargs="+", metavar="STUDENT_NOTEBOOK",
                        help="carry edits made to these student notebooks back into their sources, then regenerate")
    args = parser.parse_args(argv)
    if args.adopt:
        for edited in args.adopt:
            source = args.source / edited.name
            if not source.exists():
                print(f"{source} does not exist: --adopt takes student notebooks of {args.source}", file=sys.stderr)
                return 2
            source.write_text(clean_notebooks.render(adopt(edited, source)), encoding="utf-8")
            print(f"{source}: took the edits of {edited} (answer cells and autograded tests kept as they were)")
    if not exercise_notebooks(args.source):
        print(f"{args.source} has no notebooks with nbgrader exercise cells", file=sys.stderr)
        return 2
    if args.check:
        stale = out_of_date(args.source, args.out)
        for path in stale:
            print(f"{path} is not the student edition of {args.source / path.name}: edit {args.source / path.name} "
                  f"(not {path}) and run `make student`; to keep edits made to {path}, first run "
                  f"`python tools/student.py --adopt {path}`")
        return 1 if stale else 0
    start = time.perf_counter()
    written = generate(args.source, args.course, args.out)
    print(f"student edition: {len(written)} notebooks written to {args.out} in {time.perf_counter() - start:.1f} s "
          f"(nbgrader course folder: {args.course})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
