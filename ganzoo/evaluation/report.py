"""What ``ganzoo eval`` shows and writes: a rich table, ``metrics.json``, ``report.md`` and
``report.html`` (built by :mod:`ganzoo.evaluation.html`); all of them show the rows and
texts of :mod:`ganzoo.evaluation.table`. ``report.md`` and ``report.html`` also say what each
column of a run's training log means (:mod:`ganzoo.evaluation.training_log`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from rich.table import Table

from ganzoo.checkpoint import atomic_write_bytes
from ganzoo.errors import ConfigError, describe_os_error
from ganzoo.evaluation.html import html_report
from ganzoo.evaluation.results import EvalReport, RunEvaluation
from ganzoo.evaluation.table import (
    COMPARABILITY,
    GROUPS_NOTE,
    comparison_rows,
    group_rows,
    meanings,
    rows,
    class_fid_line,
    run_title,
    spread_note,
    tables,
)
from ganzoo.evaluation.groups import Group
from ganzoo.evaluation.training_log import load_training_log, run_directory
from ganzoo.rundir import METRIC_SPECS_FILE, METRICS_FILE


def rich_table(report: EvalReport, members: list[int] | None = None, title: str | None = None) -> Table:
    """The terminal table of the runs ``members`` (default all), ``title`` after the settings."""
    heading = f"ganzoo eval: {report.n} samples per run, seed {report.seed}, {report.device}"
    table = Table(title=heading + (f"; {title}" if title else ""), title_justify="left",
                  caption=spread_note(report) or None, caption_justify="left")
    table.add_column("metric", style="bold cyan", no_wrap=True)
    table.add_column("better")
    for index in range(len(report.runs)) if members is None else members:
        table.add_column(run_title(report.runs[index], short=True), justify="right")
    for label, better, cells in rows(report, members):
        table.add_row(label, better, *cells)
    return table


def _rich(title: str, columns: list[str], body: list[tuple[str, str, list[str]]], caption: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("metric", style="bold cyan", no_wrap=True)
    table.add_column("better")
    for column in columns:
        table.add_column(column, justify="right")
    for label, better, cells in body:
        table.add_row(label, better, *cells)
    return table


def rich_tables(report: EvalReport) -> list[Table]:
    """Every table of the terminal: per set of comparable runs (one set unless the runs had
    other datasets or extractors), the runs, then (``--group``) the groups and their differences."""
    found: list[Table] = []
    for title, members, groups in tables(report):
        found.append(rich_table(report, members, title))
        if groups:
            found.append(_rich("groups: mean ± std over runs (runs)" + (f"; {title}" if title else ""),
                               [g.name for g in groups], group_rows(report, groups)))
            headings, differences = comparison_rows(report, groups)
            if headings:
                found.append(_rich("differences between groups (Welch's t-test, two-sided)", headings, differences,
                                   GROUPS_NOTE))
    return found


def markdown(report: EvalReport) -> str:
    """``report.md``: the table and what each metric means, to paste in a README or an issue."""
    def escape(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# ganzoo eval",
        "",
        f"{report.n} samples per run (seed {report.seed}) against the dataset's test split, on {report.device}; "
        f"ganzoo {report.ganzoo_version}, {report.created}.",
    ]
    for warning in report.warnings:
        lines += ["", f"**{escape(warning)}**"]
    for title, members, groups in tables(report):
        if title:
            lines += ["", f"## {escape(title)}"]
        lines += ["", "| metric | better | " + " | ".join(escape(run_title(report.runs[i])) for i in members) + " |",
                  "| --- | --- | " + " | ".join("---:" for _ in members) + " |"]
        for label, better, cells in rows(report, members):
            lines.append(f"| {escape(label)} | {better} | " + " | ".join(escape(c) for c in cells) + " |")
        if spread_note(report):
            lines += ["", spread_note(report)]
        lines += _group_lines(report, groups, escape, "###" if title else "##")
    lines += ["", "## Runs", ""]
    for run in report.runs:
        lines.append(f"- `{run.run}`: checkpoint `{run.checkpoint}` (sha256 `{run.checkpoint_sha256}`), "
                     f"{'EMA weights' if run.ema else 'raw weights'}; features `{run.features}` "
                     f"(weights sha256 `{run.features_sha256}`)"
                     + (f"; classifier `{run.classifier}` (sha256 `{run.classifier_sha256}`)" if run.classifier else ""))
        for metric, reason in run.not_computed.items():
            lines.append(f"  - {metric}: not computed, {reason}")
        if class_fid_line(run):
            lines.append(f"  - {class_fid_line(run)}")
        lines += _training_log_lines(run)
    lines += ["", "## What the metrics mean", ""]
    for label, better, meaning in meanings(report):
        lines.append(f"- **{label}** ({better} is better): {meaning}")
    lines += ["", COMPARABILITY, ""]
    return "\n".join(lines)


def _group_lines(report: EvalReport, groups: list[Group], escape: Callable[[str], str], level: str) -> list[str]:
    """``## Groups``: the groups' table and the differences between them (``--group``)."""
    if not groups:
        return []
    lines = ["", f"{level} Groups", "", "| metric | better | " + " | ".join(escape(g.name) for g in groups) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in groups) + " |"]
    lines += [f"| {escape(label)} | {better} | " + " | ".join(escape(c) for c in cells) + " |"
              for label, better, cells in group_rows(report, groups)]
    headings, differences = comparison_rows(report, groups)
    if headings:
        lines += ["", "| metric | better | " + " | ".join(escape(h) for h in headings) + " |",
                  "| --- | --- | " + " | ".join("---:" for _ in headings) + " |"]
        lines += [f"| {escape(label)} | {better} | " + " | ".join(escape(c) for c in cells) + " |"
                  for label, better, cells in differences]
    lines += ["", GROUPS_NOTE]
    return lines


