"""The report's comparison figures, drawn with matplotlib's object API (no pyplot, no
display): precision against recall for every run, and a run's intra-class FID per class.

Both return PNG bytes, or ``None`` when there is nothing to draw (no run has precision and
recall; the run has no per-class FID). They raise ImportError without matplotlib.
"""

from __future__ import annotations

import io

from ganzoo.evaluation.results import EvalReport, RunEvaluation


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def precision_recall_png(report: EvalReport, members: list[int]) -> bytes | None:
    """Each run of ``members`` as a point (recall, precision) with its ± as error bars:
    top right is sharp and diverse, top left sharp but missing modes (mode dropping),
    bottom right diverse but blurry."""
    points = [(i, report.runs[i]) for i in members
              if "precision" in report.runs[i].metrics and "recall" in report.runs[i].metrics]
    if not points:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.2, 4.4), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for number, (_, run) in enumerate(points):
        m = run.metrics
        axes.errorbar(m["recall"], m["precision"], xerr=m.get("recall_std", 0.0), yerr=m.get("precision_std", 0.0),
                      fmt="o", capsize=3, color=f"C{number % 10}", label=run.run.rstrip("/").split("/")[-1])
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("recall (diversity: real data the samples reproduce)")
    axes.set_ylabel("precision (fidelity: samples on the real data)")
    axes.grid(True, alpha=0.3)
    axes.plot([1.0], [1.0], marker="*", color="gray", markersize=10, linestyle="none", label="ideal")
    axes.legend(loc="lower left", fontsize="small")
    axes.set_title("precision and recall (Kynkäänniemi et al. 2019, k=3)", fontsize="medium")
    return _png(figure)


def class_fid_png(run: RunEvaluation) -> bytes | None:
    """A bar per class: its intra-class FID, the weakest class highlighted."""
    fids = run.class_fids.get("fid") if run.class_fids else None
    if not fids or all(value is None for value in fids):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = run.class_fids.get("classes") or [str(k) for k in range(len(fids))]
    weakest = run.class_fids.get("weakest")
    figure = Figure(figsize=(6.4, 3.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    heights = [0.0 if value is None else value for value in fids]
    colors = ["tab:red" if name == weakest else "tab:blue" for name in names]
    axes.bar(range(len(fids)), heights, color=colors)
    axes.set_xticks(range(len(fids)), [str(name)[:12] for name in names], rotation=45 if len(fids) > 10 else 0,
                    fontsize="small")
    axes.set_ylabel("intra-class FID (lower is better)")
    axes.grid(True, axis="y", alpha=0.3)
    axes.set_title(f"FID of each class's samples against that class's test images; weakest: {weakest}",
                   fontsize="medium")
    return _png(figure)
