"""Workshop handouts (tools/handouts.py): one self-contained HTML file per notebook and edition.

The unit tests check each clean-up step on small made-up notebooks. The ``dist`` test builds a
real quick handout of notebook 04 and opens it from file:// in headless chromium with the network
off: formulas drawn, the animation embedded and decoded, no request leaving the machine.
"""

import base64
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("handouts", ROOT / "tools" / "handouts.py")
handouts = importlib.util.module_from_spec(spec)
spec.loader.exec_module(handouts)
spec = importlib.util.spec_from_file_location("install_cell", ROOT / "tools" / "install_cell.py")
install_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install_cell)

TF_START = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795944431.936426   13424 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1795944432.142435   13424 cpu_feature_guard.cc:227] This TensorFlow binary is optimized.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.\n"
    "E0000 00:00:1795944440.588678   13424 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
    "WARNING:tensorflow:5 out of the last 5 calls triggered tf.function retracing.\n")
USER_WARNING = "x.py:1: UserWarning: vgg19 runs with RANDOM weights: its pictures come from an untrained network\n"


def _gif_bytes(frames=3):
    from PIL import Image

    pictures = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return buffer.getvalue()


def _widget_state(left="dreaming: 100%", right="\u200740/40\u2007[00:01&lt;00:00]", value=40, top=40):
    return {"bar": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_l", "IPY_MODEL_p", "IPY_MODEL_r"]}},
            "l": {"model_name": "HTMLModel", "state": {"value": left}},
            "p": {"model_name": "FloatProgressModel", "state": {"value": value, "max": top}},
            "r": {"model_name": "HTMLModel", "state": {"value": right}},
            "panel": {"model_name": "VBoxModel", "state": {"children": []}}}


