"""The explorer's parts on their own, without a network: controls, checks, the dreaming thread, saving."""

import json
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from dreamlib import knobs
from dreamlib.dream import DreamRecord, DreamResult, DreamSettings, fit_problems
from dreamlib.errors import DreamlibError
from dreamlib.widgets import checks, controls
from dreamlib.widgets.dreaming import DreamThread, summary
from dreamlib.widgets.saving import save_dream

pytest.importorskip("ipywidgets")

NET = SimpleNamespace(name="tinynet", model=SimpleNamespace(layers=[SimpleNamespace(name=n) for n in "abc"]),
                      spec=SimpleNamespace(name="tinynet", min_size=32))


def panel(**settings):
    return controls.Controls("chelsea", ["chelsea"], "m", [("m (label)", "m")], False, 96, "dreams",
                             controls.NO_GUIDE, [controls.NO_GUIDE, "coffee"], DreamSettings(**settings))


def test_knob_controls_start_from_the_settings_and_read_back_in_the_knobs_types():
    c = panel(steps=7, octave_scale=1.3, lost_detail=False)
    assert (c.steps.value, c.octave_scale.value, c.lost_detail.value) == (7, 1.3, False)
    assert c.step_size.value == 0.01                   # None (the model's own) shows a typical value
    c.step_size.value = 2
    values = c.knob_values()
    assert values == {"steps": 7, "step_size": 2.0, "octaves": 3, "octave_scale": 1.3,
                      "lost_detail": False}
    assert type(values["step_size"]) is float and type(values["steps"]) is int
    assert c.steps in c.inputs and c.steps.tooltip == knobs.knob("steps").describe()


def test_a_knob_gets_a_control_by_one_row(monkeypatch):
    monkeypatch.setitem(controls.KNOB_CONTROLS, "jitter", ("BoundedIntText", "jitter (px)", {}))
    c = panel(jitter=16)
    assert c.jitter.value == 16 and (c.jitter.min, c.jitter.max) == (knobs.knob("jitter").low, knobs.knob("jitter").high)
    assert c.knob_values()["jitter"] == 16 and c.jitter in c.inputs
    assert any(c.jitter in row.children for row in c.widget.children if hasattr(row, "children"))


def test_enable_disables_dream_with_problems_and_everything_while_busy():
    c = panel()
    c.enable(False, ["steps must be a whole number", "a <b>tag</b>"], has_result=False)
    assert c.dream_button.disabled and c.save_button.disabled and not c.steps.disabled
    assert "steps must be a whole number" in c.explanation.value and "&lt;b&gt;" in c.explanation.value
    c.enable(True, [], has_result=True)
    assert c.dream_button.disabled and c.save_button.disabled and c.steps.disabled and not c.stop_button.disabled
    c.enable(False, [], has_result=True)
    assert not c.dream_button.disabled and not c.save_button.disabled and c.stop_button.disabled
    assert c.guide_layer.disabled and not c.layer_weights.disabled   # no guide: the layers decide
    c.guide_choice.value = "coffee"
    c.enable(False, [], has_result=True)
    assert not c.guide_layer.disabled and c.layer_weights.disabled


def test_checks_collect_every_problem_as_one_line_each():
    picture = np.zeros((64, 96, 3), np.float32)
    assert checks.problems(NET, picture, DreamSettings, "a:1, b") == []
    found = checks.problems(NET, picture, lambda: DreamSettings(octaves=5, tile_size=16), "a:1, zz:2",
                            examples=("a", "b"), known=[None, "no weights here"])
    assert found[0] == "no weights here"
    assert found[1] == "tinynet has no layer called 'zz': pick layers from the list (for example a, b)"
    assert "use at most 3 octaves" in found[2]
    assert found[3] == "tile_size 16 is below tinynet's minimum input of 32 px: use 0 (never tile) or at least 32"
    bad_knob = checks.problems(NET, None, lambda: DreamSettings(steps=-1), None)
    assert len(bad_knob) == 1 and bad_knob[0].startswith("steps must be a whole number from 0")
    assert checks.parse_layers("a:2,c", NET) == {"a": 2.0, "c": 1.0}
    with pytest.raises(DreamlibError, match="cannot read layer weight"):
        checks.parse_layers("a:x", NET)


def test_the_dream_checks_the_fit_as_the_explorer_does():
    assert fit_problems((64, 96), DreamSettings(), NET.spec) == []
    assert fit_problems(None, DreamSettings(octaves=20, tile_size=0), NET.spec) == []  # no picture yet


class FakeDreamer:
    """Dreams in no time: every step and octave reported, Stop heard through on_step's answer."""

    untrained = False

    def __init__(self, fail=None, gate=None):
        self.fail, self.gate, self.calls = fail, gate, 0

    def dream(self, picture, settings, progress, on_octave, on_step):
        self.calls += 1
        if self.fail:
            raise self.fail
        record = DreamRecord("m", "imagenet", "obj", {}, picture.shape[:2])
        for octave in range(settings.octaves):
            record.losses.append([])
            for step in range(1, settings.steps + 1):
                if self.gate is not None:
                    self.gate.wait(5)
                record.losses[-1].append(float(step))
                if not on_step(octave, step, float(step)):
                    record.interrupted = True
                    return DreamResult(picture + 1, record)
            on_octave(octave, picture + octave)
        return DreamResult(picture + 1, record)


