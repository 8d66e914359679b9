"""``ganzoo sweep``: a grid of runs (configurations x seeds), trained N at a time, evaluated,
and summarised as mean ± std over the seeds of each configuration.

The grid comes from the command line (``--model gan --model dcgan --set loss=hinge,least-squares``:
the product of every list) or from a TOML file::

    [sweep]
    dataset = "mnist"
    seeds = [0, 1, 2]
    parallel = 2                      # runs at a time, one CPU thread each
    set = { epochs = 5 }              # options for every run
    eval = { n = 10000 }              # ganzoo eval's options

    [[runs]]
    name = "gan"                      # the configuration's name: runs go to OUT/NAME-sSEED
    model = "gan"

    [[runs]]
    name = "gan-r1"
    model = "gan"
    set = { regularizer = "r1:gamma=1" }

Every run is a ``ganzoo run`` process (``OMP_NUM_THREADS=1`` and ``--threads 1`` unless
``threads`` is set, so that ``parallel`` runs on as many cores do not thrash), with
``--out OUT/NAME-sSEED``. A run whose last checkpoint has all its epochs is skipped; one
with an earlier checkpoint is resumed (``--resume``); the others start. Then each run is
evaluated (``ganzoo eval RUN --out RUN/eval``, also N at a time, skipped when its
``metrics.json`` is newer than the checkpoint), and ``OUT/summary.md`` and
``OUT/summary.json`` give each configuration's metrics as mean ± std over its seeds, with
training time. A failed run is reported by name with the end of its log
(``OUT/NAME-sSEED.log``) and does not stop the others.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ganzoo.errors import ConfigError
from ganzoo.sweep_summary import summarise, summary_markdown

PAIR_OPTIONS = ("betas", "betas_d", "betas_g")  # ganzoo run options with two values each
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass
class Configuration:
    """One configuration of the grid: a model and the options of ``ganzoo run``."""

    name: str
    model: str
    options: dict[str, Any] = field(default_factory=dict)

    def run_args(self) -> list[str]:
        """``ganzoo run``'s arguments: a list repeats its flag (``--regularizer r1 --regularizer
        lecam``), except for the options that take a pair (``betas = [0.5, 0.9]``:
        ``--betas 0.5 0.9``)."""
        args = [self.model]
        for key, value in self.options.items():
            flag = "--" + key.replace("_", "-")
            if key in PAIR_OPTIONS and isinstance(value, (list, tuple)):
                args += [flag, *map(str, value)]
                continue
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, bool):
                    args.append(flag if item else f"--no-{flag[2:]}")
                else:
                    args += [flag, str(item)]
        return args


@dataclass
class Sweep:
    """A whole sweep: configurations, seeds, and how to run and evaluate them."""

    configurations: list[Configuration]
    seeds: list[int]
    out: Path
    parallel: int = 1
    eval_options: dict[str, Any] = field(default_factory=dict)
    baseline: str | None = None  # a configuration the others are compared with (Welch's t-test on FID)

    def jobs(self) -> list[tuple[Configuration, int, Path]]:
        return [(c, seed, self.out / f"{c.name}-s{seed}") for c in self.configurations for seed in self.seeds]


def _product(options: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*(options[k] for k in keys))] or [{}]


def _slug(options: dict[str, Any]) -> str:
    text = "-".join(f"{k}={v}" for k, v in options.items()).lower()
    return "".join(c if c in NAME_CHARS else "_" for c in text.replace(":", "_").replace("=", "_"))


def from_command_line(models: Iterable[str], settings: Iterable[str], dataset: str, seeds: list[int], out: Path,
                      parallel: int, eval_options: dict[str, Any]) -> Sweep:
    """The product of ``--model`` values and each ``--set KEY=V1,V2`` list (``KEY=V`` alone: every run)."""
    grid: dict[str, list[Any]] = {}
    for setting in settings:
        key, equals, values = setting.partition("=")
        if not equals or not key.strip() or not values.strip():
            raise ConfigError(f"--set {setting!r} is not KEY=VALUE[,VALUE...]")
        grid[key.strip().replace("-", "_")] = [v.strip() for v in values.split(",")]
    varying = {k: v for k, v in grid.items() if len(v) > 1}
    configurations = []
    for model in models:
        for combination in _product(grid):
            name = model + ("-" + _slug({k: combination[k] for k in varying}) if varying else "")
            configurations.append(Configuration(name, model, {"dataset": dataset, **combination}))
    return _checked(Sweep(configurations, seeds, out, parallel, eval_options))


def from_toml(path: Path, out: Path | None) -> Sweep:
    """A sweep described by a TOML file (see the module docstring)."""
    try:
        import tomllib  # Python 3.11
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError("reading a TOML grid needs Python 3.11, or: pip install tomli") from None
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"--file {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--file {path} is not valid TOML: {error}") from None
    head = data.get("sweep", {})
    unknown = sorted(set(head) - {"dataset", "seeds", "parallel", "set", "eval", "out", "baseline"})
    if unknown:
        raise ConfigError(f"--file {path}: unknown key(s) in [sweep]: {', '.join(unknown)}; "
                          "allowed: dataset, seeds, parallel, set, eval, out, baseline")
    common = {"dataset": head.get("dataset", "mnist"), **head.get("set", {})}
    configurations = []
    for i, entry in enumerate(data.get("runs", [])):
        if "model" not in entry:
            raise ConfigError(f"--file {path}: [[runs]] number {i + 1} has no model")
        name = str(entry.get("name") or entry["model"])
        configurations.append(Configuration(name, str(entry["model"]), {**common, **entry.get("set", {})}))
    if not configurations:
        raise ConfigError(f"--file {path} has no [[runs]]: nothing to sweep")
    target = out if out is not None else Path(head.get("out", f"runs/sweep-{Path(path).stem}"))
    return _checked(Sweep(configurations, [int(s) for s in head.get("seeds", [0])], target,
                          int(head.get("parallel", 1)), dict(head.get("eval", {})), head.get("baseline")))


def _checked(sweep: Sweep) -> Sweep:
    names = [c.name for c in sweep.configurations]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"configuration name {twice[0]!r} is used twice; give each [[runs]] its own name")
    for name in names:
        if not name or set(name) - NAME_CHARS:
            raise ConfigError(f"configuration name {name!r}: use lowercase letters, digits, '.', '_' or '-'")
    if not sweep.seeds or len(set(sweep.seeds)) != len(sweep.seeds) or min(sweep.seeds) < 0:
        raise ConfigError(f"seeds must be distinct integers >= 0, got {sweep.seeds}")
    if sweep.parallel < 1:
        raise ConfigError(f"parallel must be >= 1, got {sweep.parallel}")
    if sweep.baseline is not None and sweep.baseline not in names:
        raise ConfigError(f"baseline {sweep.baseline!r} is not a configuration of the sweep: {', '.join(names)}")
    for c in sweep.configurations:
        if "seed" in c.options or "out" in c.options:
            raise ConfigError(f"configuration {c.name!r} sets {'seed' if 'seed' in c.options else 'out'}: "
                              "the sweep sets both (--seeds, --out)")
    return sweep


def select(sweep: Sweep, patterns: Iterable[str]) -> Sweep:
    """Keep the configurations whose name matches one of ``patterns`` (fnmatch: ``gan-r*``),
    and the sweep's baseline, which the others are compared with. A pattern that matches no
    configuration is a :class:`ConfigError` naming the ones there are."""
    import fnmatch

    names = [c.name for c in sweep.configurations]
    patterns = [p.strip() for p in patterns if p.strip()]
    if not patterns:
        raise ConfigError("--only needs at least one configuration name")
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise ConfigError(f"--only: no configuration matches {pattern!r}; the sweep has: {', '.join(names)}")
    kept = [c for c in sweep.configurations
            if c.name == sweep.baseline or any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]
    return dataclasses.replace(sweep, configurations=kept)


# --- running ------------------------------------------------------------------------


def run_state(run_dir: Path, epochs_wanted: int | None) -> str:
    """``"done"``, ``"resume"`` or ``"new"`` for a run directory, from its config and checkpoint."""
    from ganzoo.checkpoint import latest_checkpoint

    checkpoint = latest_checkpoint(run_dir) if run_dir.is_dir() else None
    if checkpoint is None:
        return "new"
    epochs_done = int(checkpoint.stem.split("-")[1]) if checkpoint.stem.count("-") == 1 else -1
    config = json.loads((run_dir / "config.json").read_text())
    wanted = epochs_wanted if epochs_wanted is not None else config["epochs"]
    return "done" if epochs_done >= wanted else "resume"


def _pool(commands: list[tuple[str, list[str], Path]], parallel: int, env: dict[str, str],
          say: Callable[[str], None],
          on_done: Callable[[str, int, float], None] | None = None) -> dict[str, tuple[int, float]]:
    """Run ``(name, argv, log file)`` commands, ``parallel`` at a time; their exit codes and
    seconds (also given to ``on_done`` as each one ends, so an interrupted sweep keeps them)."""
    pending, running, codes = list(commands), {}, {}
    logs = {name: log for name, _, log in commands}
    while pending or running:
        while pending and len(running) < parallel:
            name, argv, log = pending.pop(0)
            log.parent.mkdir(parents=True, exist_ok=True)
            handle = open(log, "w")
            running[name] = (subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env), handle,
                             time.perf_counter())
        time.sleep(0.2)
        for name, (process, handle, start) in list(running.items()):
            if process.poll() is None:
                continue
            handle.close()
            seconds = time.perf_counter() - start
            codes[name] = (process.returncode, seconds)
            if on_done is not None:
                on_done(name, process.returncode, seconds)
            say(f"{name}: {'ok' if process.returncode == 0 else f'failed (exit {process.returncode}), see ' + str(logs[name])} "
                f"in {seconds:.0f}s")
            del running[name]
    return codes


def _env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(threads or 1))
    env.setdefault("GANZOO_THREADS", str(threads or 1))
    return env


def run_sweep(sweep: Sweep, *, say: Callable[[str], None] = print, evaluate_runs: bool = True) -> dict[str, Any]:
    """Train what is missing, evaluate what is new, write the summary; returns it."""
    sweep.out.mkdir(parents=True, exist_ok=True)
    env = _env(None)
    training = []
    for configuration, seed, run_dir in sweep.jobs():
        epochs = configuration.options.get("epochs")
        state = run_state(run_dir, int(epochs) if epochs is not None else None)
        if state == "done":
            say(f"{run_dir.name}: finished, skipped")
            continue
        argv = [sys.executable, "-m", "ganzoo", "run", *configuration.run_args(), "--seed", str(seed),
                "--out", str(run_dir), "-q"]
        if state == "resume":
            argv.append("--resume")
        elif run_dir.exists():
            argv.append("--overwrite")  # a run that never wrote a checkpoint: start it again
        say(f"{run_dir.name}: {'resuming' if state == 'resume' else 'training'}")
        training.append((run_dir.name, argv, sweep.out / f"{run_dir.name}.log"))
    failed: set[str] = set()
    resumed = {name for name, argv, _ in training if "--resume" in argv}

    def record(name: str, code: int, seconds: float) -> None:
        if code != 0:
            failed.add(name)
            return
        timing = sweep.out / f"{name}.time.json"  # training seconds, resumed parts added up
        before = json.loads(timing.read_text())["seconds"] if name in resumed and timing.exists() else 0.0
        timing.write_text(json.dumps({"seconds": before + seconds}) + "\n")

    _pool(training, sweep.parallel, env, say, on_done=record)
    if evaluate_runs:
        evaluations = []
        for _, _, run_dir in sweep.jobs():
            if run_dir.name in failed or not run_dir.is_dir():
                continue
            metrics = run_dir / "eval" / "metrics.json"
            checkpoint = run_dir / "checkpoints" / "latest"
            if metrics.exists() and checkpoint.exists() and metrics.stat().st_mtime > checkpoint.stat().st_mtime:
                continue
            argv = [sys.executable, "-m", "ganzoo", "eval", str(run_dir), "--out", str(run_dir / "eval"), "--overwrite"]
            for key, value in sweep.eval_options.items():
                argv += ["--" + key.replace("_", "-"), str(value)]
            evaluations.append((f"eval {run_dir.name}", argv, sweep.out / f"{run_dir.name}.eval.log"))
        failed |= {name[5:] for name, (code, _) in _pool(evaluations, sweep.parallel, env, say).items() if code != 0}
    summary = summarise(sweep, failed)
    (sweep.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (sweep.out / "summary.md").write_text(summary_markdown(summary))
    return summary