def executed_notebook():
    """A small notebook as ExecutePreprocessor leaves it: TF logs, a progress bar, a panel, a GIF, math."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n\nThe loss $L(x) = \\sum_i a_i^2$ and\n\n"
                                      "$$\\frac{\\partial}{\\partial p}\\sum_i x_i^2 = 2\\sum_i x_i.$$\n\n"
                                      "Windows: `$env:DREAMLIB_QUICK = \"1\"`, and `max\\_jitter`.\n\n"
                                      "```bash\necho $HOME and $PATH\n```"),
        nbformat.v4.new_code_cell("import tensorflow", outputs=[
            nbformat.v4.new_output("stream", name="stderr", text=TF_START),
            nbformat.v4.new_output("stream", name="stderr", text=TF_START + USER_WARNING),
            nbformat.v4.new_output("stream", name="stdout", text="hello\n")]),
        nbformat.v4.new_code_cell("for _ in tqdm(range(40)): pass", outputs=[
            nbformat.v4.new_output("display_data", data={
                handouts.WIDGET_VIEW: {"model_id": "bar", "version_major": 2, "version_minor": 0},
                "text/plain": "dreaming:   0%|          | 0/40"}),
            nbformat.v4.new_output("display_data", data={
                handouts.WIDGET_VIEW: {"model_id": "panel", "version_major": 2, "version_minor": 0},
                "text/plain": "VBox()"})]),
        nbformat.v4.new_code_cell("display(Image(filename='zoom.gif'))", outputs=[
            nbformat.v4.new_output("display_data", data={
                "image/gif": base64.b64encode(_gif_bytes()).decode(),
                "text/plain": "<IPython.core.display.Image object>"})]),
        nbformat.v4.new_code_cell("display(Markdown(...))", outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": "gain $\\eta = 0.01$",
                                                          "text/plain": "<IPython.core.display.Markdown>"})]),
    ]
    nb.metadata["widgets"] = {handouts.WIDGET_STATE: {"state": _widget_state(), "version_major": 2}}
    return nb


def test_tf_log_lines_go_and_warnings_a_learner_needs_stay():
    assert handouts.without_tf_log_lines(TF_START) == ""
    assert handouts.without_tf_log_lines(TF_START + USER_WARNING) == USER_WARNING


def test_warnings_leave_with_their_source_line_and_other_stderr_is_plain_output():
    warning = ("/build/x/dream.py:180: UserWarning: vgg19 runs with RANDOM weights\n"
               "  self.backbone = load_backbone(model)\n")
    assert handouts.without_warnings(TF_START + warning + "dreaming: 40/40\n") == "dreaming: 40/40\n"
    assert handouts.without_warnings("a.py:3: DeprecationWarning: old\n  x()\n  indented text\n") == ""
    nb = executed_notebook()
    nb.cells[1].outputs.append(nbformat.v4.new_output("stream", name="stderr", text=warning + "note\n"))
    nb, _ = handouts.DropWarnings().preprocess(nb, {})
    outputs = nb.cells[1].outputs
    assert [(o.name, o.text) for o in outputs] == [("stdout", "hello\n"), ("stdout", "note\n")]   # no pink box


def test_progress_bar_becomes_text_and_other_widgets_a_note():
    assert handouts.progress_text("bar", _widget_state()) == "dreaming: 100%|##########| 40/40 [00:01<00:00]"
    assert handouts.progress_text("bar", _widget_state(left="x:  50%", value=20)).startswith("x:  50%|#####     |")
    assert handouts.progress_text("panel", _widget_state()) is None
    assert handouts.progress_text("gone", _widget_state()) is None
    nb, _ = handouts.WidgetsToText().preprocess(executed_notebook(), {})
    bar, panel = nb.cells[2].outputs
    assert bar["output_type"] == "stream" and bar["text"].startswith("dreaming: 100%|##########|")
    assert panel["data"] == {"text/html": handouts.WIDGET_NOTE}
    assert "widgets" not in nb.metadata


def test_gif_is_embedded_as_an_img_that_html_can_show():
    nb, _ = handouts.EmbedGifs().preprocess(executed_notebook(), {})
    page_part = nb.cells[3].outputs[0]["data"]["text/html"]
    assert page_part.startswith('<img src="data:image/gif;base64,R0lGOD')   # "GIF8" in base64


def test_math_becomes_mathml_outside_code_only():
    nb, resources = handouts.RenderMath().preprocess(executed_notebook(), {})
    text = nb.cells[0].source
    assert "$L(x)" not in text and "$$" not in text
    assert "`$env:DREAMLIB_QUICK = \"1\"`" in text and "echo $HOME and $PATH" in text  # code as written
    assert "dreamlibmath" not in nb.cells[4].outputs[0]["data"]["text/markdown"][:4]
    formulas = resources["math"]
    assert len(formulas) == 3 and all(m.startswith("<math") for m in formulas.values())
    assert 'display="block"' in formulas["dreamlibmath00001x"]
    filled = handouts.fill_math(text, formulas)
    assert filled.count("<math") == 2 and "dreamlibmath" not in filled


def test_texttt_underscores_and_unknown_commands():
    assert "max_jitter" in handouts.tex_to_mathml(r"[-\text{max\_jitter}, \text{max\_jitter}]", False)
    assert "\\" not in re.sub(r"<[^>]+>", "", handouts.tex_to_mathml(r"w_{\texttt{block2\_pool}}", False))


def test_page_is_self_contained():
    page = handouts.to_html(executed_notebook(), "test handout")
    assert handouts.external_resources(page) == []
    assert "<script src" not in page and "mathjax" not in page.lower() and "require.js" not in page
    assert page.count("<math") == 3 and "dreamlibmath" not in page
    assert 'src="data:image/gif;base64,' in page and "IPython.core.display.Image" not in page
    assert "dreaming: 100%|##########| 40/40 [00:01&lt;00:00]" in page
    assert "I0000" not in page and "absl::InitializeLog" not in page and "WARNING:tensorflow" not in page
    assert "UserWarning" not in page and 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert "An interactive panel appears here" in page
    assert "Instructor edition: this page shows the solutions" in page
    student = handouts.to_html(executed_notebook(), "test handout", "student")
    assert "Instructor edition" not in student


def test_build_machine_paths_are_left_out():
    home, prefix = str(Path.home()), sys.prefix
    nb = executed_notebook()
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=(
            "dreamlib 0.1.0 | Python 3.11.7\n"
            f"  dreamlib from {ROOT}/dreamlib\n  Python is {prefix}/bin/python\nDevice: CPU only\n")),
        nbformat.v4.new_output("display_data", data={"text/markdown": f"not in `{home}/.keras/models`",
                                                     "text/plain": "x"}),
        nbformat.v4.new_output("stream", name="stdout", text="saved /tmp/handout_abc/dreams/cat.png\n")]
    paths = handouts.build_paths("/tmp/handout_abc")
    assert not [path for path, _ in paths if path in ("/", "/usr", "/opt", "/tmp")]   # system folders stay
    page = handouts.to_html(nb, "paths", "student", paths)
    for path in {str(ROOT), home, prefix, "/tmp/handout_abc", os.path.realpath(prefix)}:
        assert path not in page, path
    assert "Device: CPU only" in page and "dreamlib from" not in page and "Python is" not in page
    assert "~/.keras/models" in page and "saved dreams/cat.png" in page


STUCK_NOTEBOOK = "04_tiling_big_images"


def _exercises_cell():
    return nbformat.v4.new_markdown_cell("## Exercises\n\n" + install_cell.stuck_sentence(STUCK_NOTEBOOK)
                                         + "\n\n**Exercise 1**")


def test_student_pages_say_where_the_solutions_will_be_or_that_they_are_not_here():
    nb = executed_notebook()
    nb.cells.append(_exercises_cell())
    page = handouts.to_html(nb, "t", "student")
    assert "solutions/" not in page and "Stuck? Ask the presenter: the solutions are not in these handouts." in page
    nb = executed_notebook()
    nb.cells.append(_exercises_cell())
    page = handouts.to_html(nb, "t", "student", solutions_url="https://example.org/ws/answers")
    assert 'href="https://example.org/ws/answers"' in page and "solutions/" not in page
    nb = executed_notebook()
    nb.cells.append(_exercises_cell())
    assert install_cell.solution_url(STUCK_NOTEBOOK) in handouts.to_html(nb, "t", "instructor")


def test_a_live_display_and_a_widget_keep_what_each_cell_showed(tmp_path):
    """A picture updated by a later cell (LivePreview) and a progress bar stay as their cell left them."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
                    "from IPython.display import display\n"
                    "h = display({'text/plain': 'shown by cell 1'}, raw=True, display_id=True)"),
                nbformat.v4.new_code_cell("h.update({'text/plain': 'shown by cell 2'}, raw=True)\n"
                                          "from tqdm.auto import tqdm\nfor _ in tqdm(range(3), desc='steps'): pass"),
                nbformat.v4.new_code_cell("h.update({'text/plain': 'shown by cell 3'}, raw=True)\n"
                                          "h2 = display({'text/plain': 'cell 3 own'}, raw=True, display_id=True)\n"
                                          "h2.update({'text/plain': 'cell 3 updated'}, raw=True)")]
    path = tmp_path / "live.ipynb"
    nbformat.write(nb, path)
    ran = handouts.execute(path, tmp_path)
    texts = [[o.get("data", {}).get("text/plain") or o.get("text") for o in c.outputs] for c in ran.cells]
    assert texts[0] == ["shown by cell 1"]
    assert len(texts[1]) == 1 and texts[1][0].startswith("steps: 100%|##########| 3/3")
    assert texts[2] == ["cell 3 updated"]
    assert not any(handouts.WIDGET_VIEW in o.get("data", {}) for c in ran.cells for o in c.outputs)