def thread_and_log():
    log = {"said": [], "steps": [], "shown": [], "end": []}
    worker = DreamThread(log["said"].append, log["steps"].append, log["shown"].append,
                         lambda result, error: log["end"].append((result, error)))
    return worker, log


def test_thread_reports_steps_pictures_and_the_end_and_keeps_the_compiled_dreamer():
    worker, log = thread_and_log()
    dreamer = FakeDreamer()
    built = []
    picture = np.zeros((4, 4, 3), np.float32)
    worker.start(picture, DreamSettings(steps=2, octaves=3), "key", lambda: built.append(1) or dreamer)
    worker.join(5)
    assert not worker.running and log["steps"] == [1, 2, 3, 4, 5, 6]
    assert len(log["shown"]) == 4 and log["said"][0] == "compiling the gradient..."
    (result, error), = log["end"]
    assert error is None and np.array_equal(result.image, picture + 1)
    assert log["said"][-1] == "done: 3/3 octaves in 0.0 s; last loss 2"
    worker.start(picture, DreamSettings(steps=1, octaves=1), "key", lambda: built.append(1) or dreamer)
    worker.join(5)
    assert built == [1] and dreamer.calls == 2          # the same key reuses the dreamer
    worker.start(picture, DreamSettings(steps=1, octaves=1), "other", lambda: built.append(1) or dreamer)
    worker.join(5)
    assert built == [1, 1]


def test_thread_stop_keeps_the_picture_and_errors_come_back_as_one_line():
    worker, log = thread_and_log()
    gate = threading.Event()
    worker.start(np.zeros((4, 4, 3), np.float32), DreamSettings(steps=50, octaves=2), 1, lambda: FakeDreamer(gate=gate))
    with pytest.raises(DreamlibError, match="already running"):
        worker.start(None, None, 1, None)
    worker.stop()
    gate.set()
    worker.join(5)
    (result, error), = log["end"]
    assert result.record.interrupted and len(result.record.losses[0]) == 1 and error is None
    assert "stopped in octave 1/2, step 1" in log["said"] and log["said"][-1].startswith("stopped: kept 1/2")

    worker, log = thread_and_log()
    worker.start(None, DreamSettings(), 1, lambda: FakeDreamer(fail=ValueError("bad shape")))
    worker.join(5)
    assert log["end"] == [(None, "ValueError: bad shape")] and not worker.running
    worker, log = thread_and_log()
    worker.start(None, DreamSettings(), 1, lambda: FakeDreamer(fail=DreamlibError("guide too small")))
    worker.join(5)
    assert log["end"] == [(None, "guide too small")]


def test_summary_without_steps_leaves_out_the_loss():
    record = DreamRecord("m", "imagenet", "obj", {}, (4, 4), losses=[[]], interrupted=True)
    assert summary(record, 3) == "stopped: kept 1/3 octaves"


def test_save_dream_picks_free_names_and_writes_a_replayable_json(tmp_path):
    record = DreamRecord("mobilenet_v2", "imagenet", "obj", DreamSettings(steps=4).as_record(), (8, 8),
                         octave_shapes=[(8, 8)])
    result = DreamResult(np.full((8, 8, 3), 100, np.float32), record)
    run = {"image": "my photo.jpg", "max_size": 64, "model": "mobilenet_v2", "layers": {"a": 2.0},
           "guide": None, "guide_layer": None}
    first = save_dream(result, run, f" {tmp_path} ")
    second = save_dream(result, run, str(tmp_path))
    assert [p.name for p in first] == ["my_photo_mobilenet_v2.png", "my_photo_mobilenet_v2.json"]
    assert [p.name for p in second] == ["my_photo_mobilenet_v2_2.png", "my_photo_mobilenet_v2_2.json"]
    data = json.loads(first[1].read_text())
    assert data["picture"] == "my_photo_mobilenet_v2.png" and data["settings"]["steps"] == 4
    assert knobs.read_saved(first[1]) == {"model": "mobilenet_v2", "layers": "a:2.0", "max_size": 64,
                                          **knobs.check(DreamSettings(steps=4).as_record())}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (*first, *second))


def test_save_dream_into_a_file_is_one_line_and_writes_nothing(tmp_path):
    record = DreamRecord("m", "imagenet", "obj", {}, (8, 8))
    result = DreamResult(np.full((8, 8, 3), 100, np.float32), record)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    run = {"image": "chelsea", "max_size": 8, "model": "m", "layers": None, "guide": None, "guide_layer": None}
    with pytest.raises(DreamlibError, match="cannot create the folder .*notes.txt .*: choose another place"):
        save_dream(result, run, tmp_path / "notes.txt")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