def _training_log_lines(run: RunEvaluation) -> list[str]:
    """What ``report.html``'s curves show, in words: each column of the run's training log,
    its mean over the evaluated epoch, and what it means (from ``metric_specs.json``)."""
    run_dir = run_directory(run)
    path = run_dir / METRICS_FILE
    if not path.is_file():
        return [f"  - training log: `{path}` does not exist"]
    try:
        log = load_training_log(run_dir)
    except OSError as error:
        return [f"  - training log: `{path}` cannot be read ({describe_os_error(error)})"]
    if not log.records:
        return [f"  - training log: `{path}` holds no records"]
    source = (f"meanings from the run's {METRIC_SPECS_FILE}" if log.declared
              else f"a run without {METRIC_SPECS_FILE}: the columns of ganzoo before 0.2")
    lines = [f"  - training log `{path}` ({source}), mean over epoch {run.epoch}:"]
    for metric in log.metrics:
        mean = log.epoch_mean(metric.name, run.epoch)
        name = metric.name if metric.label == metric.name else f"{metric.label} (`{metric.name}`)"
        value = "n/a" if mean is None else f"{mean:.4g}"
        lines.append(f"    - {name} = {value}: {metric.meaning}; {metric.better}")
    return lines


def write_report(
    report: EvalReport, out: Path, *, overwrite: bool = False, grids: dict[int, bytes] | None = None,
    panels: dict[int, bytes] | None = None,
) -> tuple[Path, Path, Path]:
    """Write ``metrics.json``, ``report.md`` and ``report.html`` into ``out`` (each
    atomically); an existing ``metrics.json`` is only replaced with ``overwrite``.

    ``grids``: run index -> PNG bytes of that run's sample grid, for the HTML page (the
    generator is not part of the report, so the caller that holds it draws them); ``panels``:
    run index -> PNG bytes of its memorization panel (samples above their nearest training images)."""
    out = Path(out)
    metrics_path, report_path, html_path = out / "metrics.json", out / "report.md", out / "report.html"
    if metrics_path.exists() and not overwrite:
        raise ConfigError(f"--out {out} already holds metrics.json; pass --overwrite to replace it")
    page = html_report(report, grids=grids, panels=panels)  # before anything is written: a failure leaves no half report
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(metrics_path, (json.dumps(report.to_dict(), indent=2) + "\n").encode())
    atomic_write_bytes(report_path, markdown(report).encode())
    atomic_write_bytes(html_path, page.encode())
    return metrics_path, report_path, html_path
