"""Autograde a class folder with nbgrader and write a grade book that loses no one.

    python tools/grade.py SUBMISSIONS [--roster FILE] [--jobs N] [--feedback] [--course course] [--csv FILE]

SUBMISSIONS holds one folder per student (the folder's name is the student's id), each with any of
the course notebooks (01_activation_maximisation.ipynb ... 06_dcgan.ipynb; a renamed copy is
recognised by its exercise cells, or by its text when the cells lost their metadata). The roster is
a file of student ids, one a line (default: every folder found). Every student on the roster or with
a folder gets a row: one column per exercise, the total, and a `reason` for every point not
awarded by a test (a file that is not a readable notebook, a notebook without nbgrader metadata, a
deleted test cell, a notebook not handed in, a notebook nbgrader could not run). Each reason is also
printed.

Before anything runs, the weights the graded notebooks need are checked (the one-line message of
`make handouts`). Then JOBS notebooks run at once (default: the machine's cores), each by nbgrader's
`autograde` in its own process, with the locked cells (checks and tests) put back as released, so
points come from the course's own hidden tests; nbgrader's gradebook (SQLite) in course/ keeps
every grade, for `nbgrader export` or the formgrader. With --feedback each student also gets
nbgrader's feedback page, which never shows a hidden test (nbgrader_config.py).
"""

import argparse
import csv
import json
import os
import re
import contextlib
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import student  # noqa: E402  (tools/ is a folder of scripts, not a package)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the notebooks' kernels inherit it: no TensorFlow start-up log

EXERCISE_ID = re.compile(r"^(?P<notebook>\d\d)_ex(?P<n>\d+)_test$")
SQLITE_WAIT_S = 300   # a grading process waits this long for another one's write to nbgrader's gradebook


def exercise(grade_id):
    """("03", 2) for the test cell "03_ex2_test"; None for any other cell."""
    match = EXERCISE_ID.match(grade_id or "")
    return (match["notebook"], int(match["n"])) if match else None


def label(key):
    return f"{key[0]} ex{key[1]}"


def grade_id(cell):
    return (cell.get("metadata") or {}).get("nbgrader", {}).get("grade_id")


def words(cell):
    """A markdown cell's text with spacing normalised: how a notebook is recognised without metadata."""
    return " ".join("".join(cell.get("source", "")).split())


@dataclass
class Assignment:
    """One course notebook: its autograded test cells and the text that identifies it."""

    name: str
    tests: dict          # {test cell grade id: Test}, in notebook order
    text: set            # its markdown cells' text
    ids: set = field(default_factory=set)   # the grade id of every cell nbgrader knows

    @property
    def prefix(self):
        return self.name[:2]

    def exercises(self):
        return {exercise(gid): test.points for gid, test in self.tests.items()}


@dataclass
class Test:
    """An autograded test cell: its points, and its text as released (without the hidden tests)."""

    points: float
    text: str


def released_text(cell):
    """A test cell's text as nbgrader releases it: without its BEGIN/END HIDDEN TESTS region."""
    kept, hidden = [], False
    for line in "".join(cell.get("source", "")).splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return words({"source": "\n".join(kept)})


def course_assignments(source=student.SOURCE):
    """{name: Assignment} for every notebook with exercises in ``source``."""
    found = {}
    for path in student.exercise_notebooks(source):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        tests = {grade_id(c): Test(float(c["metadata"]["nbgrader"].get("points", 0)), released_text(c))
                 for c in cells if exercise(grade_id(c)) and c["metadata"]["nbgrader"].get("grade")}
        text = {words(c) for c in cells if c.get("cell_type") == "markdown" and words(c)}
        found[path.stem] = Assignment(path.stem, tests, text, {grade_id(c) for c in cells if grade_id(c)})
    return found


@dataclass
class Handin:
    """What one student handed in for one assignment, and what the grader must know about it."""

    student: str
    assignment: str
    path: Path
    zero: set = field(default_factory=set)      # exercises that get 0 whatever nbgrader says
    reasons: list = field(default_factory=list)  # why, one short sentence each
    run: bool = True                            # False: nothing nbgrader could grade
    notebook: dict = None                       # what nbgrader grades (see ``known_cells_only``)


