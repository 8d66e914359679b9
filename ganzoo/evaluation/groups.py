"""Groups of runs: mean ± std of each metric over runs that differ only in their seed, and
whether two groups differ by more than their spread (Welch's t-test).

One run's ``±`` says how much its numbers move with the draw of its samples; runs that
differ only in their training seed usually differ by much more. A claim that one
configuration beats another needs several seeds of each: ``ganzoo eval RUN... --group``
gathers runs whose ``config.json`` is the same except for the seed (and the settings that
do not change what is trained: device, data folder, threads, logging), or the groups the
user names, and reports each metric's mean and sample standard deviation over a group's
runs. Two groups are compared with Welch's unequal-variances t-test, two-sided: the
difference "exceeds the spread" when p < ``ALPHA``. With fewer than two runs in a group
there is no spread to compare with, and the report says so.

Plain Python (no torch, no scipy): the t distribution's tail comes from the regularised
incomplete beta function, by its continued fraction (``tests/test_eval_groups.py`` checks it
against scipy).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

ALPHA = 0.05
# Settings that do not change what a run trains (or only how fast): runs differing in them
# (and in the seed) are grouped together.
NOT_THE_CONFIGURATION = frozenset({
    "seed", "device", "data_root", "download", "log_every", "compile", "amp", "threads", "threads_at_start",
})
NOT_THE_CONFIGURATION_OPTIONS = frozenset({"tensorboard", "profile"})


@dataclass
class GroupStat:
    """One metric over a group's runs."""

    mean: float
    std: float | None  # sample std (n - 1); None for a single run
    values: list[float]

    @property
    def n(self) -> int:
        return len(self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "n": self.n, "values": self.values}


@dataclass
class Group:
    """Runs measured together: their indices in the report, and each metric over them."""

    name: str
    runs: list[int]
    metrics: dict[str, GroupStat] = field(default_factory=dict)
    differs_in: dict[str, Any] = field(default_factory=dict)  # what sets it apart from the other groups

    def to_dict(self, run_names: list[str]) -> dict[str, Any]:
        return {"name": self.name, "runs": [run_names[i] for i in self.runs], "differs_in": self.differs_in,
                "metrics": {key: stat.to_dict() for key, stat in self.metrics.items()}}


@dataclass
class Comparison:
    """One metric of two groups: ``b - a`` and Welch's test of it."""

    a: str
    b: str
    metric: str
    difference: float
    t: float | None
    dof: float | None
    p: float | None
    verdict: str  # "exceeds the spread", "within the spread", "no spread to compare"

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "metric": self.metric, "difference": self.difference, "t": self.t,
                "dof": self.dof, "p": self.p, "verdict": self.verdict}


# --- Welch's t-test ---------------------------------------------------------------------


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def welch(a: list[float], b: list[float]) -> tuple[float, float, float] | None:
    """Welch's t-test of mean(b) - mean(a): ``(t, degrees of freedom, two-sided p)``; ``None``
    with fewer than two values on a side or no spread on both."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        return None
    t = (statistics.fmean(b) - statistics.fmean(a)) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    p = regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t))
    return t, dof, min(1.0, max(0.0, p))


# --- grouping ---------------------------------------------------------------------------


def settings(config: dict[str, Any], epoch: int, ema: bool) -> dict[str, Any]:
    """What makes runs seeds of one configuration, flattened (``options.ema``): the config
    without the settings of NOT_THE_CONFIGURATION, and the evaluated epoch and weights."""
    kept = {k: v for k, v in config.items() if k not in NOT_THE_CONFIGURATION}
    kept["options"] = {k: v for k, v in (config.get("options") or {}).items() if k not in NOT_THE_CONFIGURATION_OPTIONS}
    kept["evaluated epoch"] = epoch
    kept["evaluated weights"] = "EMA" if ema else "raw"
    return _flatten(kept)


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = tuple(value) if isinstance(value, list) else value
    return flat


def _describe(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return "none" if value is None else str(value)


_MISSING = object()


def automatic_groups(configs: list[dict[str, Any]], epochs: list[int], emas: list[bool]) -> list[Group]:
    """Runs with the same :func:`settings`, grouped in order of first appearance; each group
    is named after its model and, where groups of one model differ, the (at most three)
    settings that set it apart."""
    per_run = [settings(c, e, m) for c, e, m in zip(configs, epochs, emas, strict=True)]
    keys = [repr(sorted(flat.items(), key=lambda item: item[0])) for flat in per_run]
    order = list(dict.fromkeys(keys))
    groups = []
    for key in order:
        runs = [i for i, k in enumerate(keys) if k == key]
        mine = per_run[runs[0]]
        others = [per_run[keys.index(other)] for other in order if other != key]
        differing = [name for name in mine if any(o.get(name, _MISSING) != mine[name] for o in others)]
        same_model = [o for o in others if o.get("model") == mine.get("model")]
        shown = [name for name in differing if any(o.get(name, _MISSING) != mine[name] for o in same_model)]
        name = str(mine.get("model", "?"))
        if shown:
            name += " (" + ", ".join(f"{k}={_describe(mine[k])}" for k in shown[:3]) + (", ..." if len(shown) > 3 else "") + ")"
        groups.append(Group(name=name, runs=runs, differs_in={k: _describe(mine[k]) for k in differing}))
    seen: dict[str, int] = {}
    for group in groups:  # names must tell groups apart
        seen[group.name] = seen.get(group.name, 0) + 1
        if seen[group.name] > 1:
            group.name = f"{group.name} #{seen[group.name]}"
    return groups


def summarise(groups: list[Group], run_metrics: list[dict[str, float]], keys: list[str]) -> None:
    """Fill each group's ``metrics``: mean and sample std over its runs of every key in
    ``keys`` that its runs have (a key some runs lack is left out)."""
    for group in groups:
        for key in keys:
            values = [run_metrics[i][key] for i in group.runs if key in run_metrics[i]]
            if values and len(values) == len(group.runs):
                group.metrics[key] = GroupStat(statistics.fmean(values),
                                               statistics.stdev(values) if len(values) > 1 else None, values)


def compare(a: Group, b: Group, keys: list[str]) -> list[Comparison]:
    """Every metric both groups have: b's mean minus a's, and whether it exceeds the spread."""
    comparisons = []
    for key in keys:
        if key not in a.metrics or key not in b.metrics:
            continue
        sa, sb = a.metrics[key], b.metrics[key]
        difference = sb.mean - sa.mean
        test = welch(sa.values, sb.values)
        if test is None:
            if sa.n >= 2 and sb.n >= 2:  # no spread at all on either side
                verdict = "within the spread" if difference == 0 else "exceeds the spread"
                p = 1.0 if difference == 0 else 0.0
                comparisons.append(Comparison(a.name, b.name, key, difference, None, None, p, verdict))
            else:
                comparisons.append(Comparison(a.name, b.name, key, difference, None, None, None,
                                              "no spread to compare (a group of one run)"))
            continue
        t, dof, p = test
        verdict = "exceeds the spread" if p < ALPHA else "within the spread"
        comparisons.append(Comparison(a.name, b.name, key, difference, t, dof, p, verdict))
    return comparisons
