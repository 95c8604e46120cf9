"""Workshop handouts: each notebook executed, then written as ONE self-contained HTML file.

    python tools/handouts.py [--quick] [--notebooks 03,04] [--out build/handouts] [--solutions-url URL]
    make handouts QUICK=1 NOTEBOOKS=03,04          # the same, from the Makefile

Two editions that cannot be mixed up, each a folder complete on its own with its own index.html:

- ``student/`` (the student release in notebooks/, which `make student` writes): no solutions, no
  link to them; each exercises intro's "Stuck?" line says the solutions are not in the handout, or
  (``--solutions-url``) where the presenter will publish them. This is the folder to hand out.
- ``instructor/`` (from solutions/): every page and its index say they hold the solutions.

Each HTML file opens from a USB stick with no network: pictures and animations are embedded,
formulas are MathML rendered at build time (latex2mathml; browsers draw MathML natively, so
neither MathJax nor a CDN is needed), progress bars are plain text, widgets are replaced by a
short note, and nothing is loaded from another machine. Each cell shows what it showed when it
ran: a picture a later cell updates in place (``LivePreview``) stays as it was. Warnings,
TensorFlow's log lines and the build machine's paths are left out. Each index names the
notebooks, the settings, and the network each one used (an untrained stand-in said as such).

Missing weights are found before anything runs (dreamlib.course, the table `dreamlib weights`
reads): one line names the files and the command that gets them.
"""

import argparse
import base64
import html
import json
import os
import re
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"   # the notebooks with solutions (the instructor edition's source)
NOTEBOOKS = ROOT / "notebooks"   # the student release (or, before it exists, the only notebooks)
OUT = ROOT / "build" / "handouts"

# ---------------------------------------------------------------------------------------------
# Output clean-up: small nbconvert preprocessors, each one idea, each tested on its own.

from nbconvert.preprocessors import ExecutePreprocessor, Preprocessor  # noqa: E402

TF_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] .*"                # absl/glog: I0000 00:00:...
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r"|(?:WARNING|INFO|ERROR):(?:tensorflow|absl):.*)$")
# Python's warnings.showwarning: "FILE:LINE: CATEGORY: message", then the source line indented
WARNING_LINE = re.compile(r"^\S.*:\d+: [A-Z]\w*(?:Warning|Notice): ")


def without_tf_log_lines(text):
    """``text`` less TensorFlow's and absl's log lines (start-up chatter a reader cannot act on)."""
    return "".join(line for line in text.splitlines(keepends=True) if not TF_LOG_LINE.match(line.rstrip("\n")))


def without_warnings(text):
    """``text`` less Python warnings (each with its indented source line) and TensorFlow's log lines.
    A handout says what a warning says where it matters: untrained pictures are stamped, and
    each index names the networks that ran on random weights."""
    kept, in_warning = [], False
    for line in without_tf_log_lines(text).splitlines(keepends=True):
        if WARNING_LINE.match(line):
            in_warning = True
        elif not (in_warning and line.startswith("  ")):
            in_warning = False
            kept.append(line)
    return "".join(kept)


