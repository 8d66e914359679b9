"""A run's training log as the reports show it: the records of ``metrics.jsonl`` and what
each column means.

Since 0.2 a run writes ``metric_specs.json`` beside its log: for every column, the name,
a short label, its meaning and which direction is better, as the objective, the loss and
the regularizers declared them (``score_real`` of the hinge loss is D's *raw* output, not a
probability). Runs from before have no such file; their columns were always
``loss_d, loss_g, d_real, d_fake``, described here as they were then.

``report.html`` draws the curves from this, ``report.md`` lists the same meanings (and
each column's mean over the evaluated epoch).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ganzoo.evaluation.results import RunEvaluation
from ganzoo.rundir import METRIC_SPECS_FILE, METRICS_FILE, read_metric_specs

LOSSES = ("loss_d", "loss_g")
PROBABILITIES = ("d_real", "d_fake")  # the cross-entropy losses' D(x), D(G(z)): sigmoid of the logits
RAW_SCORES = ("score_real", "score_fake")  # the other core losses': D's raw outputs


@dataclass(frozen=True)
class LoggedMetric:
    """One column of ``metrics.jsonl``: a :class:`ganzoo.MetricSpec` as saved in the run."""

    name: str
    label: str
    meaning: str
    direction: str = "neither"

    @property
    def better(self) -> str:
        """The direction in words, for captions and ``report.md``."""
        if self.direction == "higher":
            return "higher is better"
        if self.direction == "lower":
            return "lower is better"
        return "a diagnostic: neither direction is better"

    def describe(self) -> str:
        """``D(x) (score_real): D's mean raw output ...; a diagnostic: ...``"""
        name = self.label if self.label == self.name else f"{self.label} ({self.name})"
        return f"{name}: {self.meaning}; {self.better}"


# The columns of a run without metric_specs.json (before 0.2: cross-entropy losses only).
LEGACY_METRICS = (
    LoggedMetric("loss_d", "loss D", "D's loss (what D's update minimised)"),
    LoggedMetric("loss_g", "loss G", "G's loss (what G's update minimised)"),
    LoggedMetric("d_real", "D(x)", "D's mean probability that a real image is real"),
    LoggedMetric("d_fake", "D(G(z))", "D's mean probability that a generated image is real"),
)


@dataclass
class TrainingLog:
    """The records of a run's ``metrics.jsonl`` and the columns that hold numbers, in the
    order the run declared them. ``declared``: whether the meanings come from the run's
    ``metric_specs.json`` (else :data:`LEGACY_METRICS`)."""

    path: Path
    records: list[dict[str, float]]
    metrics: list[LoggedMetric]
    declared: bool

    @property
    def losses(self) -> list[LoggedMetric]:
        return [m for m in self.metrics if m.name in LOSSES]

    @property
    def others(self) -> list[LoggedMetric]:
        """Everything but the two losses: D's outputs, class accuracies, regularizer terms..."""
        return [m for m in self.metrics if m.name not in LOSSES]

    @property
    def probabilities_only(self) -> bool:
        """Whether the other columns are D(x) and D(G(z)) as probabilities (the cross-entropy
        losses): then the curves keep their [0, 1] axis and the line at 0.5."""
        return bool(self.others) and all(m.name in PROBABILITIES for m in self.others)

    @property
    def raw_scores_only(self) -> bool:
        """Whether the other columns are D's raw outputs (hinge, least squares)."""
        return bool(self.others) and all(m.name in RAW_SCORES for m in self.others)

    def values(self, name: str) -> list[tuple[dict[str, float], float]]:
        """``(record, value)`` for every record with a finite number under ``name``."""
        return [(r, float(r[name])) for r in self.records
                if isinstance(r.get(name), (int, float)) and not isinstance(r.get(name), bool) and math.isfinite(r[name])]

    def epoch_mean(self, name: str, epoch: int) -> float | None:
        """The mean of ``name`` over the records of ``epoch`` (``None`` if there are none)."""
        values = [v for r, v in self.values(name) if int(r.get("epoch", 0)) == epoch]
        return sum(values) / len(values) if values else None


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


def _declared(run_dir: Path) -> list[LoggedMetric] | None:
    specs = read_metric_specs(run_dir)
    if specs is None:
        return None
    metrics = []
    for spec in specs:
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            name = spec["name"]
            metrics.append(LoggedMetric(name, str(spec.get("label") or name), str(spec.get("meaning") or ""),
                                        str(spec.get("direction") or "neither")))
    return metrics


def load_training_log(run_dir: Path) -> TrainingLog:
    """The log of the run in ``run_dir``; ``OSError`` if ``metrics.jsonl`` cannot be read.
    Columns without a finite value in any record are left out."""
    path = Path(run_dir) / METRICS_FILE
    records = read_training_log(path)
    declared = _declared(Path(run_dir))
    log = TrainingLog(path, records, list(declared if declared is not None else LEGACY_METRICS), declared is not None)
    log.metrics = [m for m in log.metrics if log.values(m.name)]
    return log

