"""The one description of a dream's knobs: checks, derived settings, CLI options, README, replay."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dreamlib import knobs
from dreamlib.errors import DreamlibError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_description_imports_without_tensorflow():
    code = "import sys, dreamlib.knobs, dreamlib.cli; sys.exit('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("name", [k.name for k in knobs.SETTINGS + knobs.RUN if k.low is not None])
def test_each_range_is_enforced_at_both_ends(name):
    knob = knobs.knob(name)
    inside = knob.low if not knob.above else knob.low + (1 if knob.type is int else 0.5)
    assert knob.check(knob.type(inside)) == inside
    below = knob.low if knob.above else knob.low - 1
    with pytest.raises(DreamlibError, match=f"^{name} must be .*; got"):
        knob.check(knob.type(below))
    if knob.high is not None:
        assert knob.check(knob.type(knob.high)) == knob.high
        with pytest.raises(DreamlibError, match=f"^{name} must be"):
            knob.check(knob.type(knob.high + 1))


@pytest.mark.parametrize("name", [k.name for k in knobs.SETTINGS + knobs.RUN if k.type in (int, float)])
@pytest.mark.parametrize("bad", [True, False, "3", float("nan"), float("inf"), [1.0], {}])
def test_numbers_refuse_bools_text_and_non_finite_values(name, bad):
    if name == "octaves" and bad == [1.0]:
        bad = [1.5]
    with pytest.raises(DreamlibError) as caught:
        knobs.knob(name).check(bad)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{name} must be ") and repr(bad) in message


@pytest.mark.parametrize("name,value,plain", [
    ("step_size", np.float32(0.01), 0.01), ("steps", np.int64(7), 7), ("octave_scale", np.float64(1.3), 1.3),
    ("lost_detail", np.bool_(False), False), ("seed", np.uint32(5), 5), ("octaves", range(-2, 3), range(-2, 3))])
def test_numpy_scalars_pass_and_come_back_plain(name, value, plain):
    checked = knobs.knob(name).check(value)
    assert checked == plain and type(checked) is type(plain)


@pytest.mark.parametrize("name,value,advice", [
    ("step_size", float("nan"), "a number above 0 and at most 100"),
    ("octaves", "3", "a whole number from 1 to 20"),
    ("octaves", True, "such as 3"),
    ("tile_size", True, "a whole number from 0 to 8192"),
    ("normalize", "max", "one of mean_abs, std, l2"),
    ("objective", "sum", "one of sum_of_squares, mean, l2"),
    ("max_size", 0, "from 1"),
    ("jitter", -1, "or None (the tile size when tiled, else 0; 512 on pictures over 512 px when tiles are sized"),
])
def test_one_line_names_the_fix(name, value, advice):
    with pytest.raises(DreamlibError, match=re.escape(advice)):
        knobs.knob(name).check(value)


def test_unknown_knob_lists_the_real_ones():
    with pytest.raises(DreamlibError, match="no knob called 'stepz'.*steps, step_size"):
        knobs.check({"stepz": 3})


def test_dream_settings_are_the_settings_knobs():
    from dreamlib.dream import DreamSettings

    fields = DreamSettings.__dataclass_fields__
    assert list(fields) == [k.name for k in knobs.SETTINGS] == list(DreamSettings.NAMES)
    assert [f.type for f in fields.values()] == [k.type for k in knobs.SETTINGS]  # written out, checked here
    assert DreamSettings() == DreamSettings(**knobs.defaults(names=DreamSettings.NAMES))
    assert DreamSettings.quick() == DreamSettings(**knobs.defaults(quick=True, names=DreamSettings.NAMES))
    assert DreamSettings.quick().steps == 15 and DreamSettings.quick().octaves == 4
    assert DreamSettings(step_size=np.float32(0.01)).step_size == 0.01
    for bad in ({"octaves": True}, {"tile_size": True}, {"octaves": "3"}, {"max_loss": float("inf")}):
        with pytest.raises(DreamlibError):
            DreamSettings(**bad)
    settings = DreamSettings()
    settings.steps = -1  # set after construction: check() still finds it
    with pytest.raises(DreamlibError, match="steps must be"):
        settings.check()


def test_objective_kinds_and_normalisations_are_the_libraries():
    from dreamlib import ascent, objectives

    assert set(objectives.KINDS) == set(knobs.OBJECTIVE_KINDS)
    assert ascent.NORMALIZATIONS is knobs.NORMALIZATIONS


def test_cli_options_derive_from_the_knobs():
    from dreamlib.cli import build_parser

    parser = build_parser()
    dream = parser._subparsers._group_actions[0].choices["dream"]
    options = {action.option_strings[0]: action for action in dream._actions if action.option_strings}
    for knob in knobs.SETTINGS + knobs.RUN:
        assert knob.option in options, knob.option
        action = options[knob.option]
        if knob.choices:
            assert tuple(action.choices) == knob.choices
        if knob.type is not bool and knob.name != "model":
            assert action.help == knob.describe()
    args = parser.parse_args(["dream", "a.png", "b.png"])
    assert all(getattr(args, k.name) is None for k in knobs.SETTINGS + knobs.RUN)  # unset: the default decides


def test_readme_lists_every_dream_option_as_described():
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- dream options: generated from dreamlib/knobs.py by tools/readme_options.py -->")[1]
    block = block.split("```")[1].strip("\n").removeprefix("text\n")
    assert block.splitlines() == knobs.option_lines(), "run: python tools/readme_options.py"


def test_explorer_controls_take_defaults_and_ranges_from_the_knobs():
    pytest.importorskip("ipywidgets")
    from dreamlib.widgets import explorer

    ex = explorer(image="chelsea", model="mobilenet_v2", random_weights=True)
    for control, name in [(ex.steps, "steps"), (ex.octaves, "octaves"),
                          (ex.max_size, "max_size")]:
        knob = knobs.knob(name)
        assert (control.min, control.max) == (knob.low, knob.high)
        assert control.tooltip == knob.describe()
    assert ex.max_size.value == knobs.FULL_SIZE_LIMIT  # the picture's own size, as on the command line


@pytest.mark.parametrize("write", ["record", "explorer", "flat"])
def test_saved_settings_are_read_back_checked(tmp_path, write):
    path = tmp_path / "saved.json"
    data = {"record": {"model": "mobilenet_v2", "objective": "1 * sum_of_squares(x)",
                       "settings": {"steps": 3, "step_size": 0.02, "octaves": 2, "seed": 4},
                       "recipe": {"layers": {"block_1_expand_relu": 1.5}, "objective": "mean", "border": 0}},
            "explorer": {"model": "mobilenet_v2", "layers": {"block_1_expand_relu": 1.5}, "max_size": 96,
                         "objective": "1.5 * sum_of_squares(block_1_expand_relu)",
                         "settings": {"steps": 3, "step_size": 0.02, "octaves": 2, "seed": 4}},
            "flat": {"steps": 3, "octaves": 2, "seed": 4, "layers": "block_1_expand_relu:1.5"}}[write]
    path.write_text(json.dumps(data))
    saved = knobs.read_saved(path)
    assert saved["steps"] == 3 and saved["octaves"] == 2 and saved["seed"] == 4
    assert saved["layers"] == "block_1_expand_relu:1.5"
    assert saved.get("objective", "mean") == "mean" if write == "record" else "objective" not in saved
    path.write_text(json.dumps({"steps": True}))
    with pytest.raises(DreamlibError, match="saved.json: steps must be"):
        knobs.read_saved(path)
    path.write_text("{not json")
    with pytest.raises(DreamlibError, match="cannot read saved settings"):
        knobs.read_saved(path)