class DropWarnings(Preprocessor):
    """No pink boxes: warnings and TensorFlow's log lines leave stderr; what stderr still holds
    (a text progress bar, a library's notice) is shown as plain output; empty streams go."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            kept = []
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    out.text = without_warnings(out.text)
                    if not out.text.strip():
                        continue
                    out.name = "stdout"
                kept.append(out)
            cell.outputs = kept
        return cell, resources


DropTensorFlowLogs = DropWarnings  # its former name
REPORT_PATH_LINE = re.compile(r"^ +(?:dreamlib from|Python is) .*\n?", re.M)  # environment.report's


def build_paths(workdir=None):
    """[(path on the build machine, what a handout says instead)], longest first: the folder a
    notebook ran in, the course folder, the Python environment, the home folder."""
    import site
    import sysconfig

    home = Path.home()
    pairs = {}
    for path, instead in ([(workdir, ".")] if workdir else []) + [
            (ROOT, "…"), (sys.prefix, "…"), (sys.base_prefix, "…"), (sysconfig.get_paths()["purelib"], "…"),
            *((p, "…") for p in site.getsitepackages()), (home, "~")]:
        for variant in {str(path), os.path.realpath(path)}:
            if len(Path(variant).parts) > 2 or instead == "~":   # not a system folder such as /usr
                pairs.setdefault(variant, instead)
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def without_paths(text, paths):
    for path, instead in paths:
        text = text.replace(path + os.sep, "" if instead == "." else instead + "/").replace(path, instead)
    return text


class HideBuildPaths(Preprocessor):
    """No path of the build machine on the page: the first cell's two path lines go, and any other
    path in an output becomes relative ("." for the folder it ran in, "~" for the home folder)."""

    def __init__(self, paths=(), **kw):
        super().__init__(**kw)
        self.paths = list(paths)

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = without_paths(REPORT_PATH_LINE.sub("", out["text"]), self.paths)
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    out["data"][mime] = without_paths(value, self.paths)
            if out.get("output_type") == "error":
                out["traceback"] = [without_paths(line, self.paths) for line in out.get("traceback", [])]
        return cell, resources


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = ("<p><em>An interactive panel appears here when this notebook runs in Jupyter "
               "(this page is a printout).</em></p>")


def progress_text(model_id, state):
    """The text of a tqdm notebook bar (an HBox of HTML, progress, HTML) from saved widget state,
    e.g. ``dreaming: 100%|##########| 40/40 [00:01<00:00]``; None for any other widget."""
    box = state.get(model_id, {})
    children = [c.removeprefix("IPY_MODEL_") for c in box.get("state", {}).get("children", [])]
    if box.get("model_name") != "HBoxModel" or len(children) != 3:
        return None
    left, bar, right = (state.get(c, {}) for c in children)
    if (left.get("model_name"), right.get("model_name")) != ("HTMLModel", "HTMLModel") or \
            bar.get("model_name") not in ("FloatProgressModel", "IntProgressModel"):
        return None
    value, top = bar["state"].get("value", 0), bar["state"].get("max", 1) or 1
    filled = max(0, min(10, round(10 * value / top)))
    text = f"{left['state'].get('value', '')}|{'#' * filled}{' ' * (10 - filled)}|{right['state'].get('value', '')}"
    return html.unescape(text).replace("\u2007", " ").replace("\u00a0", " ")


def static_outputs(outputs, state):
    """``outputs`` with each widget a printout: a progress bar a line of text, a widget that says
    what it is without a kernel (the explorer's text/html) that line, any other a short note."""
    fixed = []
    for out in outputs:
        view = out.get("data", {}).get(WIDGET_VIEW)
        if view is None:
            fixed.append(out)
            continue
        text = progress_text(view.get("model_id"), state)
        if text is not None:
            fixed.append({"output_type": "stream", "name": "stdout", "text": text + "\n"})
        else:
            note = out["data"].get("text/html", WIDGET_NOTE)
            fixed.append({"output_type": "display_data", "metadata": {}, "data": {"text/html": note}})
    return fixed


class WidgetsToText(Preprocessor):
    """Widgets left in a notebook become text (``static_outputs``) from its saved widget state,
    which is then dropped, so the page loads no widget JavaScript (which would come from a CDN)."""

    def preprocess(self, nb, resources):
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat_node(o) for o in static_outputs(cell.outputs, state)]
        nb.metadata.pop("widgets", None)
        return nb, resources


def nbformat_node(out):
    from nbformat import from_dict

    return from_dict(out)


class FrozenCells(ExecutePreprocessor):
    """Runs a notebook as Jupyter does, but each cell keeps what it showed when it finished: a
    display that a later cell updates in place (``LivePreview.update``, a display id) changes only
    in the cell that runs now, and widgets become text as each cell ends, from their state then."""

    def process_message(self, msg, cell, cell_index):
        self._running = cell_index
        return super().process_message(msg, cell, cell_index)

    def _update_display_id(self, display_id, msg):
        shown = self._display_id_map.get(display_id, {})
        self._display_id_map[display_id] = {i: o for i, o in shown.items() if i == getattr(self, "_running", None)}
        try:
            super()._update_display_id(display_id, msg)
        finally:
            self._display_id_map[display_id] = shown

    def freeze(self, cell, **_):
        """on_cell_executed: the cell's widgets as text, from their state as the cell ends."""
        state = {model: self._serialize_widget_state(s) for model, s in self.widget_state.items()}
        cell.outputs = [nbformat_node(o) for o in static_outputs(cell.outputs, state)]


