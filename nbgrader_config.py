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
