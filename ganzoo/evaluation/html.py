"""``report.html``: one self-contained page per ``ganzoo eval``, to open in any browser.

Why one file with everything inside: a report is mailed, attached to an issue or copied
off a GPU machine; a page that refers to images beside it breaks the moment it moves. So
every image is a base64 ``data:`` URI, the style is inline, and a Content-Security-Policy
forbids the page to load anything at all (``default-src 'none'``): if something were
ever referenced from outside, the browser would refuse it instead of quietly fetching it.

The page holds, for each run, the sample grid (drawn by the caller, who has the
generator), the training curves from the run's ``metrics.jsonl``, with what each column
means from its ``metric_specs.json`` (:mod:`ganzoo.evaluation.training_log`; matplotlib,
optional: without it the page says how to get them) and the metrics table with the same rows and
explanations as ``report.md`` (:mod:`ganzoo.evaluation.table` is their one source).
Every string that goes into the page passes through :func:`html.escape`: run paths,
model and plugin names and reasons come from users and plugins.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Any

from ganzoo.errors import describe_os_error
from ganzoo.evaluation.results import EvalReport, RunEvaluation
from ganzoo.evaluation.table import (
    COMPARABILITY,
    GROUPS_NOTE,
    comparison_rows,
    group_rows,
    meanings,
    rows,
    run_details,
    class_fid_line,
    run_title,
    spread_note,
    tables,
)
from ganzoo.evaluation.figures import class_fid_png, precision_recall_png
from ganzoo.evaluation.groups import Group
from ganzoo.evaluation.training_log import (
    TrainingLog,
    load_training_log,
    read_training_log,  # noqa: F401 (was defined here)
    run_directory,
)
from ganzoo.rundir import METRIC_SPECS_FILE, METRICS_FILE

CURVES_NEED_MATPLOTLIB = "Training curves need matplotlib: pip install 'ganzoo[report]'."

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1b1f24; background: #fff; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.meta, .details, figcaption, .note { color: #57606a; font-size: 0.9em; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
td.value { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.meaning { max-width: 720px; }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 24px; }
.run { border: 1px solid #d0d7de; border-radius: 6px; padding: 12px; min-width: 0; }
.run h3 { margin-top: 0; overflow-wrap: anywhere; }
.details { overflow-wrap: anywhere; }
figure { margin: 12px 0; }
img { max-width: 100%; height: auto; display: block; }
img.grid { width: 100%; max-width: 480px; image-rendering: pixelated; }
.note { font-style: italic; }
.warning { color: #9a6700; background: #fff8c5; border: 1px solid #d4a72c; padding: 6px 10px; }
ul.logged { margin: 4px 0 0 0; padding-left: 20px; }
"""

# Marks <html data-images-decoded="k/n"> once the page has loaded: a browser test (or a
# reader wondering about a blank box) sees at once whether every embedded image decoded.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var decoded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.documentElement.setAttribute("data-images-decoded", decoded + "/" + images.length);
});
"""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def data_uri(png: bytes) -> str:
    """PNG bytes as a ``data:`` URI, so the image lives inside the page."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average (the raw per-iteration losses are too noisy to read)."""
    out, total, queue = [], 0.0, []
    for value in values:
        queue.append(value)
        total += value
        if len(queue) > window:
            total -= queue.pop(0)
        out.append(total / len(queue))
    return out


# Colours of the second panel's curves, in the order the run declared them.
PROBABILITY_AXIS = "D output (probability)"
_COLORS = ("tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray")


def curve_panels(log: TrainingLog) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """What :func:`curves_png` draws: ``(y-axis label, [(column, legend label, colour)])`` per
    panel. The losses on top; below, the other columns the run declared, or D(x) / D(G(z))
    as probabilities for a run without ``metric_specs.json``."""
    losses = [(m.name, "loss D" if m.name == "loss_d" else "loss G", "tab:blue" if m.name == "loss_d" else "tab:orange")
              for m in log.losses]
    panels = [("loss", losses)]
    others = log.others
    if not others:
        return panels
    if log.probabilities_only:
        panels.append((PROBABILITY_AXIS, [(m.name, m.label, "tab:green" if m.name == "d_real" else "tab:red")
                                                   for m in others]))
        return panels
    series = [(m.name, m.label if m.label == m.name else f"{m.label} ({m.name})", _COLORS[i % len(_COLORS)])
              for i, m in enumerate(others)]
    labels = ", ".join(dict.fromkeys(m.label for m in others))
    ylabel = "D output (raw, no sigmoid)" if log.raw_scores_only else labels if len(labels) <= 32 else "logged metrics"
    panels.append((ylabel, series))
    return panels