def stuck_line(solutions_url):
    """The student handout's "Stuck?" line: where the solutions will be, or that they are not here."""
    if solutions_url:
        return (f"Stuck? The presenter will publish the solutions at [{solutions_url}]({solutions_url}) "
                "after the workshop - look only after trying.")
    return "Stuck? Ask the presenter: the solutions are not in these handouts."


class StudentStuckLine(Preprocessor):
    """The student edition's "Stuck?" sentence (tools/install_cell.py writes it, linking the solved
    notebook) says where the presenter will publish the solutions, or only that they are not here."""

    def __init__(self, solutions_url=None, **kw):
        super().__init__(**kw)
        self.solutions_url = solutions_url

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = STUCK.sub(lambda _: stuck_line(self.solutions_url), cell.source)
        return cell, resources


STUCK = re.compile(r"Stuck\?.*?after trying\.", re.S)  # as tools/install_cell.py recognises it
INSTRUCTOR_BANNER = ("> **Instructor edition: this page shows the solutions.** Hand out the `student` "
                     "folder only; keep the `instructor` folder off the stick.")


class EmbedGifs(Preprocessor):
    """An ``image/gif`` output (IPython.display.Image of a GIF), which nbconvert's HTML cannot show,
    becomes an <img> with the GIF inline as base64: the animation plays from the file."""

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            gif = out.get("data", {}).get("image/gif")
            if gif:
                b64 = gif if isinstance(gif, str) else base64.b64encode(gif).decode()
                out["data"]["text/html"] = f'<img src="data:image/gif;base64,{b64.strip()}" alt="animation">'
        return cell, resources


FENCED_OR_CODE = re.compile(r"(```.*?```|~~~.*?~~~|``[^`].*?``|`[^`\n]*`)", re.S)
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?=\S)([^$\n]+?)(?<=\S)\$", re.S)
TEXT_COMMAND = re.compile(r"\\(text|texttt|mathrm|textrm|textbf)\{([^{}]*)\}")


def tex_to_mathml(tex, display):
    """MathML for one TeX formula (``display`` for $$...$$), via latex2mathml."""
    from latex2mathml.converter import convert

    tex = TEXT_COMMAND.sub(lambda m: "\\%s{%s}" % (m.group(1), m.group(2).replace("\\_", "_")), tex)
    return convert(tex.strip(), display="block" if display else "inline")


class RenderMath(Preprocessor):
    """Every $...$ and $$...$$ outside code in markdown (cells and text/markdown outputs) becomes
    a placeholder word; ``fill_math`` swaps the MathML in after the HTML is written, so markdown
    never touches the MathML."""

    def preprocess(self, nb, resources):
        formulas = resources.setdefault("math", {})

        def replace(match):
            token = f"dreamlibmath{len(formulas):05d}x"
            try:
                formulas[token] = tex_to_mathml(match.group(1) or match.group(2), match.group(1) is not None)
            except Exception as e:  # a formula latex2mathml cannot read stays visible as TeX code
                print(f"handouts: formula {match.group(0)!r} shown as TeX ({e})", file=sys.stderr)
                formulas[token] = f"<code>{html.escape(match.group(0).strip('$'))}</code>"
            return token

        def render(text):
            parts = FENCED_OR_CODE.split(text)  # odd indices are code: left as written
            return "".join(p if i % 2 else MATH.sub(replace, p) for i, p in enumerate(parts))

        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = render(cell.source)
            for out in cell.get("outputs", []):
                if "text/markdown" in out.get("data", {}):
                    out["data"]["text/markdown"] = render(out["data"]["text/markdown"])
        return nb, resources