def test_a_saved_or_exported_explorer_is_one_line_saying_it_needs_a_kernel():
    import types

    import ipywidgets
    from nbconvert import HTMLExporter

    from dreamlib.widgets import controls

    panel = types.SimpleNamespace(widget=ipywidgets.VBox([ipywidgets.HBox([ipywidgets.Button()])]))
    bundle = controls.Controls._repr_mimebundle_(panel)   # what explorer() puts in the notebook
    assert handouts.WIDGET_VIEW in bundle                   # live in Jupyter
    assert bundle["text/plain"] == controls.SAVED_TEXT and "running Jupyter kernel" in controls.SAVED_TEXT
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("explorer()", outputs=[nbformat.v4.new_output("display_data", data=bundle)])]
    exported, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)   # no widget state saved
    assert "VBox(" not in exported and controls.SAVED_TEXT in exported
    handout = handouts.to_html(nb, "t", "student")
    assert "VBox(" not in handout and controls.SAVED_TEXT in handout


def test_external_resources_finds_what_a_browser_would_fetch():
    page = ('<script src="https://cdn.example/x.js"></script><link href="//cdn.example/a.css" rel="stylesheet">'
            '<style>@font-face{src:url(https://fonts.example/f.woff2)}</style>'
            '<a href="https://example.org/article">read</a><img src="data:image/png;base64,AAAA">')
    found = handouts.external_resources(page)
    assert len(found) == 3 and not any("example.org/article" in f for f in found)


