"""Which runs can share a table, and their groups: runs measured on other datasets, test
data or feature extractors are on other scales and are never compared; runs of one
configuration over several seeds are summarised as mean ± std and compared with Welch's test."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ganzoo.errors import ConfigError
from ganzoo.evaluation.groups import Group, automatic_groups, compare, summarise
from ganzoo.evaluation.plan import Plan
from ganzoo.evaluation.results import EvalReport
from ganzoo.evaluation.table import ROWS


def named_groups(groups: dict[str, list[str | Path]]) -> dict[str, list[Path]]:
    """``{name: [run, ...]}`` checked: names and at least one run each, no run in two groups."""
    named: dict[str, list[Path]] = {}
    owner: dict[Path, str] = {}
    for name, members in groups.items():
        if not str(name).strip():
            raise ConfigError("--group-as: a group needs a name: NAME=RUN,RUN,...")
        paths = [Path(m) for m in ([members] if isinstance(members, (str, Path)) else members)]
        if not paths:
            raise ConfigError(f"--group-as {name}: no runs given (NAME=RUN,RUN,...)")
        for path in paths:
            if path in owner and owner[path] != name:
                raise ConfigError(f"--group-as: {path} is in two groups, {owner[path]!r} and {name!r}")
            owner[path] = name
        named[str(name)] = list(dict.fromkeys(paths))
    return named


def describe_setup(plan: Plan) -> str:
    return f"{plan.dataset_name} with {plan.name} {plan.extractor.weights_sha256[:8]}"


def incomparable(plans: list[Plan]) -> str | None:
    """The one-line warning when the runs cannot share one table, saying why; else ``None``.

    Runs measured on other datasets, other test data or with another feature extractor
    (or other weights) have numbers on other scales (a FID of 85 on MNIST's classifier
    and one of 9 on Fashion-MNIST's say nothing about each other): each set of runs that
    can be compared gets its own table."""
    keys = list(dict.fromkeys(plan.comparability for plan in plans))
    if len(keys) < 2:
        return None
    reasons = []
    datasets = list(dict.fromkeys(key[0] for key in keys))
    if len(datasets) > 1:
        reasons.append(f"datasets ({', '.join(datasets)})")
    extractors = list(dict.fromkeys(f"{key[2]} {key[3][:8]}" for key in keys))
    if len(extractors) > 1:
        reasons.append(f"feature extractors ({', '.join(extractors)})")
    if len(datasets) == 1 and len(extractors) == 1:
        reasons.append(f"test data (the {datasets[0]} test split's content differs: "
                       f"{', '.join(dict.fromkeys(key[1][:8] for key in keys))}; check --data-root)")
    tables = "; ".join(f"{describe_setup(next(p for p in plans if p.comparability == key))}: "
                       + ", ".join(str(p.path) for p in plans if p.comparability == key) for key in keys)
    return (f"warning: these runs were measured on different {' and '.join(reasons)}, so their numbers are not "
            f"comparable: {len(keys)} separate tables ({tables})")


def check_named_groups(groups: dict[str, list[str | Path]], run_paths: list[Path], plans: list[Plan]) -> None:
    """A named group must be runs that can share a table: refused before any work otherwise."""
    resolved = [path.resolve() for path in run_paths]
    for name, members in named_groups(groups).items():
        inside = [plans[resolved.index(path.resolve())] for path in members]
        setups = list(dict.fromkeys(describe_setup(plan) for plan in inside))
        if len({plan.comparability for plan in inside}) > 1:
            detail = ", ".join(setups) if len(setups) > 1 else "different test data"
            raise ConfigError(f"--group-as {name}: its runs were measured on different datasets, extractors or test "
                              f"data ({detail}) and cannot be summarised together")


def fill_groups(report: EvalReport, groups: bool | dict[str, list[str | Path]], run_paths: list[Path],
           say: Callable[[str], None]) -> None:
    """Fill ``report.groups`` and ``report.comparisons``."""
    runs = report.runs
    if isinstance(groups, dict):
        resolved = [path.resolve() for path in run_paths]
        found = [Group(name=name, runs=[resolved.index(path.resolve()) for path in members])
                 for name, members in named_groups(groups).items()]
    else:
        # never across tables: the comparability key joins the settings a group shares
        setups = [{"features": f"{r.features} {r.features_sha256[:8]}", "test data": r.real_fingerprint[:8]}
                  for r in runs]
        found = automatic_groups([{**r.config, **setup} for r, setup in zip(runs, setups, strict=True)],
                                 [r.epoch for r in runs], [r.ema for r in runs])
        if all(len(group.runs) == 1 for group in found) and len(found) > 1:
            say("warning: --group: no two runs share a configuration apart from the seed, so every group has one "
                "run and no spread; group runs of one configuration trained with different --seed")
    keys = [key for metric in report.metrics for key in ROWS[metric]]
    summarise(found, [r.metrics for r in runs], keys)
    report.groups = found
    table_of = {i: t for t, members in enumerate(report.tables()) for i in members}
    report.comparisons = [c for i, a in enumerate(found) for b in found[i + 1 :]
                          if table_of[a.runs[0]] == table_of[b.runs[0]] for c in compare(a, b, keys)]
