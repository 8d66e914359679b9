"""The rows and texts every report shows (the terminal table, ``report.md`` and
``report.html``), from an :class:`~ganzoo.evaluation.results.EvalReport`.

Runs are columns and metrics rows, so several runs read side by side. Every report names
the feature extractor and its weights' hash next to the numbers, since a FID means nothing
without them, and says for each metric which direction is better.
"""

from __future__ import annotations

from pathlib import Path

from ganzoo.evaluation.metrics import IS_SPLITS, KID_SUBSETS, RESULTS
from ganzoo.evaluation.results import EvalReport, RunEvaluation

# metric of --metrics -> the metrics.json keys it produces, in row order
ROWS = {
    "fid": ["fid"],
    "kid": ["kid_mean"],
    "is": ["is_mean"],
    "pr": ["precision", "recall"],
    "dc": ["density", "knn_coverage"],
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
    std_key = key[: -len("_mean")] + "_std" if key.endswith("_mean") else f"{key}_std"
    if std_key in values:
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


def spread_note(report: EvalReport) -> str:
    """What the ``±`` in the table means, metric by metric (only those shown)."""
    shown = {key for metric in report.metrics for key in ROWS[metric]}
    parts = []
    bootstrapped = [RESULTS[key].label for key in ("fid", "precision", "recall", "density", "knn_coverage")
                    if key in shown]
    if bootstrapped and report.bootstrap >= 2:
        parts.append(f"{', '.join(bootstrapped)}: std over {report.bootstrap} bootstrap resamples of the generated "
                     "samples, the real images fixed")
    if "kid_mean" in shown:
        parts.append(f"KID: std over {KID_SUBSETS} random subsets")
    if "is_mean" in shown:
        parts.append(f"IS: std over {IS_SPLITS} splits")
    return ("± " + "; ".join(parts) + ".") if parts else ""


COMPARABILITY = ("Values are only comparable between reports with the same feature extractor weights "
                 "(sha256 above), the same n and the same real split.")


def run_details(run: RunEvaluation) -> str:
    """The checkpoint, weights and extractors behind one run's numbers, as one sentence."""
    return (f"checkpoint {run.checkpoint} (sha256 {run.checkpoint_sha256}), "
            f"{'EMA weights' if run.ema else 'raw weights'}; features {run.features} (weights sha256 {run.features_sha256})"
            + (f"; classifier {run.classifier} (sha256 {run.classifier_sha256})" if run.classifier else ""))


def run_title(run: RunEvaluation, short: bool = False) -> str:
    """A run's column heading: its path, model, dataset and epoch (``short``: for the terminal)."""
    if short:  # terminal columns are narrow: the folder's name, then what it is
        name = Path(run.run).name if Path(run.run).is_dir() else f"{Path(run.run).parent.parent.name}/{Path(run.run).name}"
        return f"{name}\n{run.model}, {run.dataset}, epoch {run.epoch}"
    return f"{run.run} ({run.model}, {run.dataset}, epoch {run.epoch})"