def fill_math(page, formulas):
    """The HTML page with each placeholder replaced by its MathML."""
    return re.sub(r"dreamlibmath\d{5}x", lambda m: formulas.get(m.group(0), m.group(0)), page)


# ---------------------------------------------------------------------------------------------
# The page: JupyterLab's look, without the scripts it would fetch (require.js, MathJax, widgets).

TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
math { font-size: 1.1em; }
math[display="block"] { margin: 0.6em 0; font-size: 1.3em; }
.jp-OutputArea-output img { max-width: 100%; }
</style>
{%- endblock extra_css -%}
"""

EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^\s\"'>]+"
    r"|url\(\s*[\"']?(?:https?:)?//[^)]+\)|@import\s+[\"'](?:https?:)?//[^\"']+", re.I)


def external_resources(page):
    """What ``page`` would fetch from another machine (scripts, styles, pictures, fonts); links
    a reader may click are not fetched and not listed."""
    return EXTERNAL.findall(page)


def to_html(nb, title, edition="instructor", paths=None, solutions_url=None):
    """One self-contained HTML page for an executed notebook of ``edition``; ``paths`` are the
    build machine's (``build_paths``) to leave out; ``solutions_url`` goes in the student "Stuck?" line."""
    import jinja2
    from nbconvert import HTMLExporter

    if edition == "instructor":
        from nbformat.v4 import new_markdown_cell

        nb.cells.insert(0, new_markdown_cell(INSTRUCTOR_BANNER))
    edition_steps = [StudentStuckLine(solutions_url=solutions_url)] if edition == "student" else []
    exporter = HTMLExporter(template_name="lab", template_file="handout.html.j2", embed_images=True,
                            extra_loaders=[jinja2.DictLoader({"handout.html.j2": TEMPLATE})],
                            exclude_anchor_links=True,
                            preprocessors=[DropWarnings, WidgetsToText, HideBuildPaths(build_paths() if paths is None
                                                                                       else paths),
                                           *edition_steps, EmbedGifs, RenderMath])
    nb.metadata["title"] = title
    page, resources = exporter.from_notebook_node(nb, resources={"math": {}})
    page = fill_math(page, resources["math"])
    fetched = external_resources(page)
    if fetched:
        raise SystemExit(f"handouts: {title} would load {fetched[0]} from the network: fix tools/handouts.py")
    return page


# ---------------------------------------------------------------------------------------------
# Which notebooks, which editions, and whether their weights are here.

def choose(selection, folder=NOTEBOOKS):
    """Notebook stems for ``selection`` ("all" or "03,04" or "3,4"), in course order."""
    stems = sorted(p.stem for p in folder.glob("*.ipynb"))
    if selection in ("", "all"):
        return stems
    chosen = []
    for item in selection.split(","):
        item = item.strip()
        match = [s for s in stems if s.split("_")[0] == item.zfill(2) or s == item]
        if not match:
            raise SystemExit(f"handouts: no notebook {item!r}: choose from "
                             f"{', '.join(s.split('_')[0] for s in stems)} (e.g. NOTEBOOKS=03,04)")
        chosen += [s for s in match if s not in chosen]
    return sorted(chosen)


def editions(stem, wanted=("instructor", "student")):
    """[(edition, source notebook)] for one notebook. The instructor edition comes from solutions/;
    the student edition is the student release in notebooks/ (`make student`). A notebook without
    exercises is the same in both. Before solutions/ exists (no student release yet), notebooks/
    still holds the solutions, so only the instructor edition can be made."""
    solved, student = SOLUTIONS / f"{stem}.ipynb", NOTEBOOKS / f"{stem}.ipynb"
    if not SOLUTIONS.is_dir():
        found = [("instructor", student)]
    else:
        found = [("instructor", solved if solved.exists() else student), ("student", student)]
    return [(edition, path) for edition, path in found if edition in wanted]


