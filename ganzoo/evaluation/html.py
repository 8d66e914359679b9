"""``report.html``: one self-contained page per ``ganzoo eval``, to open in any browser.

Why one file with everything inside: a report is mailed, attached to an issue or copied
off a GPU machine; a page that refers to images beside it breaks the moment it moves. So
every image is a base64 ``data:`` URI, the style is inline, and a Content-Security-Policy
forbids the page to load anything at all (``default-src 'none'``): if something were
ever referenced from outside, the browser would refuse it instead of quietly fetching it.

The page holds, for each run, the sample grid (drawn by the caller, who has the
generator), the training curves from the run's ``metrics.jsonl`` (matplotlib, optional:
without it the page says how to get them) and the metrics table with the same rows and
explanations as ``report.md`` (:mod:`ganzoo.evaluation.table` is their one source).
Every string that goes into the page passes through :func:`html.escape`: run paths,
model and plugin names and reasons come from users and plugins.
"""

from __future__ import annotations

import base64
import io
import json
import math
from html import escape
from pathlib import Path
from typing import Any

from ganzoo.evaluation.results import EvalReport, RunEvaluation
from ganzoo.evaluation.table import COMPARABILITY, meanings, rows, run_details, run_title

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


def run_directory(run: RunEvaluation) -> Path:
    """The run directory a result's checkpoint belongs to (``RUN/checkpoints/x.pt`` -> ``RUN``)."""
    checkpoint = Path(run.checkpoint)
    return checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent


def read_training_log(path: Path) -> list[dict[str, float]]:
    """The records of a ``metrics.jsonl``; unreadable lines (the torn last line of an
    interrupted run) are skipped rather than losing the whole curve."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("step"), (int, float)):
                records.append(record)
    return records


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


def curves_png(records: list[dict[str, float]], *, epoch: int | None = None) -> bytes:
    """Losses and D(x) / D(G(z)) against epochs, as PNG bytes.

    Uses matplotlib's object API with the Agg canvas directly (no pyplot): nothing global
    is switched, no window can open, and it works on a machine without a display. Raises
    ImportError without matplotlib. ``epoch``: the evaluated checkpoint's, marked when the
    log goes further."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = [float(r["step"]) for r in records]
    last_epoch = max(int(r.get("epoch", 1)) for r in records)
    per_epoch = max(steps) / last_epoch if last_epoch else max(steps)
    x = [s / per_epoch for s in steps]
    window = max(1, len(records) // 100)

    figure = Figure(figsize=(6.4, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    losses, outputs = figure.subplots(2, 1, sharex=True)
    panels = [
        (losses, [("loss_d", "loss D", "tab:blue"), ("loss_g", "loss G", "tab:orange")], "loss"),
        (outputs, [("d_real", "D(x)", "tab:green"), ("d_fake", "D(G(z))", "tab:red")], "D output (probability)"),
    ]
    for axes, series, ylabel in panels:
        for key, label, color in series:
            points = [(xi, float(r[key])) for xi, r in zip(x, records) if isinstance(r.get(key), (int, float))
                      and math.isfinite(float(r[key]))]
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
    outputs.axhline(0.5, color="gray", linestyle=":", linewidth=1)
    outputs.set_ylim(-0.02, 1.02)
    outputs.set_xlabel("epoch")
    losses.set_title("training log (metrics.jsonl)" + (f"; dashed: evaluated epoch {epoch}"
                                                        if epoch is not None and epoch < last_epoch else ""),
                     fontsize="medium")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _curves_html(run: RunEvaluation) -> str:
    log = run_directory(run) / "metrics.jsonl"
    if not log.is_file():
        return f'<p class="note">No training curves: {escape(str(log))} does not exist.</p>'
    records = read_training_log(log)
    if not records:
        return f'<p class="note">No training curves: {escape(str(log))} holds no records.</p>'
    try:
        png = curves_png(records, epoch=run.epoch)
    except ImportError:
        return f'<p class="note">{escape(CURVES_NEED_MATPLOTLIB)}</p>'
    return (f'<figure><img class="curves" alt="{escape(f"training curves of {run.run}")}" src="{escape(data_uri(png))}">'
            f"<figcaption>Losses and D(x) / D(G(z)) from {escape(str(log))}: faint per logged iteration, "
            "bold a moving average (its window in the legend). D(x) is D's output on real images, D(G(z)) on generated ones; 0.5 is where "
            "D can no longer tell them apart.</figcaption></figure>")


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


def html_report(report: EvalReport, *, grids: dict[int, bytes] | None = None) -> str:
    """The whole page as a string. ``grids``: run index -> PNG bytes of its sample grid."""
    grids = grids or {}
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
        '<table id="metrics">',
        "<thead><tr><th>metric</th><th>better</th>"
        + "".join(f"<th>{escape(run_title(r))}</th>" for r in report.runs) + "</tr></thead>",
        "<tbody>",
    ]
    for label, better, cells in rows(report):
        parts.append(f"<tr><th>{escape(label)}</th><td>{escape(better)}</td>"
                     + "".join(f'<td class="value">{escape(c)}</td>' for c in cells) + "</tr>")
    parts += ["</tbody>", "</table>", f'<p class="note">{escape(COMPARABILITY)}</p>', "<h2>Runs</h2>", '<div class="runs">']
    for index, run in enumerate(report.runs):
        parts += [
            '<section class="run">',
            f"<h3>{escape(run_title(run))}</h3>",
            _grid_html(run, grids.get(index), report.seed),
            _curves_html(run),
            f'<p class="details">{escape(run_details(run))}</p>',
        ]
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
