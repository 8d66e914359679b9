"""What ``ganzoo eval`` shows and writes: a rich table, ``metrics.json``, ``report.md`` and
``report.html`` (built by :mod:`ganzoo.evaluation.html` from the same rows and texts).

Runs are columns and metrics rows, so several runs read side by side. Every report names
the feature extractor and its weights' hash next to the numbers, since a FID means nothing
without them, and says for each metric which direction is better.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.table import Table

from ganzoo.checkpoint import atomic_write_bytes
from ganzoo.errors import ConfigError
from ganzoo.evaluation.metrics import RESULTS
from ganzoo.evaluation.pipeline import EvalReport, RunEvaluation

# metric of --metrics -> the metrics.json keys it produces, in row order
ROWS = {
    "fid": ["fid"],
    "kid": ["kid_mean"],
    "is": ["is_mean"],
    "coverage": ["classes_covered", "class_tv"],
    "accuracy": ["conditional_accuracy"],
}


def _number(value: float) -> str:
    return f"{value:.4g}"


def cell(run: RunEvaluation, key: str) -> str:
    """One metric of one run as text: ``mean ± std`` where there is a spread, ``n/a`` (with
    the reason in ``metrics.json``) where the metric does not apply."""
    values = run.metrics
    if key not in values:
        return "n/a"
    value = values[key]
    if key == "classes_covered":
        total = len(run.class_histograms.get("real", [])) or "?"
        return f"{int(value)}/{total}"
    if key == "conditional_accuracy":
        return f"{100 * value:.1f}%"
    std_key = key.replace("_mean", "_std")
    if std_key != key and std_key in values:
        return f"{_number(value)} ± {values[std_key]:#.2g}"
    return _number(value)


def rows(report: EvalReport) -> list[tuple[str, str, list[str]]]:
    """``(label, better, one cell per run)`` for every metric asked for, then the context
    that makes the numbers comparable: extractor, weights, sample count, time."""
    table: list[tuple[str, str, list[str]]] = []
    for metric in report.metrics:
        for key in ROWS[metric]:
            info = RESULTS[key]
            table.append((info.label, "higher" if info.higher_is_better else "lower", [cell(r, key) for r in report.runs]))
        if metric == "is":
            reference = [
                _number(r.real_inception_score[0]) if r.real_inception_score and "is_mean" in r.metrics else "n/a"
                for r in report.runs
            ]
            table.append(("IS of real test images", "reference", reference))
    table.append(("feature extractor", "sha256", [f"{r.features} {r.features_sha256[:8]}" for r in report.runs]))
    classifiers = [f"{r.classifier} {(r.classifier_sha256 or '')[:8]}" if r.classifier else "-" for r in report.runs]
    table.append(("class metrics by", "sha256", classifiers))
    table.append(("real test images", "", [f"{r.real_n}" + (" (cached)" if r.real_cached else "") for r in report.runs]))
    table.append(("seconds", "", [f"{r.seconds:.1f}" for r in report.runs]))
    return table


def meanings(report: EvalReport) -> list[tuple[str, str, str]]:
    """``(label, better, what it means)`` for every metric in the report, in row order: the
    one source of the explanations that ``report.md`` and ``report.html`` both show."""
    shown = [key for metric in report.metrics for key in ROWS[metric]]
    return [(RESULTS[key].label, "higher" if RESULTS[key].higher_is_better else "lower", RESULTS[key].meaning)
            for key in shown]


COMPARABILITY = ("Values are only comparable between reports with the same feature extractor weights "
                 "(sha256 above), the same n and the same real split.")


def run_details(run: RunEvaluation) -> str:
    """The checkpoint, weights and extractors behind one run's numbers, as one sentence."""
    return (f"checkpoint {run.checkpoint} (sha256 {run.checkpoint_sha256}), "
            f"{'EMA weights' if run.ema else 'raw weights'}; features {run.features} (weights sha256 {run.features_sha256})"
            + (f"; classifier {run.classifier} (sha256 {run.classifier_sha256})" if run.classifier else ""))


def _run_title(run: RunEvaluation, short: bool = False) -> str:
    if short:  # terminal columns are narrow: the folder's name, then what it is
        name = Path(run.run).name if Path(run.run).is_dir() else f"{Path(run.run).parent.parent.name}/{Path(run.run).name}"
        return f"{name}\n{run.model}, {run.dataset}, epoch {run.epoch}"
    return f"{run.run} ({run.model}, {run.dataset}, epoch {run.epoch})"


def rich_table(report: EvalReport) -> Table:
    """The terminal table."""
    table = Table(title=f"ganzoo eval: {report.n} samples per run, seed {report.seed}, {report.device}", title_justify="left")
    table.add_column("metric", style="bold cyan", no_wrap=True)
    table.add_column("better")
    for run in report.runs:
        table.add_column(_run_title(run, short=True), justify="right")
    for label, better, cells in rows(report):
        table.add_row(label, better, *cells)
    return table


def markdown(report: EvalReport) -> str:
    """``report.md``: the table and what each metric means, to paste in a README or an issue."""
    def escape(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# ganzoo eval",
        "",
        f"{report.n} samples per run (seed {report.seed}) against the dataset's test split, on {report.device}; "
        f"ganzoo {report.ganzoo_version}, {report.created}.",
        "",
        "| metric | better | " + " | ".join(escape(_run_title(r)) for r in report.runs) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in report.runs) + " |",
    ]
    for label, better, cells in rows(report):
        lines.append(f"| {escape(label)} | {better} | " + " | ".join(escape(c) for c in cells) + " |")
    lines += ["", "## Runs", ""]
    for run in report.runs:
        lines.append(f"- `{run.run}`: checkpoint `{run.checkpoint}` (sha256 `{run.checkpoint_sha256}`), "
                     f"{'EMA weights' if run.ema else 'raw weights'}; features `{run.features}` "
                     f"(weights sha256 `{run.features_sha256}`)"
                     + (f"; classifier `{run.classifier}` (sha256 `{run.classifier_sha256}`)" if run.classifier else ""))
        for metric, reason in run.not_computed.items():
            lines.append(f"  - {metric}: not computed, {reason}")
    lines += ["", "## What the metrics mean", ""]
    for label, better, meaning in meanings(report):
        lines.append(f"- **{label}** ({better} is better): {meaning}")
    lines += ["", COMPARABILITY, ""]
    return "\n".join(lines)


def write_report(
    report: EvalReport, out: Path, *, overwrite: bool = False, grids: dict[int, bytes] | None = None
) -> tuple[Path, Path, Path]:
    """Write ``metrics.json``, ``report.md`` and ``report.html`` into ``out`` (each
    atomically); an existing ``metrics.json`` is only replaced with ``overwrite``.

    ``grids``: run index -> PNG bytes of that run's sample grid, for the HTML page (the
    generator is not part of the report, so the caller that holds it draws them)."""
    from ganzoo.evaluation.html import html_report

    out = Path(out)
    metrics_path, report_path, html_path = out / "metrics.json", out / "report.md", out / "report.html"
    if metrics_path.exists() and not overwrite:
        raise ConfigError(f"--out {out} already holds metrics.json; pass --overwrite to replace it")
    page = html_report(report, grids=grids)  # before anything is written: a failure leaves no half report
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(metrics_path, (json.dumps(report.to_dict(), indent=2) + "\n").encode())
    atomic_write_bytes(report_path, markdown(report).encode())
    atomic_write_bytes(html_path, page.encode())
    return metrics_path, report_path, html_path