def missing_weights(stems, allow_random, who="handouts"):
    """One line naming the weight files that would stop these notebooks, or None when none would
    (``who`` starts the line: `make grade` checks with the same line).

    With ``allow_random`` a missing network is replaced by a labelled untrained one, so only files
    that no stand-in can replace (the ImageNet class names) still count."""
    from dreamlib import course

    missing = {}
    for ready in course.readiness(allow_random):
        if ready.notebook in stems:
            for need, state in ready.states:
                if state == "missing" and (not allow_random or need.model == "classes"):
                    missing.setdefault(need.file.name, []).append(ready.notebook.split("_")[0])
    if not missing:
        return None
    files = ", ".join(f"{name} ({', '.join(books)})" for name, books in missing.items())
    return (f"{who}: missing weights {files}: run `dreamlib weights fetch` on a connected machine, or "
            f"`dreamlib weights import FOLDER` from a USB stick (DREAMLIB_ALLOW_RANDOM_WEIGHTS=1 runs "
            f"on labelled untrained stand-ins)")


def missing_data(stems, who="handouts"):
    """One line when notebook 06 is among ``stems`` and Fashion-MNIST is not on this machine, else None."""
    from dreamlib import data

    if "06_dcgan" in stems and data.locate_dataset("fashion_mnist") is None:
        return (f"{who}: Fashion-MNIST is not on this machine: notebook 06 will download it (30 MB); "
                "offline, set DREAMLIB_FASHION_MNIST_DIR first (see README, Offline and classroom use)")
    return None


# ---------------------------------------------------------------------------------------------

