"""nbgrader's settings for the dreamlib course.

`make student` and `make grade` use this file; so do nbgrader's own commands and its formgrader when
started from this folder (`nbgrader autograde 03_inception_octaves`, or `jupyter lab` -> Formgrader).
Each course notebook is one assignment with the notebook's name; its source (with the solutions) is
solutions/NAME.ipynb, copied to course/source/NAME/NAME.ipynb by `make student`.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.root = str(Path(__file__).resolve().parent / "course")
c.CourseDirectory.course_id = "dreamlib"

# An unanswered exercise must not stop "Run All": the stub is a comment, so `answer_1 = None` above
# it stays the answer and a function whose body is only its docstring returns None. The exercise's
# check then says "Not answered yet" and its autograded test cell gives 0 points.
c.ClearSolutions.code_stub = {"python": "# YOUR ANSWER HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading runs every notebook top to bottom: quick settings keep that to a minute or two each.
# Some cells (a short GAN training in 06) need more than nbgrader's default 30 s on a laptop CPU.
os.environ.setdefault("DREAMLIB_QUICK", "1")
c.Execute.timeout = 600

# `nbgrader export` writes its table here, not at the top of the repository.
c.CsvExportPlugin.to = str(Path(__file__).resolve().parent / "course" / "nbgrader_export.csv")


# Feedback never shows a hidden test: nbgrader's feedback page is the autograded notebook, whose test
# cells hold the hidden tests (their seeds) and whose failures print a traceback quoting them.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader import utils as _utils  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402
from traitlets import Bool  # noqa: E402


class HideTests(ClearHiddenTests):
    """Each autograded test cell keeps only the lines above its hidden tests (its "Autograded, N
    points" comment), and a failure shows one line, the reason, without the traceback."""

    enforce_metadata = Bool(False)  # a learner's own cell may say "BEGIN HIDDEN TESTS": left as it is

    def preprocess_cell(self, cell, resources, index):
        if not (_utils.is_grade(cell) and not _utils.is_solution(cell) and cell.cell_type == "code"):
            return cell, resources
        kept = []
        for line in cell.source.splitlines():
            if self.begin_test_delimeter in line:
                break
            kept.append(line)
        cell.source = "\n".join(kept).rstrip()
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


c.GenerateFeedback.preprocessors = [GetGrades, HideTests, CSSHTMLHeaderPreprocessor]
