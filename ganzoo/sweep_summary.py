"""The summary of a sweep: each configuration's metrics as mean ± std over its seeds, its
training time, and, with a baseline, Welch's t-test of its FID against the baseline's;
``summary.json`` and the Markdown table of ``summary.md``. Reads only the sweep's folder:
``OUT/NAME-sSEED/eval/metrics.json`` and the ``.time.json`` the sweep wrote per run."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganzoo.sweep import Sweep

SUMMARY_METRICS = ("fid", "kid_mean", "is_mean", "precision", "recall", "density", "knn_coverage", "classes_covered",
                   "class_tv", "icfid", "conditional_accuracy")


def _training_seconds(run_dir: Path) -> float | None:
    """The wall time of the ``ganzoo run`` processes that trained ``run_dir`` (start to exit,
    data loading included), as the sweep recorded it when each ended; ``None`` for a run it
    did not train."""
    timing = run_dir.parent / f"{run_dir.name}.time.json"
    return json.loads(timing.read_text())["seconds"] if timing.exists() else None


def summarise(sweep: Sweep, failed: set[str]) -> dict[str, Any]:
    rows = []
    for configuration in sweep.configurations:
        per_seed: dict[str, list[float]] = {}
        seconds = []
        done = 0
        for seed in sweep.seeds:
            run_dir = sweep.out / f"{configuration.name}-s{seed}"
            path = run_dir / "eval" / "metrics.json"
            if run_dir.name in failed or not path.exists():
                continue
            metrics = json.loads(path.read_text())["runs"][0]["metrics"]
            done += 1
            for key in SUMMARY_METRICS:
                if isinstance(metrics.get(key), (int, float)):
                    per_seed.setdefault(key, []).append(float(metrics[key]))
            elapsed = _training_seconds(run_dir)
            if elapsed is not None:
                seconds.append(elapsed)
        stats = {key: {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                       "values": values} for key, values in per_seed.items()}
        rows.append({"name": configuration.name, "model": configuration.model, "options": configuration.options,
                     "seeds": done, "metrics": stats,
                     "train_seconds": {"mean": statistics.fmean(seconds), "std": statistics.stdev(seconds)
                                       if len(seconds) > 1 else 0.0} if seconds else None})
    if sweep.baseline is not None:
        _compare_with_baseline(rows, sweep.baseline)
    return {"seeds": sweep.seeds, "configurations": rows, "failed": sorted(failed), "baseline": sweep.baseline}


def _compare_with_baseline(rows: list[dict[str, Any]], baseline: str) -> None:
    """Each configuration's FID against the baseline's: the difference of the means and
    Welch's t-test over the seeds (two-sided p); "better"/"worse" when p < 0.05, else
    "within the spread"."""
    from ganzoo.evaluation.groups import welch

    base = next(row for row in rows if row["name"] == baseline)["metrics"].get("fid")
    for row in rows:
        fid = row["metrics"].get("fid")
        if row["name"] == baseline or base is None or fid is None:
            continue
        test = welch(base["values"], fid["values"])
        difference = fid["mean"] - base["mean"]
        if test is None:
            verdict = "untested: fewer than 2 seeds, or no spread"
        elif test[2] < 0.05:
            verdict = "better" if difference < 0 else "worse"
        else:
            verdict = "within the spread"
        row["vs_baseline"] = {"fid_difference": difference, "p": None if test is None else test[2], "verdict": verdict}


def summary_markdown(summary: dict[str, Any]) -> str:
    shown = [m for m in SUMMARY_METRICS if any(m in row["metrics"] for row in summary["configurations"])]
    baseline = summary.get("baseline")
    versus = f" | FID vs {baseline}" if baseline else ""
    head = "| configuration | seeds | " + " | ".join(shown) + " | train s" + versus + " |"
    lines = [head, "| --- | ---: | " + " | ".join("---:" for _ in shown) + " | ---:" + (" | ---" if baseline else "") + " |"]
    for row in summary["configurations"]:
        cells = []
        for key in shown:
            stat = row["metrics"].get(key)
            digits = 3 if key in ("precision", "recall", "density", "knn_coverage", "class_tv", "conditional_accuracy") else 1
            cells.append("-" if stat is None else f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}")
        seconds = row["train_seconds"]
        cells.append("-" if seconds is None else f"{seconds['mean']:.0f} ± {seconds['std']:.0f}")
        if baseline:
            comparison = row.get("vs_baseline")
            if row["name"] == baseline:
                cells.append("(baseline)")
            elif comparison is None:
                cells.append("-")
            else:
                p = "" if comparison["p"] is None else f", p = {comparison['p']:.2f}"
                cells.append(f"{comparison['fid_difference']:+.1f} ({comparison['verdict']}{p})")
        lines.append(f"| {row['name']} | {row['seeds']} | " + " | ".join(cells) + " |")
    if summary["failed"]:
        lines.append(f"\nFailed: {', '.join(summary['failed'])} (see their .log files).")
    lines.append(f"\nmean ± std over seeds {', '.join(map(str, summary['seeds']))} (sample std; ± 0 for one seed)."
                 + (f" FID vs {baseline}: difference of the means, Welch's t-test over the seeds (two-sided p; "
                    "better or worse when p < 0.05)." if baseline else ""))
    return "\n".join(lines) + "\n"