def read_notebook(path):
    """(notebook dict, None) or (None, why it is not a readable notebook)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, "not a readable notebook (not text)"
    except json.JSONDecodeError as e:
        return None, f"not a readable notebook (not JSON: {e.msg}, line {e.lineno})"
    except OSError as e:
        return None, f"not a readable notebook ({e.strerror})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or \
            not all(isinstance(c, dict) for c in nb["cells"]):
        return None, "not a readable notebook (JSON, but no list of cells)"
    return nb, None


def identify(path, nb, assignments):
    """The assignment a file belongs to: by its exercise cells, else its name, else its text; or None."""
    if nb is not None:
        prefixes = {(grade_id(c) or "")[:2] for c in nb["cells"]}
        by_cells = [a for a in assignments.values() if a.prefix in prefixes and a.tests]
        if len(by_cells) == 1:
            return by_cells[0].name
    if path.stem in assignments:
        return path.stem
    by_number = [a for a in assignments if re.match(rf"{a[:2]}(\D|$)", path.stem)]
    if len(by_number) == 1:
        return by_number[0]
    if nb is not None:
        text = {words(c) for c in nb["cells"] if c.get("cell_type") == "markdown" and words(c)}
        overlap = {name: len(a.text & text) / max(1, len(a.text)) for name, a in assignments.items()}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best] >= 0.5:
            return best
    return None


def known_cells_only(nb, ids):
    """(notebook, count): ``nb`` with nbgrader's metadata removed from the cells it cannot know: a grade
    id that was never handed out, or a second cell with the same id (a copied cell; the first one
    counts). Such cells would make nbgrader reject the whole notebook; now they run as the student's."""
    nb = json.loads(json.dumps(nb))
    seen, strays = set(), 0
    for cell in nb["cells"]:
        gid = grade_id(cell)
        if gid is None and "nbgrader" not in (cell.get("metadata") or {}):
            continue
        if gid in ids and gid not in seen:
            seen.add(gid)
            continue
        cell["metadata"].pop("nbgrader", None)
        strays += 1
    return nb, strays


def inspect(student_id, path, nb, problem, assignment, assignments):
    """A Handin for ``path`` with what would cost points before anything runs."""
    handin = Handin(student_id, assignment, path)
    course = assignments[assignment]
    every = set(course.exercises())
    if problem:
        handin.run = False
        handin.zero |= every
        handin.reasons.append(f"{path.name}: {problem}: 0 for {assignment[:2]}")
        return handin
    nb, strays = known_cells_only(nb, course.ids)
    handin.notebook = nb
    submitted = {grade_id(c): c for c in nb["cells"] if grade_id(c)}
    if strays:
        handin.reasons.append(f"{path.name}: {strays} added cell{'s' * (strays > 1)} with nbgrader metadata "
                              f"(copies?) graded as the student's own cells")
    if not submitted:
        handin.run = False
        handin.zero |= every
        handin.reasons.append(f"{path.name}: no nbgrader metadata (cells copied into another notebook?): "
                              f"0 for {assignment[:2]}; the answers must be in the handed-out notebook")
        return handin
    for test_id, released in course.tests.items():
        key = exercise(test_id)
        if test_id not in submitted:
            handin.zero.add(key)
            handin.reasons.append(f"{path.name}: test cell {test_id} deleted: 0 for {label(key)}")
        elif released_text(submitted[test_id]) != released.text:
            handin.reasons.append(f"{path.name}: test cell {test_id} edited (graded with the released test)")
    return handin