def execute(path, workdir):
    """The notebook at ``path``, executed in ``workdir`` (a cell progress bar while it runs), each
    cell frozen as it ends (``FrozenCells``)."""
    import nbformat
    from nbconvert.preprocessors import CellExecutionError
    from tqdm import tqdm

    nb = nbformat.read(path, as_version=4)
    client = FrozenCells(timeout=None, store_widget_state=True, kernel_name="python3")
    with tqdm(total=sum(c.cell_type == "code" for c in nb.cells), desc=f"  {path.parent.name}/{path.name}",
              unit="cell", file=sys.stdout, ascii=True, leave=False) as bar:
        def executed(cell, **_):
            client.freeze(cell)
            bar.update()

        client.on_cell_executed = executed
        try:
            client.preprocess(nb, {"metadata": {"path": str(workdir)}})
        except CellExecutionError as e:
            cell = next((c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                        None)
            error = next((o for o in (cell.outputs if cell else []) if o.get("output_type") == "error"), {})
            raise SystemExit(f"handouts: {path.name} stopped: {error.get('ename', 'error')}: "
                             f"{error.get('evalue', str(e).splitlines()[-1])}") from None
    return nb


def write_atomic(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Each edition's index: what each page is, with which settings and networks it was made.

META = re.compile(r'<meta name="dreamlib-handout" content="([^"]*)">')


def notebook_title(nb):
    """The notebook's title: its first "# " heading, less the number ("VGG19 two-layer DeepDream")."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return re.sub(r"^#\s*(?:\d+\s*[·.:-]\s*)?", "", line).strip()
    return None


def networks_used(stem, readiness, allow_random):
    """One line per network the notebook builds: real weights (cached or bundled), or an untrained
    stand-in; and one per data set it reads: from dreamlib.course's table as it was when the page was made."""
    lines = {}
    for ready in readiness:
        if ready.notebook != stem:
            continue
        for need, state in ready.states:
            if need.model == "classes":
                continue
            if state == "missing":
                what = ("UNTRAINED stand-in (random weights): its pictures are not real dreams"
                        if allow_random else "missing")
            else:
                what = "ImageNet weights" + (" (bundled with dreamlib)" if state == "bundled" else "")
            lines.setdefault(need.model, f"{need.model}: {what}")
        for found in getattr(ready, "data", ()):   # the data sets it reads (dreamlib.course.DataState)
            what = {"full": "the full data set", "bundled": "only the small subset bundled with dreamlib"}
            lines.setdefault(found.kind, f"{found.kind} (data): {what.get(found.state, 'missing')}")
    return list(lines.values())


def page_facts(stem, title, edition, quick, networks):
    """What the index says about one page; it travels inside the page (a <meta> line)."""
    from dreamlib import __version__

    return {"stem": stem, "title": title, "edition": edition, "quick": quick, "networks": networks,
            "built": time.strftime("%Y-%m-%d"), "dreamlib": __version__}


def with_facts(page, facts):
    line = f'<meta name="dreamlib-handout" content="{html.escape(json.dumps(facts), quote=True)}">'
    return page.replace("<head>", "<head>\n" + line, 1)


def read_facts(page_path):
    """The facts a page carries, or the bare minimum for a page without them."""
    found = META.search(page_path.read_text(encoding="utf-8", errors="replace")[:20000])
    if found:
        return json.loads(html.unescape(found.group(1)))
    return {"stem": page_path.stem, "title": None, "quick": None, "networks": []}


SETTINGS_TEXT = {
    True: "quick settings (DREAMLIB_QUICK=1): small pictures and few steps, so that a laptop CPU runs "
          "each notebook in minutes; the pictures are smaller and rougher than the articles'",
    False: "full settings: the source articles' own picture sizes and steps",
    None: "settings not recorded",
}

INDEX_STYLE = """body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
  line-height: 1.45; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; vertical-align: top;
  padding: 0.45em 0.6em; border-bottom: 1px solid #ddd; }
.note { background: #f4f4f4; border-left: 4px solid #888; padding: 0.6em 1em; }
.warn { border-left-color: #c60; } .solutions { background: #fff1e6; border-left: 4px solid #c00; padding: 0.6em 1em; }
.networks { margin: 0; padding-left: 1.1em; font-size: 0.92em; } small { color: #555; }"""


def index_page(edition, pages, solutions_url=None):
    """The index.html of one edition's folder: ``pages`` are the facts of every page in it."""
    pages = sorted(pages, key=lambda f: f["stem"])
    rows = []
    for f in pages:
        number = f["stem"].split("_")[0]
        name = html.escape(f.get("title") or f["stem"])
        nets = "".join(f"<li>{html.escape(n)}</li>" for n in f.get("networks", [])) or "<li>no pretrained network, no data set</li>"
        rows.append(f'<tr><td>{number}</td><td><a href="{html.escape(f["stem"])}.html">{name}</a><br>'
                    f'<small>{html.escape(f["stem"])}.html</small></td><td><ul class="networks">{nets}</ul></td></tr>')
    settings = sorted({SETTINGS_TEXT[f.get("quick")] for f in pages})
    built = sorted({f"{f['built']}, dreamlib {f['dreamlib']}" for f in pages if f.get("built")})
    stand_ins = [f["stem"].split("_")[0] for f in pages if any("UNTRAINED" in n for n in f.get("networks", []))]
    parts = [f"<h1>dreamlib: DeepDream course handouts</h1>",
             f"<p><strong>{'Student' if edition == 'student' else 'Instructor'} edition</strong>, "
             f"{len(pages)} notebook{'s' * (len(pages) != 1)}. Every page is one file that opens from this "
             "folder in any browser, without a network.</p>"]
    if edition == "instructor":
        parts.append('<p class="solutions"><strong>These pages show the solutions.</strong> Hand out the '
                     "<code>student</code> folder only; do not copy this <code>instructor</code> folder.</p>")
    parts.append(f"<p>Made with {'; '.join(settings)}.</p>")
    if stand_ins:
        parts.append(f'<p class="note warn"><strong>Untrained stand-ins.</strong> The networks marked UNTRAINED '
                     f"below (notebook{'s' * (len(stand_ins) != 1)} {', '.join(stand_ins)}) had no ImageNet weights "
                     "on the machine that made these pages and ran with random weights: their pictures are "
                     "labelled as such and show the code running, not real dreams.</p>")
    parts.append("<table><thead><tr><th>#</th><th>notebook</th><th>networks and data used</th></tr></thead><tbody>"
                 + "".join(rows) + "</tbody></table>")
    if edition == "student":
        where = (f'will be published at <a href="{html.escape(solutions_url)}">{html.escape(solutions_url)}</a> '
                 "after the workshop" if solutions_url else "are not in these handouts: ask the presenter")
        parts.append(f'<p class="note">The exercises\' solutions {where}.</p>')
    if built:
        parts.append(f"<p><small>Built {'; '.join(built)}.</small></p>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>dreamlib handouts ({edition} edition)</title><style>{INDEX_STYLE}</style></head>"
            f"<body>\n{''.join(parts)}\n</body></html>\n")


def write_index(folder, edition, solutions_url=None):
    pages = [read_facts(p) for p in sorted(folder.glob("*.html")) if p.name != "index.html"]
    write_atomic(folder / "index.html", index_page(edition, pages, solutions_url))


FOLDERS_NOTE = """student/     the handouts: copy THIS folder onto the USB stick (open student/index.html)
instructor/  the same pages WITH THE SOLUTIONS: for the presenter only, do not copy it
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick settings (small pictures, few steps)")
    parser.add_argument("--notebooks", default="all", help='"all" (default) or numbers, e.g. 03,04')
    parser.add_argument("--out", type=Path, default=OUT, help="where the handouts go (default build/handouts)")
    parser.add_argument("--editions", default="instructor,student",
                        help="instructor, student or both (default: both)")
    parser.add_argument("--solutions-url", default=None,
                        help="where you will publish the solutions: the student pages' Stuck? line says so "
                             "(default: that the solutions are not in the handouts)")
    args = parser.parse_args(argv)

    # the settings reach the notebooks' kernels through the environment; a caller's (a test's) is
    # given back untouched afterwards
    with mock.patch.dict(os.environ):
        return build(args)


def build(args):
    """Write the handouts that ``main``'s parsed ``args`` ask for; returns the exit status."""
    import tempfile

    os.environ["DREAMLIB_QUICK"] = "1" if args.quick else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer TF lines on the console too (the page has none)
    # the kernel is the Python running this script, whatever `python` means on PATH
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    from dreamlib import course, settings

    stems = choose(args.notebooks)
    wanted = [e.strip() for e in args.editions.split(",")]
    if not wanted or set(wanted) - {"instructor", "student"}:
        raise SystemExit(f"handouts: --editions {args.editions!r}: use instructor, student or both")
    allow_random = settings.random_weights_allowed()
    problem = missing_weights(stems, allow_random)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    notice = missing_data(stems)
    if notice:
        print(notice)
    if "student" in wanted and not SOLUTIONS.is_dir():
        print("handouts: the student edition needs the student release (solutions/ and `make student`): "
              "writing the instructor edition only")
    readiness = course.readiness(allow_random)
    (args.out / "index.html").unlink(missing_ok=True)  # an older layout's index, which linked both editions
    mode = "quick" if args.quick else "full"
    count, made, start = 0, set(), time.perf_counter()
    for stem in stems:
        count += 1
        for edition, source in editions(stem, wanted):
            began = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="handout_") as workdir:
                nb = execute(source, workdir)
                paths = build_paths(workdir)
            title = notebook_title(nb)
            page = to_html(nb, f"{stem.split('_')[0]} · {title or stem}" + (" (instructor edition)" if
                                                                             edition == "instructor" else ""),
                           edition, paths, args.solutions_url)
            facts = page_facts(stem, title, edition, args.quick, networks_used(stem, readiness, allow_random))
            target = args.out / edition / f"{stem}.html"
            write_atomic(target, with_facts(page, facts))
            made.add(edition)
            print(f"{target}  {len(page) / 1e6:.1f} MB  {time.perf_counter() - began:.0f} s")
    for edition in made:
        write_index(args.out / edition, edition, args.solutions_url)
    if made:
        write_atomic(args.out / "README.txt", FOLDERS_NOTE)
    hand_out = args.out / "student" if "student" in made else args.out / "instructor"
    print(f"handouts ({mode} settings): {count} notebook{'s' * (count != 1)} in {time.perf_counter() - start:.0f} s; "
          f"open {hand_out / 'index.html'}" + ("; copy only the student folder to a USB stick (instructor/ holds "
                                               "the solutions)" if "student" in made else ""))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:  # a one-line message for bad input: exit status 2, as the dreamlib CLI
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            sys.exit(2)
        raise