def curves_png(log: TrainingLog, *, epoch: int | None = None) -> bytes:
    """The panels of :func:`curve_panels` against epochs, as PNG bytes.

    Uses matplotlib's object API with the Agg canvas directly (no pyplot): nothing global
    is switched, no window can open, and it works on a machine without a display. Raises
    ImportError without matplotlib. ``epoch``: the evaluated checkpoint's, marked when the
    log goes further."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    records = log.records
    steps = [float(r["step"]) for r in records]
    last_epoch = max(int(r.get("epoch", 1)) for r in records)
    per_epoch = max(steps) / last_epoch if last_epoch else max(steps)
    window = max(1, len(records) // 100)

    panels = curve_panels(log)
    figure = Figure(figsize=(6.4, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes_list = list(figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0])
    for axes, (ylabel, series) in zip(axes_list, panels):
        for key, label, color in series:
            points = [(float(r["step"]) / per_epoch, value) for r, value in log.values(key)]
            if not points:
                continue
            xs, ys = zip(*points)
            axes.plot(xs, ys, color=color, alpha=0.2, linewidth=0.5)
            axes.plot(xs, _smooth(list(ys), window), color=color, linewidth=1.5,
                      label=f"{label} (mean of {window})" if window > 1 else label)
        axes.set_ylabel(ylabel)
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper right", fontsize="small")
        if epoch is not None and epoch < last_epoch:
            axes.axvline(epoch, color="black", linestyle="--", linewidth=1)
        if ylabel == PROBABILITY_AXIS:
            axes.axhline(0.5, color="gray", linestyle=":", linewidth=1)
            axes.set_ylim(-0.02, 1.02)
    axes_list[-1].set_xlabel("epoch")
    axes_list[0].set_title("training log (metrics.jsonl)" + (f"; dashed: evaluated epoch {epoch}"
                                                             if epoch is not None and epoch < last_epoch else ""),
                           fontsize="medium")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _curves_caption(log: TrainingLog) -> str:
    drawing = "faint per logged iteration, bold a moving average (its window in the legend)"
    if not log.declared:  # a run from before metric_specs.json: D(x) and D(G(z)) were probabilities
        return (f"Losses and D(x) / D(G(z)) from {escape(str(log.path))}: {drawing}. D(x) is D's output on real images, "
                "D(G(z)) on generated ones; 0.5 is where D can no longer tell them apart.")
    below = " and, below, the other columns the run declared" if log.others else ""
    half = (" On the probability axis, 0.5 is where D can no longer tell real and generated images apart."
            if log.probabilities_only else "")
    items = "".join(f"<li>{escape(m.describe())}</li>" for m in log.metrics)
    return (f"Losses{below} from {escape(str(log.path))} (meanings from the run's {escape(METRIC_SPECS_FILE)}): "
            f"{drawing}.{half}<ul class=\"logged\">{items}</ul>")


def _curves_html(run: RunEvaluation) -> str:
    path = run_directory(run) / METRICS_FILE
    if not path.is_file():
        return f'<p class="note">No training curves: {escape(str(path))} does not exist.</p>'
    try:
        log = load_training_log(run_directory(run))
    except OSError as error:  # unreadable: the metrics computed so far must not be lost over a curve
        return f'<p class="note">No training curves: {escape(str(path))} cannot be read ({escape(describe_os_error(error))}).</p>'
    if not log.records:
        return f'<p class="note">No training curves: {escape(str(path))} holds no records.</p>'
    try:
        png = curves_png(log, epoch=run.epoch)
    except ImportError:
        return f'<p class="note">{escape(CURVES_NEED_MATPLOTLIB)}</p>'
    return (f'<figure><img class="curves" alt="{escape(f"training curves of {run.run}")}" src="{escape(data_uri(png))}">'
            f"<figcaption>{_curves_caption(log)}</figcaption></figure>")


def _grid_html(run: RunEvaluation, png: bytes | None, seed: int) -> str:
    if png is None:
        return '<p class="note">No sample grid: the generator was not given to the report.</p>'
    what = ("one row per class, row k is class k" if run.conditional else "10 x 10")
    return (f'<figure><img class="grid" alt="{escape(f"samples of {run.run}")}" src="{escape(data_uri(png))}">'
            f"<figcaption>Samples, {escape(what)} (seed {seed}: the first images that "
            f"<code>ganzoo sample</code> draws).</figcaption></figure>")


def _summary(report: EvalReport) -> str:
    return (f"{report.n} samples per run (seed {report.seed}) against the dataset's test split, on {report.device}; "
            f"ganzoo {report.ganzoo_version}, {report.created}.")


def _table_html(table_id: str, headings: list[str], body: list[tuple[str, str, list[str]]]) -> list[str]:
    return [f'<table id="{table_id}">',
            "<thead><tr><th>metric</th><th>better</th>" + "".join(f"<th>{escape(h)}</th>" for h in headings)
            + "</tr></thead>", "<tbody>"] + [
        f"<tr><th>{escape(label)}</th><td>{escape(better)}</td>"
        + "".join(f'<td class="value">{escape(c)}</td>' for c in cells) + "</tr>" for label, better, cells in body
    ] + ["</tbody>", "</table>"]


def _groups_html(report: EvalReport, groups: list[Group], suffix: str, level: str) -> list[str]:
    """The groups' table and the differences between groups (``--group``)."""
    if not groups:
        return []
    parts = [f"<{level}>Groups</{level}>"] + _table_html(f"groups{suffix}", [g.name for g in groups],
                                                         group_rows(report, groups))
    headings, differences = comparison_rows(report, groups)
    if headings:
        parts += _table_html(f"differences{suffix}", headings, differences)
    parts.append(f'<p class="note">{escape(GROUPS_NOTE)}</p>')
    return parts