def collect(submissions, assignments, roster=None):
    """(students, handins, notes): every student id, the Handins to grade, and per-student notes.

    ``roster``: the class's ids (None: every folder in ``submissions``). A folder not on the roster
    is graded too, with a note."""
    folders = {p.name: p for p in sorted(Path(submissions).iterdir()) if p.is_dir() and not p.name.startswith(".")}
    students = list(roster) if roster is not None else sorted(folders)
    notes = {s: [] for s in students}
    for name in folders:
        if name not in notes:
            students.append(name)
            notes[name] = ["not on the roster (graded anyway)"]
    handins = []
    for student_id in students:
        folder = folders.get(student_id)
        if folder is None:
            notes[student_id].append(f"no folder {student_id}/ in {submissions}: nothing handed in")
            continue
        taken = {}
        for path in sorted(folder.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts or not path.is_file():
                continue
            nb, problem = read_notebook(path)
            assignment = identify(path, nb, assignments)
            if assignment is None:
                what = problem or "not one of the course notebooks"
                notes[student_id].append(f"{path.relative_to(folder)}: {what} (not graded)")
            elif assignment in taken:
                notes[student_id].append(f"{path.relative_to(folder)}: a second {assignment} "
                                         f"(graded: {taken[assignment].path.relative_to(folder)})")
            else:
                taken[assignment] = inspect(student_id, path, nb, problem, assignment, assignments)
        handins.extend(taken.values())
    return students, handins, notes


def read_roster(path):
    """Student ids from a file, one a line; blank lines and # comments are skipped."""
    ids = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and line not in ids:
            ids.append(line)
    if not ids:
        raise SystemExit(f"grade: the roster {path} lists no student ids (one a line)")
    return ids


def weights_problem(names):
    """The one-line message `make handouts` gives when the weights these notebooks need are missing."""
    import handouts  # noqa: E402  (its message, so both tools say the same)
    from dreamlib import settings

    return handouts.missing_weights(names, settings.random_weights_allowed(), who="grade")


def data_notice(names):
    import handouts

    return handouts.missing_data(names, who="grade")


def nbgrader_api(course):
    """nbgrader's API on ``course``, whose SQLite gradebook waits for other grading processes' writes."""
    api = student.nbgrader_api(course)
    api.coursedir.db_url = f"sqlite:///{Path(course).resolve() / 'gradebook.db'}?timeout={SQLITE_WAIT_S}"
    return api


def last_error(result):
    """The line of nbgrader's log that says what went wrong (its exception), else its last error line."""
    log = (result.get("log") or "") + (result.get("error") or "")
    lines = [line.strip() for line in log.splitlines()]
    said = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
    errors = [line for line in lines if "[ERROR]" in line and "see the the above traceback" not in line]
    return (said or errors or lines or ["no message"])[0]


@contextlib.contextmanager
def stderr_to(path):
    """Send this process's stderr, and so its notebook kernel's (TensorFlow's start-up lines), to ``path``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "w") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


# A notebook runs with the grader's rights: it could rewrite the grader itself (dreamlib.exercises.grading
# on disk), numpy's comparisons or nbgrader, for its own grade and every later one. These packages'
# files are kept before grading, compared after each notebook, and put back when one changed them.
GUARDED = ("dreamlib", "numpy", "nbgrader")


def guarded_files():
    """The .py files of the GUARDED packages."""
    import importlib.util

    files = []
    for name in GUARDED:
        for folder in importlib.util.find_spec(name).submodule_search_locations or ():
            files += sorted(Path(folder).rglob("*.py"))
    return files


def fingerprint():
    """One hash of the GUARDED packages' .py files (their names and contents)."""
    import hashlib

    digest = hashlib.sha256()
    for path in guarded_files():
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


class Guard:
    """The GUARDED files as they were before grading, to notice and undo a notebook's changes."""

    def __init__(self):
        self.files = {path: path.read_bytes() for path in guarded_files()}
        self.fingerprint = fingerprint()

    def restore(self):
        """Put every guarded file back and remove added ones; returns what had changed (names)."""
        changed = []
        for path in guarded_files():
            if path not in self.files:
                path.unlink()
                changed.append(f"{path.name} added")
        for path, text in self.files.items():
            try:
                same = path.read_bytes() == text
            except OSError:
                same = False
            if not same:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text)
                changed.append(f"{path.parent.name}/{path.name}")
        return changed


def autograde_here(course, assignment, student_id, environ, log, pristine=None):
    """nbgrader's autograde of one notebook, in this process (one of JOBS grading processes), with
    ``environ`` added to the kernel's environment and its messages in ``log``.

    Returns (seconds, error line or None, (start, end) wall-clock times, whether the guarded files
    differ from ``pristine`` (their fingerprint before grading) afterwards)."""
    began = time.time()
    start = time.perf_counter()
    saved = dict(os.environ)
    os.environ.update(environ or {})
    try:
        with stderr_to(log):
            result = nbgrader_api(course).autograde(assignment, student_id, force=True, create=False)
        error = None if result["success"] else last_error(result)
    except Exception as e:  # nbgrader itself failed: this notebook gets 0 with the reason, the class goes on
        error = f"{e.__class__.__name__}: {e}"
    finally:
        os.environ.clear()
        os.environ.update(saved)
    tampered = pristine is not None and fingerprint() != pristine
    return time.perf_counter() - start, error, (began, time.time()), tampered


def submit(pool, course, handin, environ, pristine=None):
    """Put ``handin`` where nbgrader looks for it and queue its grading; its kernel's messages go to
    course/logs/STUDENT/ASSIGNMENT.log."""
    target = Path(course) / "submitted" / handin.student / handin.assignment
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.ipynb"):
        old.unlink()
    (target / f"{handin.assignment}.ipynb").write_text(json.dumps(handin.notebook), encoding="utf-8")
    log = Path(course) / "logs" / handin.student / f"{handin.assignment}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    import grade as importable  # the grading processes find the function by this name (tools/ is on their path)

    return pool.submit(importable.autograde_here, str(course), handin.assignment, handin.student, environ, str(log),
                       pristine)


