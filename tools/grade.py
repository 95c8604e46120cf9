"""Autograde a folder of submitted notebooks with nbgrader and write a score table.

    python tools/grade.py SUBMISSIONS [--course course] [--csv course/grades.csv]

SUBMISSIONS holds one folder per student (the folder's name is the student's id), each with any of
the course notebooks (01_activation_maximisation.ipynb ... 06_dcgan.ipynb; a renamed copy is
recognised by its exercise cells). Each notebook is run top to bottom by nbgrader's `autograde` with
the locked cells (checks and tests) put back as released, so points come from the course's own tests.
The table has one row per student and one column per exercise (and the total); nbgrader's gradebook
in course/ keeps every grade, for `nbgrader export` or the formgrader.
"""

import argparse
import contextlib
import csv
import os
import re
import shutil
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

import student  # noqa: E402  (tools/ is a folder of scripts, not a package)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the notebooks' kernels inherit it: no TensorFlow start-up log

EXERCISE_ID = re.compile(r"^(?P<notebook>\d\d)_ex(?P<n>\d+)_test$")


def course_notebook(path, assignments):
    """The assignment a submitted notebook belongs to: by its exercise cells, else by its file name."""
    try:
        cells = student.nbgrader_cells(path)
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
    prefixes = {c["metadata"]["nbgrader"].get("grade_id", "")[:2] for c in cells}
    by_cells = [a for a in assignments if a[:2] in prefixes]
    if len(by_cells) == 1:
        return by_cells[0]
    return path.stem if path.stem in assignments else None


def collect(submissions, course, assignments):
    """Copy each student's notebooks into nbgrader's submitted/ folder; returns [(student, assignment)]."""
    found = []
    for folder in sorted(p for p in Path(submissions).iterdir() if p.is_dir() and not p.name.startswith(".")):
        taken = {}
        for path in sorted(folder.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            assignment = course_notebook(path, assignments)
            if assignment is None:
                print(f"skipped {path}: not one of the course notebooks")
            elif assignment in taken:
                print(f"skipped {path}: {folder.name} already handed in {taken[assignment].name} for {assignment}")
            else:
                taken[assignment] = path
        for assignment, path in taken.items():
            target = Path(course) / "submitted" / folder.name / assignment
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            shutil.copyfile(path, target / f"{assignment}.ipynb")
            found.append((folder.name, assignment))
    return found


@contextlib.contextmanager
def stderr_to(path):
    """Send this process's stderr, and so the notebook kernels' (TensorFlow's start-up lines), to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def scores(api, graded):
    """{student: {(notebook number, exercise): (score, max)}} read from nbgrader's gradebook."""
    table = {}
    with api.gradebook as gradebook:
        for student_id, assignment in graded:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student_id)
            for grade in notebook.grades:
                match = EXERCISE_ID.match(grade.name)
                if match:
                    key = (match["notebook"], int(match["n"]))
                    table.setdefault(student_id, {})[key] = (grade.score, grade.max_score)
    return table


def write_csv(table, path):
    """One row per student, one column per exercise ("03 ex2"), then the total; the first row: maximum points."""
    columns = sorted({key for row in table.values() for key in row})
    maximum = {}
    for row in table.values():
        maximum.update({key: best for key, (_, best) in row.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student"] + [f"{nb} ex{n}" for nb, n in columns] + ["total"])
        out.writerow(["(max points)"] + [f"{maximum[k]:g}" for k in columns] + [f"{sum(maximum.values()):g}"])
        for student_id in sorted(table):
            row = table[student_id]
            out.writerow([student_id] + [f"{row[k][0]:g}" if k in row else "" for k in columns]
                         + [f"{sum(score for score, _ in row.values()):g}"])
    return path


def grade(submissions, course=student.COURSE, csv_path=None, source=student.SOURCE):
    """Autograde every notebook in ``submissions``; returns the score table and writes it as CSV."""
    assignments = [p.stem for p in student.exercise_notebooks(source)]
    student.generate(source, course)  # the gradebook must know the released cells before grading
    found = collect(submissions, course, assignments)
    if not found:
        raise SystemExit(f"no course notebooks in {submissions}: it needs one folder per student, "
                         f"each with notebooks such as {assignments[0]}.ipynb")
    api = student.nbgrader_api(course)
    log = Path(course) / "autograde.log"
    print(f"autograding {len(found)} notebooks; the kernels' own messages go to {log}")
    for student_id, assignment in tqdm(found, desc="autograding", unit="notebook", file=sys.stdout):
        start = time.perf_counter()
        with stderr_to(log):
            result = api.autograde(assignment, student_id, force=True, create=True)
        student.run(result, f"grade {student_id}'s {assignment}")
        tqdm.write(f"{student_id} {assignment}: run and graded in {time.perf_counter() - start:.0f} s")
    table = scores(api, found)
    write_csv(table, csv_path or Path(course) / "grades.csv")
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="a folder with one folder of notebooks per student")
    parser.add_argument("--course", type=Path, default=student.COURSE, help="nbgrader's course folder (default course/)")
    parser.add_argument("--csv", type=Path, help="where the score table goes (default COURSE/grades.csv)")
    parser.add_argument("--source", type=Path, default=student.SOURCE, help="notebooks with solutions (default solutions/)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"{args.submissions} is not a folder: give a folder with one folder of notebooks per student",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    table = grade(args.submissions, args.course, args.csv, args.source)
    csv_path = args.csv or args.course / "grades.csv"
    notebooks = sum(len({nb for nb, _ in row}) for row in table.values())
    print(f"graded {notebooks} notebooks of {len(table)} students in {time.perf_counter() - start:.0f} s")
    print(csv_path.read_text(), end="")
    print(f"score table: {csv_path}; graded notebooks: {args.course / 'autograded'}; "
          f"every grade is in nbgrader's gradebook (formgrader, `nbgrader export`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