def test_choose_notebooks_by_number():
    assert handouts.choose("4,03") == ["03_inception_octaves", "04_tiling_big_images"]
    assert handouts.choose("all")[0].startswith("00_")
    with pytest.raises(SystemExit, match=r"no notebook '9'.*NOTEBOOKS=03,04"):
        handouts.choose("9")


def test_editions_wait_for_the_student_release(tmp_path, monkeypatch):
    notebooks, solutions = tmp_path / "notebooks", tmp_path / "solutions"
    notebooks.mkdir()
    monkeypatch.setattr(handouts, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(handouts, "SOLUTIONS", solutions)
    assert handouts.editions("04_x") == [("instructor", notebooks / "04_x.ipynb")]
    solutions.mkdir()
    (solutions / "04_x.ipynb").write_text("{}")
    assert handouts.editions("04_x") == [("instructor", solutions / "04_x.ipynb"),
                                         ("student", notebooks / "04_x.ipynb")]
    assert handouts.editions("00_y") == [("instructor", notebooks / "00_y.ipynb"),
                                         ("student", notebooks / "00_y.ipynb")]
    assert handouts.editions("04_x", ["student"]) == [("student", notebooks / "04_x.ipynb")]


def _fake_readiness(monkeypatch, states):
    from dreamlib import course, models

    def readiness(allow_random):
        found = []
        for notebook, model, name, state in states:
            need = course.Need(model, model == "classes", models.WeightsFile(name, "https://x", None))
            found.append(course.Readiness(notebook, [(need, state)], "verdict"))
        return found

    monkeypatch.setattr(course, "readiness", readiness)


def test_missing_weights_name_files_and_the_command(monkeypatch):
    _fake_readiness(monkeypatch, [("03_inception_octaves", "inception_v3", "inception.h5", "missing"),
                                  ("03_inception_octaves", "classes", "classes.json", "missing"),
                                  ("04_tiling_big_images", "inception_v3", "inception.h5", "missing"),
                                  ("05_guided_dreams", "resnet50", "resnet.h5", "missing")])
    line = handouts.missing_weights(["03_inception_octaves", "04_tiling_big_images"], allow_random=False)
    assert "\n" not in line
    assert "inception.h5 (03, 04)" in line and "classes.json (03)" in line and "resnet" not in line
    assert "dreamlib weights fetch" in line and "dreamlib weights import" in line
    # a labelled untrained stand-in replaces a network, never the class names
    line = handouts.missing_weights(["03_inception_octaves", "04_tiling_big_images"], allow_random=True)
    assert "classes.json (03)" in line and "inception" not in line
    assert handouts.missing_weights(["04_tiling_big_images"], allow_random=True) is None


def test_missing_weights_stop_the_build_before_anything_runs(monkeypatch, tmp_path, capsys):
    _fake_readiness(monkeypatch, [("04_tiling_big_images", "inception_v3", "inception.h5", "missing")])
    monkeypatch.delenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", raising=False)
    monkeypatch.setattr(handouts, "execute", lambda *a: pytest.fail("a notebook ran before the weights check"))
    monkeypatch.setenv("DREAMLIB_QUICK", "1")  # main sets it: restored by monkeypatch afterwards
    assert handouts.main(["--quick", "--notebooks", "04", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "inception.h5 (04)" in err[0] and "dreamlib weights fetch" in err[0]
    assert not list(tmp_path.iterdir())


def _canned_run(path, workdir):
    """What ``execute`` returns, without a kernel: a small executed notebook titled after ``path``."""
    nb = executed_notebook()
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {path.stem[:2]} · The {path.parent.name} notebook"))
    nb.cells.append(_exercises_cell())
    return nb


def test_editions_are_two_folders_each_with_its_own_index(monkeypatch, tmp_path):
    _fake_readiness(monkeypatch, [("04_tiling_big_images", "mobilenet_v2", "mnv2.h5", "bundled"),
                                  ("04_tiling_big_images", "inception_v3", "inception.h5", "missing")])
    monkeypatch.setenv("DREAMLIB_ALLOW_RANDOM_WEIGHTS", "1")
    monkeypatch.setattr(handouts, "execute", _canned_run)
    (tmp_path / "index.html").write_text("an older build's index, linking both editions")
    assert handouts.main(["--quick", "--notebooks", "4", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.txt", "instructor", "student"]
    assert "do not copy" in (tmp_path / "README.txt").read_text()
    student = (tmp_path / "student" / "index.html").read_text()
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == ["04_tiling_big_images.html", "index.html"]
    assert re.findall(r'href="([^"]+)"', student) == ["04_tiling_big_images.html"]    # no way out of the folder
    assert "The notebooks notebook" in student                 # the title, from notebooks/ (the student release)
    assert "quick settings (DREAMLIB_QUICK=1)" in student
    assert "mobilenet_v2: ImageNet weights (bundled with dreamlib)" in student
    assert "inception_v3: UNTRAINED stand-in (random weights)" in student and "Untrained stand-ins" in student
    assert "solutions are not in these handouts" in student
    from dreamlib import course

    gan = course.Readiness("06_dcgan", [], "v", (course.DataState("fashion_mnist", "bundled", "/x"),))
    assert handouts.networks_used("06_dcgan", [gan], False) == [
        "fashion_mnist (data): only the small subset bundled with dreamlib"]
    page = (tmp_path / "student" / "04_tiling_big_images.html").read_text()
    assert "solutions/" not in page and "Instructor edition" not in page
    instructor = (tmp_path / "instructor" / "index.html").read_text()
    assert "These pages show the solutions" in instructor and "The solutions notebook" in instructor
    assert "Instructor edition: this page shows the solutions" in (
        tmp_path / "instructor" / "04_tiling_big_images.html").read_text()
    # a second build of another notebook adds to the folder: the index lists every page in it
    monkeypatch.setattr(handouts, "execute", _canned_run)
    assert handouts.main(["--notebooks", "0", "--editions", "student", "--out", str(tmp_path)]) == 0
    student = (tmp_path / "student" / "index.html").read_text()
    assert re.findall(r'href="([^"]+)"', student) == ["00_start_here.html", "04_tiling_big_images.html"]
    assert "full settings: the source articles" in student and "quick settings" in student


# --- the real thing: a quick handout of notebook 04 in an offline browser ----------------------

from test_browser import browser_tools  # noqa: E402,F401  (fixture: chromium and chromedriver, or a skip)


@pytest.fixture
def offline_chrome(browser_tools):  # noqa: F811
    """Headless chromium that cannot reach any other machine, recording every request it makes."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_tools
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1200,1400", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=127.0.0.1:9", "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        yield driver
    finally:
        driver.quit()


def _requests(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _solution_lines(path):
    """The code lines between nbgrader's solution markers in ``path`` (long enough to be telling)."""
    lines, inside = [], False
    for cell in json.loads(path.read_text())["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


@pytest.fixture(scope="module")
def quick_handout(tmp_path_factory):
    """(edition, page): notebook 04's quick handout, built by tools/handouts.py as `make handouts` does.

    04 has formulas, progress bars, TensorFlow logs, warnings, exercises and the zoom GIF: all a
    handout must handle. The student edition (it must hold no solution) only: the instructor
    edition is the same code on solutions/, and a second build would double the test's time.
    """
    edition = "student"
    out = tmp_path_factory.mktemp("handouts")
    env = {k: v for k, v in os.environ.items() if k != "DREAMLIB_QUICK"}
    env["DREAMLIB_ALLOW_RANDOM_WEIGHTS"] = "1"   # CI has MobileNetV2 only: InceptionV3 stands in, labelled
    start = time.perf_counter()
    build = subprocess.run([sys.executable, str(ROOT / "tools" / "handouts.py"), "--quick", "--notebooks", "04",
                            "--editions", edition, "--out", str(out)], env=env, cwd=out,
                           capture_output=True, text=True, timeout=900)
    print(f"quick {edition} handout of 04 built in {time.perf_counter() - start:.0f} s")
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-3000:]
    assert (out / edition / "index.html").exists() and not (out / "instructor").exists()
    return edition, out / edition / "04_tiling_big_images.html"


@pytest.mark.dist
def test_quick_handout_is_one_self_contained_file(quick_handout):
    """What can be read from the file itself (this runs even where chromium is not installed)."""
    _, page = quick_handout
    text = page.read_text(encoding="utf-8")
    assert handouts.external_resources(text) == [] and "<script src" not in text
    assert text.count("<math") >= 5 and "dreamlibmath" not in text
    assert 'src="data:image/gif;base64,' in text and "IPython.core.display.Image object" not in text
    assert "I0000" not in text and "absl::InitializeLog" not in text
    assert re.search(r"100%\|#{10}\| \d+/\d+", text), "progress bars are not plain text"


@pytest.mark.dist
@pytest.mark.browser
def test_quick_handout_opens_offline_with_math_and_animation(offline_chrome, quick_handout, tmp_path):
    edition, page = quick_handout
    offline_chrome.get(page.as_uri())
    time.sleep(1)
    driver = offline_chrome
    assert all(url.startswith(("file:", "data:")) for url in _requests(driver)), _requests(driver)
    math = driver.execute_script(
        "return Array.from(document.querySelectorAll('math')).map(m => m.getBoundingClientRect().width)")
    assert len(math) >= 5 and all(w > 0 for w in math), math            # MathML drawn by the browser
    prose = driver.execute_script(
        "return Array.from(document.querySelectorAll('.jp-RenderedMarkdown')).map(e => {"
        "  const c = e.cloneNode(true); c.querySelectorAll('code, pre').forEach(x => x.remove());"
        "  return c.innerText; }).join('\\n')")
    assert "$" not in prose, "raw TeX left in the prose"
    gif = driver.execute_script(
        "const g = document.querySelector('img[src^=\"data:image/gif\"]');"
        "if (!g) return null; g.scrollIntoView(); return [g.complete, g.naturalWidth, g.src.length]")
    assert gif and gif[0] and gif[1] > 0, "the zoom animation is not embedded"
    from PIL import Image

    src = driver.execute_script("return document.querySelector('img[src^=\"data:image/gif\"]').src")
    assert Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).n_frames > 1   # it animates
    text = driver.find_element("tag name", "body").text
    assert "IPython.core.display.Image object" not in text and "I0000" not in text
    assert re.search(r"100%\|#{10}\| \d+/\d+", text), "progress bars are not plain text"
    driver.execute_script("document.querySelector('img[src^=\"data:image/gif\"]').scrollIntoView({block: 'center'})")
    time.sleep(0.5)
    driver.save_screenshot(str(tmp_path / "handout_gif.png"))
    driver.execute_script("(document.querySelector('math[display=\"block\"]') || document.querySelectorAll('math')[1])"
                          ".scrollIntoView({block: 'center'})")
    driver.save_screenshot(str(tmp_path / "handout_math.png"))
    print("screenshots:", tmp_path / "handout_gif.png", tmp_path / "handout_math.png")


def _links(driver):
    return driver.execute_script("return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")


@pytest.mark.dist
@pytest.mark.browser
def test_student_folder_holds_no_solution_and_no_link_to_one(offline_chrome, quick_handout, tmp_path):
    """From the student index, offline, every page the folder holds: no solution line, no link to a
    solution, to the instructor edition or out of the folder; the index says what each page is."""
    _, page = quick_handout
    folder = page.parent
    driver = offline_chrome
    driver.get((folder / "index.html").as_uri())
    index_text = driver.find_element("tag name", "body").text
    assert "Student edition" in index_text and "Tiling big images" in index_text
    assert "quick settings (DREAMLIB_QUICK=1)" in index_text and "inception_v3: " in index_text
    assert "solutions are not in these handouts" in index_text
    driver.save_screenshot(str(tmp_path / "student_index.png"))
    print("screenshot:", tmp_path / "student_index.png")
    pages, seen, texts = [folder / "index.html"], set(), {}
    while pages:
        path = pages.pop()
        if path in seen:
            continue
        seen.add(path)
        driver.get(path.as_uri())
        texts[path.name] = driver.find_element("tag name", "body").text
        for url in _links(driver):
            assert "solution" not in url.lower() and "instructor" not in url.lower(), (path.name, url)
            if url.startswith("file:"):
                target = Path(url.split("#")[0].removeprefix("file://"))
                assert target.parent == folder and target.exists(), (path.name, url)
                pages.append(target)
    assert all(url.startswith(("file:", "data:")) for url in _requests(driver))
    assert sorted(p.name for p in seen) == sorted(p.name for p in folder.glob("*.html"))   # all reachable
    name = page.with_suffix(".ipynb").name
    released = "\n".join("".join(c["source"]) for c in json.loads((handouts.NOTEBOOKS / name).read_text())["cells"])
    hidden = [line for line in _solution_lines(handouts.SOLUTIONS / name) if line not in released]
    assert hidden, "found no solution lines to look for"
    for page_name, text in texts.items():
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"solution lines in {page_name}: {leaked[:3]}"
        assert "Instructor edition" not in text and "solutions/" not in text, page_name
    assert "Stuck? Ask the presenter: the solutions are not in these handouts." in texts[page.name]


def test_bad_choice_is_one_line_and_status_2(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "handouts.py"), "--notebooks", "9",
                          "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.strip().count("\n") == 0
    assert "no notebook '9'" in run.stderr and not list(tmp_path.iterdir())


# --- the lone notebook knows its source: one setting, [project.urls] Homepage -------------------

def test_one_setting_makes_the_colab_links_install_cell_stuck_links_and_readme():
    import tomllib

    home = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    assert install_cell.HOME == home and home.startswith("https://github.com/")
    owner_name = home.removeprefix("https://github.com/")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    assert install_cell.main(["--check"]) == 0, "run python tools/install_cell.py, then tools/student.py"
    assert install_cell.main(["--check", *map(str, notebooks)]) == 0
    readme = (ROOT / "README.md").read_text()
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        colab = f"https://colab.research.google.com/github/{owner_name}/blob/main/notebooks/{path.name}"
        assert "".join(cells[0]["source"]).startswith(f"[Open in Colab]({colab})"), path
        assert colab in readme
        install = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        assert 'os.environ.get("DREAMLIB_SOURCE", "dreamlib")' in install   # the name until it is on PyPI
        assert f"{home}/releases" in install and f"git+{home}.git" in install   # the wheel route, named
        stuck = [line for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines() if "Stuck?" in line]
        assert stuck == [f"Stuck? The solved notebook is [solutions/{path.name}]({home}/blob/main/solutions/"
                         f"{path.name}) - look only after trying."], path
    assert f"**{home}**" in readme and "that is where the course will be published" in readme


def test_stuck_sentence_gets_a_line_of_its_own_and_stays_one():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": [
        "## Exercises\n", "\n", "Run the check. Stuck? The solved notebook is `solutions/x.ipynb` in the\n",
        "course repository - look only\n", "after trying.\n", "\n", "**Exercise 1**"]}]}
    once = install_cell.with_stuck_sentence(nb, "04_x")
    text = "".join(once["cells"][0]["source"])
    assert text == ("## Exercises\n\nRun the check.\n" + install_cell.stuck_sentence("04_x") + "\n\n**Exercise 1**")
    assert install_cell.with_stuck_sentence(json.loads(json.dumps(once)), "04_x") == once