def _panel_html(run: RunEvaluation, png: bytes | None) -> str:
    """The memorization panel: samples above their nearest training images (``--metrics memorization``)."""
    if png is None:
        return ""
    distances = ", ".join(f"{d:.3g}" for d in run.memorization.get("distance", []))
    test = run.memorization.get("test_nearest_mean")
    reference = f"; real test images are {test:.3g} from theirs on average" if test is not None else ""
    cosine = run.memorization.get("test_memorization_distance")
    if cosine is not None:
        reference += f" (memorization distance of the test images: {cosine:.3g})"
    return (f'<figure class="memorization"><img class="grid" alt="{escape(f"nearest training images of {run.run}")}" '
            f'src="{escape(data_uri(png))}"><figcaption>Memorization: {len(run.memorization.get("samples", []))} '
            f"samples (top row) above their nearest training images in feature space (bottom row); distances "
            f"{escape(distances)}{escape(reference)}. Identical pairs are copies.</figcaption></figure>")


def _figure_html(draw: Any, alt: str, caption: str) -> str:
    """A figure of :mod:`ganzoo.evaluation.figures` as an inline PNG; nothing when it has
    nothing to show or matplotlib is missing (the training curves' note says so)."""
    try:
        png = draw()
    except ImportError:  # the curves' note already says what to install
        return ""
    if png is None:
        return ""
    return (f'<figure><img class="figure" src="{data_uri(png)}" alt="{escape(alt)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def html_report(report: EvalReport, *, grids: dict[int, bytes] | None = None,
                panels: dict[int, bytes] | None = None) -> str:
    """The whole page as a string. ``grids``: run index -> PNG bytes of its sample grid;
    ``panels``: run index -> PNG bytes of its memorization panel."""
    grids = grids or {}
    panels = panels or {}
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape('ganzoo eval: ' + ', '.join(Path(r.run).name for r in report.runs))}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<h1>ganzoo eval</h1>",
        f'<p class="meta">{escape(_summary(report))}</p>',
        "<h2>Metrics</h2>",
    ]
    parts += [f'<p class="warning">{escape(warning)}</p>' for warning in report.warnings]
    # one table per set of comparable runs: ids metrics, metrics-2, ... (groups, groups-2, ...)
    for number, (title, members, groups) in enumerate(tables(report), start=1):
        suffix = "" if number == 1 else f"-{number}"
        if title:
            parts.append(f"<h3>{escape(title)}</h3>")
        parts += _table_html(f"metrics{suffix}", [run_title(report.runs[i]) for i in members], rows(report, members))
        if spread_note(report):
            parts.append(f'<p class="note">{escape(spread_note(report))}</p>')
        parts += _groups_html(report, groups, suffix, "h4" if title else "h2")
        parts.append(_figure_html(lambda: precision_recall_png(report, members), "precision against recall",
                                  "Each run at (recall, precision), its ± as bars: top right is sharp and diverse, "
                                  "top left sharp but missing modes, bottom right diverse but blurry."))
    parts.append(f'<p class="note">{escape(COMPARABILITY)}</p>')
    parts += ["<h2>Runs</h2>", '<div class="runs">']
    for index, run in enumerate(report.runs):
        parts += [
            '<section class="run">',
            f"<h3>{escape(run_title(run))}</h3>",
            _grid_html(run, grids.get(index), report.seed),
            _panel_html(run, panels.get(index)),
            _curves_html(run),
            f'<p class="details">{escape(run_details(run))}</p>',
        ]
        if class_fid_line(run):
            parts.append(f'<p class="details">{escape(class_fid_line(run))}</p>')
            parts.append(_figure_html(lambda run=run: class_fid_png(run), "intra-class FID per class",
                                      "Intra-class FID of each class (lower is better); red: the weakest class."))
        if run.not_computed:
            parts.append("<ul>" + "".join(f"<li>{escape(metric)}: not computed, {escape(reason)}</li>"
                                          for metric, reason in run.not_computed.items()) + "</ul>")
        parts.append("</section>")
    parts += [
        "</div>",
        "<h2>What the metrics mean</h2>",
        '<table id="meanings"><thead><tr><th>metric</th><th>better</th><th>what it says</th></tr></thead><tbody>',
    ]
    for label, better, meaning in meanings(report):
        parts.append(f"<tr><th>{escape(label)}</th><td>{escape(better)}</td><td class=\"meaning\">{escape(meaning)}</td></tr>")
    parts += ["</tbody></table>", f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(parts)


def page_images(page: str) -> list[dict[str, Any]]:
    """The ``<img>`` elements of a page as attribute dicts (for tests and checks)."""
    from html.parser import HTMLParser

    found: list[dict[str, Any]] = []

    class _Images(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                found.append(dict(attrs))

    _Images().feed(page)
    return found
