"""The quality of the headline commands, measured: each is trained with several seeds,
evaluated with ``ganzoo eval`` (10,000 samples, the dataset's classifier) and printed as
one row of mean ± std over the seeds, with its target and whether it is met.

    python benchmarks/quality.py --data-root ../shared/datasets          # the table in docs/models.md
    python benchmarks/quality.py --data-root ../shared/datasets --entries gan,cgan
    python benchmarks/quality.py --data-root DIR --quick --out /tmp/q    # a smoke test (the test suite)

It is ``ganzoo sweep`` (``ganzoo/sweep.py``) over the commands below: runs go to
``OUT/NAME-sSEED``, finished runs are skipped and interrupted ones resumed, so a second
invocation only evaluates and prints. By default one run trains at a time on every core,
so that the training seconds are what a user of an idle machine sees; ``--parallel 2``
halves the wall time, and then the seconds are those of two runs sharing the machine.

``--quick`` trains every command for 5 batches, with one
seed and 200 samples for the evaluation: it checks that the table is produced, not what it
says; its targets are not judged.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.sweep import Configuration, Sweep, run_sweep


@dataclass(frozen=True)
class Target:
    """What one metric must reach: ``value`` at most (``"<="``) or at least (``">="``)."""

    metric: str
    bound: str
    value: float

    def met(self, mean: float) -> bool:
        return mean <= self.value if self.bound == "<=" else mean >= self.value

    def __str__(self) -> str:
        return f"{LABELS.get(self.metric, self.metric)} {'≤' if self.bound == '<=' else '≥'} {self.value:g}"


@dataclass(frozen=True)
class Entry:
    """One headline command, as a user types it, with its targets and training budget."""

    name: str
    command: str
    model: str
    dataset: str
    options: dict[str, Any] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    budget_seconds: float = 300.0


# The quality issue's table: the commands a user judges the zoo by, at their recipes' defaults.
ENTRIES = (
    Entry("gan", "ganzoo run gan --dataset mnist", "gan", "mnist",
          targets=(Target("fid", "<=", 20), Target("class_tv", "<=", 0.05), Target("classes_covered", ">=", 10)),
          budget_seconds=300),
    Entry("dcgan-mnist", "ganzoo run dcgan --dataset mnist", "dcgan", "mnist",
          targets=(Target("fid", "<=", 15),), budget_seconds=900),
    Entry("dcgan-fashion-mnist", "ganzoo run dcgan --dataset fashion-mnist", "dcgan", "fashion-mnist",
          targets=(Target("fid", "<=", 15),), budget_seconds=900),
    Entry("gan-wasserstein-gp", "ganzoo run gan --loss wasserstein-gp --dataset mnist", "gan", "mnist",
          {"loss": "wasserstein-gp"}, (Target("fid", "<=", 50),), 600),
    Entry("gan-least-squares", "ganzoo run gan --loss least-squares --dataset mnist", "gan", "mnist",
          {"loss": "least-squares"}, (Target("fid", "<=", 50),), 600),
    Entry("gan-non-saturating", "ganzoo run gan --loss non-saturating --dataset mnist", "gan", "mnist",
          {"loss": "non-saturating"}, (Target("fid", "<=", 50),), 600),
    Entry("gan-hinge", "ganzoo run gan --loss hinge --dataset mnist", "gan", "mnist",
          {"loss": "hinge"}, (Target("fid", "<=", 50),), 600),
    Entry("cgan", "ganzoo run cgan --dataset mnist", "cgan", "mnist",
          targets=(Target("fid", "<=", 12), Target("conditional_accuracy", ">=", 0.98)), budget_seconds=600),
)

COLUMNS = ("fid", "kid_mean", "is_mean", "classes_covered", "class_tv", "conditional_accuracy")
LABELS = {"fid": "FID", "kid_mean": "KID", "is_mean": "IS", "classes_covered": "classes", "class_tv": "class TV",
          "conditional_accuracy": "cond. acc."}
DIGITS = {"fid": 1, "kid_mean": 2, "is_mean": 2, "classes_covered": 1, "class_tv": 3, "conditional_accuracy": 3,
          "seconds": 0}


def build_sweep(entries: list[Entry], *, data_root: str, seeds: list[int], out: Path, parallel: int, quick: bool,
                samples: int) -> tuple[Sweep, dict[str, str]]:
    """The sweep over the entries, and which entries are another's runs: two commands that
    resolve to the same configuration (``gan`` and ``gan --loss least-squares`` when the
    recipe's loss is least squares) train identically, so they are trained once and the
    second one's row reads the first one's runs."""
    from ganzoo import get_zoo
    from ganzoo.config import resolve_config

    threads = max(1, (os.cpu_count() or 1) // parallel)
    configurations, aliases, seen = [], {}, {}
    for entry in entries:
        options: dict[str, Any] = {"dataset": entry.dataset, **entry.options, "data_root": data_root,
                                   "threads": threads}
        if quick:
            options.update(epochs=1, limit_batches=5)
        overrides = {k: v for k, v in options.items() if k != "dataset"}
        resolved = resolve_config(get_zoo(), entry.model, entry.dataset, **overrides).to_dict()
        key = repr(sorted(resolved.items()))
        if key in seen:
            aliases[entry.name] = seen[key]
            continue
        seen[key] = entry.name
        configurations.append(Configuration(entry.name, entry.model, options))
    return Sweep(configurations, seeds, out, parallel, {"n": samples}), aliases


def _cell(stat: dict[str, Any] | None, metric: str) -> str:
    if stat is None:
        return "-"
    digits = DIGITS.get(metric, 2)
    return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"


def table(entries: list[Entry], summary: dict[str, Any], *, judged: bool,
          aliases: dict[str, str] | None = None, budgets_judged: bool = True) -> tuple[str, bool]:
    """The markdown table, and whether every target (and budget, if ``budgets_judged``:
    only a run alone on the machine measures one) was met."""
    rows = {row["name"]: row for row in summary["configurations"]}
    aliases = aliases or {}
    commands = {entry.name: entry.command for entry in entries}
    head = ["command"] + [LABELS[c] for c in COLUMNS] + ["train s", "target (budget)", "met"]
    lines = ["| " + " | ".join(head) + " |", "| --- | " + " | ".join("---:" for _ in head[1:-2]) + " | --- | --- |"]
    all_met = True
    for entry in entries:
        row = rows.get(aliases.get(entry.name, entry.name), {"metrics": {}, "train_seconds": None, "seeds": 0})
        same = f" (the same runs as `{commands[aliases[entry.name]]}`)" if entry.name in aliases else ""
        cells = [f"`{entry.command}`{same}"] + [_cell(row["metrics"].get(c), c) for c in COLUMNS]
        cells.append(_cell(row["train_seconds"], "seconds") if row["train_seconds"] else "-")
        goal = ", ".join(map(str, entry.targets)) + f" ({entry.budget_seconds / 60:g} min)"
        misses = [str(t) for t in entry.targets
                  if t.metric not in row["metrics"] or not t.met(row["metrics"][t.metric]["mean"])]
        seconds = row["train_seconds"]["mean"] if row["train_seconds"] else None
        if budgets_judged and (seconds is None or seconds > entry.budget_seconds):
            misses.append("budget")
        if not row["seeds"]:
            misses = ["not measured"]
        all_met = all_met and not misses
        verdict = ("yes" if not misses else "no: " + "; ".join(misses)) if judged else "(quick: not judged)"
        if judged and not budgets_judged and row["seeds"]:
            verdict += " (budget not judged)"
        cells += [goal, verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), all_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--data-root", required=True, help="folder with MNIST/ and FashionMNIST/ (torchvision layout)")
    parser.add_argument("--entries", default=",".join(e.name for e in ENTRIES),
                        help="comma-separated subset of: " + ", ".join(e.name for e in ENTRIES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--parallel", type=int, default=1, help="runs at a time (each gets cores / parallel threads)")
    parser.add_argument("--n", type=int, default=10000, help="samples per run for ganzoo eval")
    parser.add_argument("--out", default="runs/quality")
    parser.add_argument("--quick", action="store_true", help="smoke test: 5 batches each, 1 seed, 200 samples")
    args = parser.parse_args(argv)
    known = {e.name: e for e in ENTRIES}
    names = [n for n in args.entries.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"--entries: unknown {', '.join(unknown) or '(none given)'}; allowed: {', '.join(known)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r} is not a comma-separated list of integers")
    if args.parallel < 1:
        parser.error(f"--parallel must be >= 1, got {args.parallel}")
    if args.quick:
        seeds, args.n = seeds[:1], 200
    entries = [known[n] for n in names]
    try:
        sweep, aliases = build_sweep(entries, data_root=args.data_root, seeds=seeds, out=Path(args.out),
                                     parallel=args.parallel, quick=args.quick, samples=args.n)
        summary = run_sweep(sweep, say=lambda line: print(line, file=sys.stderr, flush=True))
    except GanzooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text, all_met = table(entries, summary, judged=not args.quick, aliases=aliases, budgets_judged=args.parallel == 1)
    print(f"python benchmarks/quality.py --data-root {args.data_root} --entries {','.join(names)} "
          f"--seeds {','.join(map(str, seeds))} --parallel {args.parallel} --n {args.n}"
          + (" --quick" if args.quick else ""))
    print(f"mean ± std over seeds {', '.join(map(str, seeds))}; train s: wall time of `ganzoo run` "
          f"({args.parallel} run(s) at a time, {sweep.configurations[0].options['threads']} thread(s) each)"
          + ("; budgets are judged only with --parallel 1, a run alone on the machine" if args.parallel > 1 else "")
          + "\n")
    print(text)
    if summary["failed"]:
        print(f"\nfailed: {', '.join(summary['failed'])} (logs in {args.out})")
        return 1
    return 0 if all_met or args.quick else 3


if __name__ == "__main__":
    sys.exit(main())