def prepare(course, students, source):
    """course/ with the released assignments, and every student in the gradebook (the formgrader and
    `nbgrader export` list them all; parallel processes never race to add one)."""
    student.generate(source, course)  # the gradebook must know the released cells before grading
    api = nbgrader_api(course)
    with api.gradebook as gradebook:
        for student_id in students:
            gradebook.update_or_create_student(student_id)
    return api


def scores(api, graded):
    """{(student, assignment): {exercise: score}} read from nbgrader's gradebook."""
    table = {}
    with api.gradebook as gradebook:
        for student_id, assignment in graded:
            try:
                notebook = gradebook.find_submission_notebook(assignment, assignment, student_id)
            except Exception:  # MissingEntry: nbgrader stopped before it recorded the notebook
                continue
            table[student_id, assignment] = {exercise(g.name): g.score for g in notebook.grades if exercise(g.name)}
    return table


@dataclass
class GradeBook:
    """The class's grades: one row per student, and why each lost point was lost."""

    students: list
    columns: dict                                   # {exercise: max points}
    score: dict                                     # {student: {exercise: points}}
    reasons: dict                                   # {student: [reason, ...]}

    def total(self, student_id):
        return sum(self.score[student_id].values())

    def row(self, student_id):
        """{"03 ex2": points, ..., "total": points, "reason": "..."} for one student."""
        row = {label(k): self.score[student_id].get(k, 0.0) for k in self.columns}
        return {**row, "total": self.total(student_id), "reason": "; ".join(self.reasons[student_id])}


def book(students, handins, notes, assignments, table, failed):
    """The GradeBook: nbgrader's scores, with 0 and a reason for each exercise without a grade."""
    in_class = sorted({h.assignment for h in handins})
    columns = {k: p for name in in_class for k, p in sorted(assignments[name].exercises().items())}
    score = {s: {} for s in students}
    reasons = {s: list(notes[s]) for s in students}
    by_student = {}
    for h in handins:
        by_student.setdefault(h.student, {})[h.assignment] = h
    for student_id in students:
        mine = by_student.get(student_id, {})
        for name in in_class:
            keys = assignments[name].exercises()
            h = mine.get(name)
            if h is None:
                if not any("nothing handed in" in r for r in reasons[student_id]):
                    reasons[student_id].append(f"{name[:2]}: not handed in")
                score[student_id].update({k: 0.0 for k in keys})
                continue
            reasons[student_id].extend(h.reasons)
            graded = table.get((student_id, name), {})
            if h.run and (student_id, name) in failed:
                reasons[student_id].append(f"{name[:2]}: nbgrader could not grade it ({failed[student_id, name]}): 0")
            for k in keys:
                score[student_id][k] = 0.0 if k in h.zero or (student_id, name) in failed else float(graded.get(k) or 0.0)
    return GradeBook(students, columns, score, reasons)


