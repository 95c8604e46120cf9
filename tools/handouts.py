"""Workshop handouts: each notebook executed, then written as ONE self-contained HTML file.

    python tools/handouts.py [--quick] [--notebooks 03,04] [--out build/handouts]
    make handouts QUICK=1 NOTEBOOKS=03,04          # the same, from the Makefile

Two editions: ``instructor/`` (the notebooks with their solutions, from solutions/) and
``student/`` (the student release in notebooks/, which `make student` writes; no solutions).
Each HTML file opens from a USB stick with no network: pictures and animations are embedded,
formulas are MathML rendered at build time (latex2mathml; browsers draw MathML natively, so
neither MathJax nor a CDN is needed), progress bars are plain text, TensorFlow's log lines are
gone, widgets are replaced by a short note, and nothing is loaded from another machine.

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

from nbconvert.preprocessors import Preprocessor  # noqa: E402

TF_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] .*"                # absl/glog: I0000 00:00:...
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\."
    r"|(?:WARNING|INFO|ERROR):(?:tensorflow|absl):.*)$")


def without_tf_log_lines(text):
    """``text`` less TensorFlow's and absl's log lines (start-up chatter a reader cannot act on)."""
    return "".join(line for line in text.splitlines(keepends=True) if not TF_LOG_LINE.match(line.rstrip("\n")))


class DropTensorFlowLogs(Preprocessor):
    """Remove TensorFlow/absl log lines from stderr streams; drop streams left empty."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            kept = []
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    out.text = without_tf_log_lines(out.text)
                    if not out.text.strip():
                        continue
                kept.append(out)
            cell.outputs = kept
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


class WidgetsToText(Preprocessor):
    """Progress bars become a line of text; any other widget becomes a short note. The widget
    state is then dropped, so the page loads no widget JavaScript (which would come from a CDN)."""

    def preprocess(self, nb, resources):
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for i, out in enumerate(cell.outputs):
                view = out.get("data", {}).get(WIDGET_VIEW)
                if view is None:
                    continue
                text = progress_text(view.get("model_id"), state)
                if text is not None:
                    cell.outputs[i] = {"output_type": "stream", "name": "stdout", "text": text + "\n"}
                else:
                    cell.outputs[i] = {"output_type": "display_data", "metadata": {},
                                       "data": {"text/html": WIDGET_NOTE}}
        nb.metadata.pop("widgets", None)
        return nb, resources


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


def to_html(nb, title):
    """One self-contained HTML page for an executed notebook."""
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", template_file="handout.html.j2", embed_images=True,
                            extra_loaders=[jinja2.DictLoader({"handout.html.j2": TEMPLATE})],
                            exclude_anchor_links=True,
                            preprocessors=[DropTensorFlowLogs, WidgetsToText, EmbedGifs, RenderMath])
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


def missing_weights(stems, allow_random):
    """One line naming the weight files that would stop these notebooks, or None when none would.

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
    return (f"handouts: missing weights {files}: run `dreamlib weights fetch` on a connected machine, or "
            f"`dreamlib weights import FOLDER` from a USB stick (DREAMLIB_ALLOW_RANDOM_WEIGHTS=1 runs "
            f"on labelled untrained stand-ins)")


# ---------------------------------------------------------------------------------------------

def execute(path, workdir):
    """The notebook at ``path``, executed in ``workdir`` (a cell progress bar while it runs)."""
    import nbformat
    from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor
    from tqdm import tqdm

    nb = nbformat.read(path, as_version=4)
    client = ExecutePreprocessor(timeout=None, store_widget_state=True, kernel_name="python3")
    with tqdm(total=sum(c.cell_type == "code" for c in nb.cells), desc=f"  {path.parent.name}/{path.name}",
              unit="cell", file=sys.stdout, ascii=True, leave=False) as bar:
        client.on_cell_executed = lambda **_: bar.update()
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


def index_page(rows, quick):
    items = "\n".join(f'<li>{html.escape(stem)}: ' + ", ".join(
        f'<a href="{ed}/{stem}.html">{ed}</a>' for ed in eds) + "</li>" for stem, eds in rows)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>dreamlib handouts</title></head>"
            f"<body><h1>dreamlib handouts ({'quick' if quick else 'full'} settings)</h1>\n<ul>\n{items}\n</ul>"
            f"<p>Each page is one file that opens without a network; copy the whole folder.</p></body></html>\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick settings (small pictures, few steps)")
    parser.add_argument("--notebooks", default="all", help='"all" (default) or numbers, e.g. 03,04')
    parser.add_argument("--out", type=Path, default=OUT, help="where the handouts go (default build/handouts)")
    parser.add_argument("--editions", default="instructor,student",
                        help="instructor, student or both (default: both)")
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
    from dreamlib import settings

    stems = choose(args.notebooks)
    wanted = [e.strip() for e in args.editions.split(",")]
    if not wanted or set(wanted) - {"instructor", "student"}:
        raise SystemExit(f"handouts: --editions {args.editions!r}: use instructor, student or both")
    problem = missing_weights(stems, settings.random_weights_allowed())
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if "06_dcgan" in stems:
        from dreamlib import data

        if data.locate_dataset("fashion_mnist") is None:
            print("handouts: Fashion-MNIST is not on this machine: notebook 06 will download it (30 MB); "
                  "offline, set DREAMLIB_FASHION_MNIST_DIR first (see README, Offline and classroom use)")
    if "student" in wanted and not SOLUTIONS.is_dir():
        print("handouts: the student edition needs the student release (solutions/ and `make student`): "
              "writing the instructor edition only")
    mode = "quick" if args.quick else "full"
    rows, start = [], time.perf_counter()
    for stem in stems:
        done = []
        for edition, source in editions(stem, wanted):
            began = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="handout_") as workdir:
                nb = execute(source, workdir)
            page = to_html(nb, f"{stem} ({edition} edition, {mode} settings)")
            target = args.out / edition / f"{stem}.html"
            write_atomic(target, page)
            done.append(edition)
            print(f"{target}  {len(page) / 1e6:.1f} MB  {time.perf_counter() - began:.0f} s")
        rows.append((stem, done))
    write_atomic(args.out / "index.html", index_page(rows, args.quick))
    print(f"handouts ({mode} settings): {len(rows)} notebook{'s' * (len(rows) != 1)} in {time.perf_counter() - start:.0f} s, "
          f"in {args.out} (open index.html; copy the folder to a USB stick)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as stop:  # a one-line message for bad input: exit status 2, as the dreamlib CLI
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
            sys.exit(2)
        raise