def write_csv(gradebook, path):
    """student, one column per exercise ("03 ex2"), total, reason; the first row: maximum points."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["student"] + [label(k) for k in gradebook.columns] + ["total", "reason"])
        out.writerow(["(max points)"] + [f"{p:g}" for p in gradebook.columns.values()]
                     + [f"{sum(gradebook.columns.values()):g}", ""])
        for student_id in gradebook.students:
            row = gradebook.row(student_id)
            out.writerow([student_id] + [f"{row[label(k)]:g}" for k in gradebook.columns]
                         + [f"{row['total']:g}", row["reason"]])
    return path


def default_jobs():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def grade(submissions, course=student.COURSE, csv_path=None, source=student.SOURCE, roster=None, jobs=None,
          environ=None, feedback=False, quiet=False):
    """Autograde every notebook in ``submissions``; returns the GradeBook and writes it as CSV.

    ``roster``: student ids (None: every folder); ``jobs``: notebooks graded at once (None: the cores);
    ``environ(student_id)``: extra environment for that student's kernels (tests: a fresh machine).
    """
    say = (lambda *a: None) if quiet else print
    assignments = course_assignments(source)
    students, handins, notes = collect(submissions, assignments, roster)
    to_run = [h for h in handins if h.run]
    names = sorted({h.assignment for h in to_run})
    problem = weights_problem(names)
    if problem:
        raise SystemExit(problem)
    notice = data_notice(names)
    if notice:
        say(notice)
    api = prepare(course, students, source)
    jobs = max(1, jobs or default_jobs())
    failed, start = {}, time.perf_counter()
    if to_run:
        say(f"autograding {len(to_run)} notebooks of {len(students)} students, {jobs} at a time; "
            f"the kernels' own messages go to {Path(course) / 'logs'}")
    # JOBS processes, each importing nbgrader once (seconds) and grading one notebook after another;
    # "spawn": a fresh interpreter, never a copy of this one's threads and locks
    guard = Guard()
    ran, windows = {}, []   # (student, assignment): (start, end); when guarded files were changed

    def run_all(handins, jobs, label=""):
        with ProcessPoolExecutor(min(jobs, len(handins) or 1), mp_context=multiprocessing.get_context("spawn")) as pool:
            running = {submit(pool, course, h, environ(h.student) if environ else None, guard.fingerprint): h
                       for h in handins}
            for i, done in enumerate(as_completed(running), 1):
                h = running[done]
                try:
                    seconds, error, ran[h.student, h.assignment], tampered = done.result()
                except Exception as e:  # the grading process itself died (out of memory...)
                    seconds, error, tampered = 0.0, f"the grading process stopped ({e.__class__.__name__}: {e})", False
                    ran[h.student, h.assignment] = (time.time(), time.time())
                failed.pop((h.student, h.assignment), None)
                if error:
                    failed[h.student, h.assignment] = error
                if tampered:
                    changed = guard.restore()
                    windows.append((ran[h.student, h.assignment][0], time.time(), h, changed))
                say(f"[{i}/{len(handins)}]{label} {h.student} {h.assignment}: "
                    f"{'graded' if not error else 'FAILED'} in {seconds:.0f} s"
                    + (" (the grader's files changed meanwhile: put back)" if tampered else ""))

    run_all(to_run, jobs)
    if windows:
        # which notebook changed them: each that ran while they were changed runs again, alone
        suspects = [h for h in to_run if any(s <= ran[h.student, h.assignment][1] and ran[h.student, h.assignment][0] <= e
                                             for s, e, _, _ in windows)]
        say(f"the grader's files changed while {len(suspects)} notebooks ran: grading them again one at a time")
        for h in suspects:
            windows.clear()
            run_all([h], 1, " (alone)")
            if windows:
                h.zero |= set(assignments[h.assignment].exercises())
                h.reasons.append(f"{h.path.name}: changed the grader's own files "
                                 f"({', '.join(windows[0][3][:3]) or 'guarded files'}): 0 for {h.assignment[:2]} "
                                 f"(the files were put back)")
    table = scores(api, [(h.student, h.assignment) for h in to_run])
    gradebook = book(students, handins, notes, assignments, table, failed)
    write_csv(gradebook, csv_path or Path(course) / "grades.csv")
    for student_id in students:
        for reason in gradebook.reasons[student_id]:
            say(f"{student_id}: {reason}")
    if feedback:
        for h in to_run:
            if (h.student, h.assignment) not in failed:
                student.run(api.generate_feedback(h.assignment, h.student, force=True), f"write {h.student}'s feedback")
        say(f"feedback pages: {Path(course) / 'feedback'}")
    say(f"graded {len(to_run)} notebooks of {len(students)} students in {time.perf_counter() - start:.0f} s "
        f"({jobs} at a time)")
    return gradebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="a folder with one folder of notebooks per student")
    parser.add_argument("--roster", type=Path, help="a file of student ids, one a line (default: every folder)")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: the cores)")
    parser.add_argument("--feedback", action="store_true", help="also write nbgrader's feedback pages")
    parser.add_argument("--course", type=Path, default=student.COURSE, help="nbgrader's course folder (default course/)")
    parser.add_argument("--csv", type=Path, help="where the grade book goes (default COURSE/grades.csv)")
    parser.add_argument("--source", type=Path, default=student.SOURCE, help="notebooks with solutions (default solutions/)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade: {args.submissions} is not a folder: give a folder with one folder of notebooks per student",
              file=sys.stderr)
        return 2
    roster = read_roster(args.roster) if args.roster else None
    csv_path = args.csv or args.course / "grades.csv"
    grade(args.submissions, args.course, csv_path, args.source, roster, args.jobs, feedback=args.feedback)
    print(csv_path.read_text(), end="")
    print(f"grade book: {csv_path}; graded notebooks: {args.course / 'autograded'}; "
          f"every grade is in nbgrader's gradebook (formgrader, `nbgrader export`)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:  # a one-line message (missing weights, a bad roster): exit status 2
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            sys.exit(2)
        raise
