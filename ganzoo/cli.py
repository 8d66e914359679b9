"""The ``ganzoo`` command line (click), with rich output.

User errors (bad option values, unknown names, missing data, unusable checkpoints) are
printed as one line on stderr with a non-zero exit code: 2 for a bad value on the command
line, 1 for the rest, including what the file system refuses (a path that cannot be
created, a full disk). Only bugs get a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ganzoo import __version__, plugins
from ganzoo.errors import GanzooError, describe_os_error
from ganzoo.threads import ThreadsWarning

console = Console()
err_console = Console(stderr=True)

LIST_KINDS = ("models", "generators", "discriminators", "losses", "conditioning", "datasets", "feature-extractors",
              "objectives", "regularizers", "augmentations", "optimizers", "options")
# Kinds whose entries are classes with options (their dataclass fields): `ganzoo list` loads them.
COMPONENT_KINDS = ("objectives", "regularizers", "augmentations")


class RegistryName(click.ParamType):
    """A name from one registry; unknown names fail with the list and a suggestion."""

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute
        self.name = "name"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "MODEL" if isinstance(param, click.Argument) else "NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        registry = getattr(plugins.get_zoo(), self.attribute)
        if value not in registry:
            self.fail(registry.unknown_message(value), param, ctx)
        return value


class ComponentSpecs(click.ParamType):
    """``NAME[:KEY=VALUE,...]`` specs of one registry: names and options checked here, so a
    typo is a usage error (exit 2) naming what exists."""

    def __init__(self, attribute: str, what: str, single: bool = False) -> None:
        self.attribute = attribute
        self.what = what
        self.single = single
        self.name = "spec"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "NAME[:KEY=VALUE]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from ganzoo import components

        registry = getattr(plugins.get_zoo(), self.attribute)
        try:
            specs = components.parse_specs(value, what=self.what)
            if self.single and len(specs) != 1:
                self.fail(f"give one {self.what}, got {value!r}", param, ctx)
            for name, _ in specs:
                if name not in registry:
                    self.fail(registry.unknown_message(name), param, ctx)
        except GanzooError as error:
            self.fail(str(error), param, ctx)
        return value


class PluginOptionType(click.ParamType):
    """A plugin-declared option's value, converted and checked by its :class:`ganzoo.Option`."""

    def __init__(self, option_name: str, option: Any) -> None:
        self.option_name = option_name
        self.option = option
        self.name = option.type.__name__

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "|".join(self.option.choices) if self.option.choices else self.option.type.__name__.upper()

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.option.convert(self.option_name, value)
        except GanzooError as error:
            self.fail(str(error), param, ctx)


class RunCommand(click.Command):
    """``ganzoo run``, with one command-line option per plugin-declared option
    (``register_options``) after the core's."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        return params[:-1] + _plugin_options() + params[-1:]  # --help stays last


def _plugin_options() -> list[click.Parameter]:
    declared = []
    for entry in plugins.get_zoo().options.entries():
        option = entry.load()
        flag = entry.name.replace("_", "-")
        default = f"[default: {option.default}]" if option.type is not bool else f"[default: {'on' if option.default else 'off'}]"
        help_text = f"{option.help} {default} (plugin {entry.plugin})"
        if option.type is bool:
            declared.append(click.Option([f"--{flag}/--no-{flag}", entry.name], default=None, help=help_text))
        else:
            declared.append(click.Option([f"--{flag}", entry.name], type=PluginOptionType(entry.name, option),
                                         default=None, help=help_text))
    return declared


def _warn_plugin_failures() -> None:
    for failure in plugins.get_zoo().failures:
        err_console.print(f"[yellow]warning:[/] {escape(str(failure))}", highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ganzoo")
def cli() -> None:
    """ganzoo: a pluggable GAN zoo for PyTorch.

    \b
    Train:      ganzoo run gan --dataset mnist
    Sample:     ganzoo sample runs/gan-mnist --n 64 --out digits.png
    Evaluate:   ganzoo eval runs/gan-mnist runs/cgan-mnist --out runs/compare
    The zoo:    ganzoo list models    /    ganzoo plugins

    Plugins installed in the same environment (entry-point group 'ganzoo') add models,
    losses, conditioning strategies, datasets and feature extractors to every command.
    """


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 epoch``, ``2 epochs``, ``0 epochs``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


# --- run -------------------------------------------------------------------------------


@cli.command(cls=RunCommand, short_help="Train MODEL on a dataset: grids, a JSONL log, checkpoints, --resume.")
@click.argument("model", type=RegistryName("models"))
@click.option("--dataset", "-d", type=RegistryName("datasets"), default="mnist", show_default=True,
              help="Dataset to train on (see 'ganzoo list datasets').")
@click.option("--epochs", type=click.IntRange(min=1),
              help="Passes over the training set. [default: the model's recipe: 20 for gan, cgan and acgan, 5 for dcgan]")
@click.option("--batch-size", type=click.IntRange(min=1), help="Real images per discriminator step.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), help="Learning rate of G and D.")
@click.option("--lr-d", type=click.FloatRange(min=0, min_open=True), help="D's own learning rate (TTUR). [default: --lr]")
@click.option("--lr-g", type=click.FloatRange(min=0, min_open=True), help="G's own learning rate (TTUR). [default: --lr]")
@click.option("--betas", type=click.FloatRange(0, 1, max_open=True), nargs=2, default=None,
              help="Adam betas, two numbers in [0, 1): --betas 0.5 0.999")
@click.option("--betas-d", type=click.FloatRange(0, 1, max_open=True), nargs=2, default=None,
              help="D's own betas. [default: --betas]")
@click.option("--betas-g", type=click.FloatRange(0, 1, max_open=True), nargs=2, default=None,
              help="G's own betas. [default: --betas]")
@click.option("--optimizer", type=RegistryName("optimizers"), help="Optimizer of G and D (see 'ganzoo list optimizers'). [recipe: adam]")
@click.option("--loss", type=RegistryName("losses"), help="Adversarial loss (see 'ganzoo list losses').")
@click.option("--objective", type=ComponentSpecs("objectives", "objective", single=True),
              help="What one D and one G update compute: NAME[:KEY=VALUE,...] (see 'ganzoo list objectives'). "
                   "[default: adversarial, Algorithm 1 with --loss]")
@click.option("--regularizer", "regularizers", multiple=True, type=ComponentSpecs("regularizers", "regularizer"),
              help="Add a term to D's (or G's) loss: NAME[:KEY=VALUE,...]; repeat to stack (see 'ganzoo list regularizers').")
@click.option("--augment", multiple=True, type=ComponentSpecs("augmentations", "augmentation"),
              help="Augment every image D sees, real and fake: NAME[:KEY=VALUE],... in order (see 'ganzoo list augmentations').")
@click.option("--conditioning", type=RegistryName("conditioning"),
              help="How labels reach G and D (see 'ganzoo list conditioning').")
@click.option("--d-steps", type=click.IntRange(min=1), help="Discriminator steps per iteration (k in Algorithm 1).")
@click.option("--g-steps", type=click.IntRange(min=1), help="Generator steps per iteration.")
@click.option("--z-dim", type=click.IntRange(min=1), help="Size of the noise vector z.")
@click.option("--preset", help="A named set of hyperparameters of the model (e.g. 'reference').")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the whole run.")
@click.option("--device", default="auto", show_default=True, help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps.")
@click.option("--amp/--no-amp", default=None, help="Mixed precision on CUDA (bf16, or fp16 with loss scaling). [default: on]")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), envvar="GANZOO_DATA_ROOT",
              help="Folder holding the datasets (torchvision's layout). [default: $GANZOO_DATA_ROOT or ~/.cache/ganzoo/datasets]")
@click.option("--download/--no-download", default=True, show_default=True, help="Download a missing dataset.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory. [default: runs/MODEL-DATASET, numbered if taken]")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace the run already in --out.")
@click.option("--log-every", type=click.IntRange(min=1), help="Iterations between copies of the losses to the host. [50]")
@click.option("--compile", "compile_mode", type=click.Choice(["none", "default", "reduce-overhead", "max-autotune"]),
              default=None, help="torch.compile G and D's body with this mode (reduce-overhead: CUDA graphs). "
              "Pays off on CUDA; on CPU compiling takes minutes and was slower here. [default: none]")
@click.option("--limit-batches", type=click.IntRange(min=1), help="Use at most this many batches per epoch (quick trials).")
@click.option("--data-fraction", type=click.FloatRange(0, 1, min_open=True),
              help="Train on this fraction of the training split: the same class-stratified subset for every seed "
                   "(data-limited experiments, e.g. 0.1). [1]")
@click.option("--threads", type=click.IntRange(min=1),
              help="CPU threads of this run, fixed. [default: $GANZOO_THREADS, else $OMP_NUM_THREADS, else automatic: "
                   "the cores shared among the ganzoo runs on this machine, re-checked as runs start and end] "
                   "Runs that each use every core slow each other down: two at once on 2 cores took 26 s each with "
                   "PyTorch's default threads, 4.5 s with one thread each. Exact reproducibility needs a fixed count.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, only the summary.")
def run(model: str, dataset: str, quiet: bool, out: Path | None, resume: bool, overwrite: bool,
        preset: str | None, **options: Any) -> None:
    """Train MODEL on a dataset (Algorithm 1 of Goodfellow et al. 2014).

    Writes config.json, metrics.jsonl (one record per iteration), samples/epoch-NNNN.png
    (10x10 grid from fixed noise; one row per class for conditional models) and
    checkpoints/ into the run directory. Options not given come from the model's recipe.

    Several runs at once (seeds side by side) share the CPU cores: each takes its share,
    adjusted while it trains (see --threads).
    """
    from ganzoo.training import TrainingInterrupted, train

    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun, rank 0 speaks for the run
        quiet = True

    _warn_plugin_failures()
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite exclude each other: continue the run or replace it")
    # Only what the user actually gave: the rest comes from the recipe (or, on --resume,
    # from the run being resumed).
    ctx = click.get_current_context()
    # On --resume, the run's own data root beats $GANZOO_DATA_ROOT (a default, not a choice).
    given = {ParameterSource.COMMANDLINE} if resume else {ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT}
    options = {k: v for k, v in options.items() if ctx.get_parameter_source(k) in given and v not in (None, ())}
    if "data_root" in options:
        options["data_root"] = str(options["data_root"].expanduser().resolve())
    if "compile_mode" in options:  # `compile` would shadow the builtin as a parameter name
        options["compile"] = options.pop("compile_mode")
    for name in ("regularizers", "augment"):  # repeated options: a list of specs
        if name in options:
            options[name] = list(options[name])
    try:
        with _TrainingDisplay(quiet) as display, _one_line_warnings():
            result = train(model, dataset, out=out, resume=resume, overwrite=overwrite, preset=preset,
                           on_progress=display.update, **options)
    except TrainingInterrupted as stop:
        err_console.print(f"[yellow]Interrupted:[/] {escape(str(stop))}", highlight=False, soft_wrap=True)
        sys.exit(stop.exit_code)
    if int(os.environ.get("RANK", "0")) != 0:
        return
    summary = run_summary(result)
    if summary is not None:  # None: nothing was trained (the display said why)
        console.print(summary, highlight=False, soft_wrap=True)
    console.print(f"run directory: {result.run_dir}   last grid: {result.run_dir / 'samples' / f'epoch-{result.epochs_done:04d}.png'}",
                  highlight=False, soft_wrap=True)


def run_summary(result: Any) -> str | None:
    """The line ``ganzoo run`` ends with: what this command trained and how long it took;
    after ``--resume``, also what the whole run now holds. ``None`` if nothing was trained."""
    trained = result.steps - result.start_step
    if trained <= 0:
        return None
    metrics = "  ".join(f"{k} {v:.3f}" for k, v in result.last_metrics.items())
    head = f"[bold green]done[/] {result.config.model} on {result.config.dataset}: "
    if not result.start_step:
        return (f"{head}{plural(result.epochs_done, 'epoch')}, {plural(result.steps, 'iteration')} "
                f"in {result.seconds:.1f}s  {metrics}")
    return (f"{head}{plural(trained, 'iteration')} in {result.seconds:.1f}s, resumed at iteration {result.start_step}; "
            f"the run has {plural(result.epochs_done, 'epoch')}, {plural(result.steps, 'iteration')} in all  {metrics}")


class _one_line_warnings:
    """While training, ganzoo's own warnings (:class:`ganzoo.threads.ThreadsWarning`) are
    one line on stderr, like errors; other warnings keep Python's format."""

    def __enter__(self) -> None:
        self.catcher = warnings.catch_warnings()
        self.catcher.__enter__()
        shown = warnings.showwarning

        def show(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
            if issubclass(category, ThreadsWarning):
                err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        warnings.simplefilter("always", ThreadsWarning)

    def __exit__(self, *exc: Any) -> None:
        self.catcher.__exit__(*exc)


class _TrainingDisplay:
    """A rich progress bar with the epoch, the losses and what the objective declares (D(x)
    and D(G(z)) for the cross-entropy losses); one summary line per epoch so that logs (not a
    terminal) show the run too."""

    def __init__(self, quiet: bool, console: Console | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.quiet = quiet
        self.console = console = console if console is not None else err_console
        self.progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            # In a log (not a terminal) the per-epoch lines below say it all.
            disable=quiet or not console.is_terminal,
            transient=True,  # the per-epoch lines stay; the bar goes when training ends
        )
        self.task: Any = None
        self.epoch_start = time.perf_counter()
        self.total_epochs = 0
        self.per_epoch = 0
        self.labels: list[tuple[str, str]] = [("loss_d", "loss_d"), ("loss_g", "loss_g")]

    def __enter__(self) -> "_TrainingDisplay":
        return self  # the bar starts with training, not while data and models load

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def update(self, event: dict[str, Any]) -> None:
        if "total_epochs" in event:  # start of training
            self.total_epochs, self.per_epoch = event["total_epochs"], event["per_epoch"]
            # What the objective, loss and regularizers declared, with their short labels.
            self.labels = [(spec.name, spec.label) for spec in event.get("metric_specs", ())]
            resumed = f", resuming at iteration {event['resumed_at_step']}" if event.get("resumed_at_step") else ""
            processes = f" x {plural(event['world_size'], 'process', 'processes')}" if event.get("world_size", 1) > 1 else ""
            threads = f" ({event['threads']})" if event.get("threads") and event.get("device") == "cpu" else ""
            if event["epoch"] > self.total_epochs:  # resumed with --epochs at or below what is done
                self.console.print(
                    f"nothing to train: {event['run_dir']} has {plural(event['epoch'] - 1, 'epoch')} done and --epochs "
                    f"is {self.total_epochs}; raise --epochs to train further",
                    highlight=False,
                    soft_wrap=True,
                )
                return
            if not self.quiet:
                self.console.print(
                    f"training on {event['device']}{threads}{processes}: {plural(event['examples'], 'image')}, "
                    f"{plural(self.per_epoch, 'iteration')} per epoch, {plural(self.total_epochs, 'epoch')}{resumed} "
                    f"-> {event['run_dir']}",
                    highlight=False,
                    soft_wrap=True,
                )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.per_epoch, epoch=f"{event['epoch']}/{self.total_epochs}", metrics="")
            self.epoch_start = time.perf_counter()
            return
        text = "  ".join(f"{label} {event[name]:.3f}" for name, label in self.labels if name in event)
        if "epoch_done" in event:
            seconds = time.perf_counter() - self.epoch_start
            last = event["epoch_done"] >= self.total_epochs
            if last:  # the bar goes before the last epoch's line: nothing under the summary
                self.progress.stop()
            if not self.quiet:
                self.console.print(f"epoch {event['epoch_done']}/{self.total_epochs}  {text}  ({seconds:.1f}s)", highlight=False,
                                   soft_wrap=True)
            self.epoch_start = time.perf_counter()
            if self.task is not None and not last:
                self.progress.reset(self.task, total=self.per_epoch, epoch=f"{event['epoch_done'] + 1}/{self.total_epochs}", metrics=text)
            return
        if self.task is not None:
            # Events between two log flushes carry the iteration count only (no copy from the
            # device): the bar moves and the time left is estimated; the metrics stay.
            done = event["step"] - (event["epoch"] - 1) * self.per_epoch
            self.progress.update(self.task, completed=done, **({"metrics": text} if text else {}))


# --- sample ----------------------------------------------------------------------------


@cli.command()
@click.argument("run", type=click.Path(exists=True, path_type=Path), metavar="RUN_DIR_OR_CHECKPOINT")
@click.option("--n", "-n", type=click.IntRange(min=1, max=10000), default=64, show_default=True,
              help="Number of images of the grid.")
@click.option("--label", help="Class to draw (index or name), for conditional models. "
                              "[default: every class, one row each; with --interpolate: class 0]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the noise.")
@click.option("--nrow", type=click.IntRange(min=1), help="Images per row. [default: square grid; one row per class; "
                                                           "the whole strip with --interpolate]")
@click.option("--interpolate", type=click.IntRange(min=0), nargs=2, default=None, metavar="SEED_A SEED_B",
              help="Instead of a grid, a strip from the noise of seed A to that of seed B (spherical interpolation).")
@click.option("--traverse", type=click.IntRange(min=0), default=None, metavar="CODE",
              help="Instead of a grid, InfoGAN's figure: one row per categorical code, columns sweeping continuous "
                   "code CODE from -2 to 2 (--steps columns), the noise fixed by --seed. Runs whose objective has codes.")
@click.option("--steps", type=click.IntRange(min=2, max=1000),
              help="Images in the --interpolate strip (ends included) or columns of --traverse. [10]")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("samples.png"), show_default=True,
              help="Image file to write (.png or .jpg).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--ema/--no-ema", default=True, show_default=True,
              help="Use the moving average of G's weights when the run kept one (--ema).")
def sample(run: Path, n: int, label: str | None, seed: int, nrow: int | None, interpolate: tuple[int, int] | None,
           traverse: int | None, steps: int | None, out: Path, overwrite: bool, device: str, ema: bool) -> None:
    """Draw images from the generator saved in a run directory or checkpoint file.

    \b
    A grid (the default):  ganzoo sample RUN --n 64 [--label 7]
    A strip from z(seed A) to z(seed B):  ganzoo sample RUN --interpolate 3 8 --steps 10
    A code traversal (InfoGAN):  ganzoo sample RUN --traverse 0 --steps 10
    """
    ctx = click.get_current_context()
    if traverse is not None:
        if interpolate is not None:
            raise click.UsageError("--traverse and --interpolate exclude each other: one figure at a time")
        for option in ("n", "label", "nrow"):
            if ctx.get_parameter_source(option) == ParameterSource.COMMANDLINE:
                raise click.UsageError(f"--{option} does not apply to --traverse (its grid is one row per categorical "
                                       "code and --steps columns)")
        from ganzoo.sampling import traversal_to_file

        steps = 10 if steps is None else steps
        path = traversal_to_file(run, out, traverse, steps=steps, seed=seed, device=device, overwrite=overwrite, ema=ema)
        console.print(f"wrote a traversal of continuous code {traverse} ({steps} columns) to {path}", highlight=False)
        return
    if interpolate is None:
        if steps is not None:
            raise click.UsageError("--steps only applies to --interpolate SEED_A SEED_B or --traverse CODE")
        from ganzoo.sampling import sample_to_file

        path = sample_to_file(run, out, n=n, label=label, seed=seed, nrow=nrow, device=device, overwrite=overwrite, ema=ema)
        console.print(f"wrote {plural(n, 'sample')} to {path}", highlight=False)
        return
    # The strip's images are set by --interpolate and --steps: options that pick other noise
    # or another count would be silently ignored, so they are refused.
    for option in ("n", "seed"):
        if ctx.get_parameter_source(option) == ParameterSource.COMMANDLINE:
            raise click.UsageError(f"--{option} does not apply to --interpolate (the strip is --steps images "
                                   "from the noise of SEED_A to that of SEED_B)")
    from ganzoo.sampling import interpolation_to_file

    seed_a, seed_b = interpolate
    steps = 10 if steps is None else steps
    path = interpolation_to_file(run, out, seed_a, seed_b, steps=steps, label=label, nrow=nrow, device=device,
                                 overwrite=overwrite, ema=ema)
    console.print(f"wrote a strip of {plural(steps, 'image')} from seed {seed_a} to seed {seed_b} to {path}", highlight=False)


# --- eval ------------------------------------------------------------------------------

# = ganzoo.evaluation.metrics.METRICS and METRIC_ALIASES (no torch import here); coverage is the class coverage
EVAL_METRICS = ("fid", "kid", "is", "pr", "dc", "icfid", "coverage", "accuracy")
EVAL_METRIC_ALIASES = {"precision": "pr", "recall": "pr", "density": "dc", "knn-coverage": "dc", "knn_coverage": "dc",
                       "intra-class-fid": "icfid"}


class MetricList(click.ParamType):
    """A comma-separated list of metric names; unknown names fail with the choices."""

    name = "metrics"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        if isinstance(value, list):
            return value
        names = [EVAL_METRIC_ALIASES.get(v.strip().lower(), v.strip().lower()) for v in str(value).split(",") if v.strip()]
        if not names:
            self.fail(f"no metric given; choose from {','.join(EVAL_METRICS)}", param, ctx)
        for name in names:
            if name not in EVAL_METRICS:
                import difflib

                close = difflib.get_close_matches(name, EVAL_METRICS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.fail(f"unknown metric {name!r}: {hint}choose from {','.join(EVAL_METRICS)}", param, ctx)
        return names


class GroupSpec(click.ParamType):
    """``NAME=RUN,RUN,...`` of ``ganzoo eval --group-as``: a named group of existing runs."""

    name = "NAME=RUN,RUN,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, list[Path]]:
        if isinstance(value, tuple):
            return value
        name, _, members = str(value).partition("=")
        paths = [Path(m.strip()) for m in members.split(",") if m.strip()]
        if not name.strip() or not paths:
            self.fail(f"{value!r} is not NAME=RUN,RUN,... (a group's name, then its runs)", param, ctx)
        for path in paths:
            if not path.exists():
                self.fail(f"{value!r}: run {str(path)!r} does not exist", param, ctx)
        return name.strip(), paths


@cli.command("eval")
@click.argument("runs", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="RUN_DIR_OR_CHECKPOINT...")
@click.option("--n", "-n", type=click.IntRange(min=2), default=10000, show_default=True,
              help="Samples per run (balanced over the classes for conditional models).")
@click.option("--metrics", type=MetricList(), default=",".join(EVAL_METRICS), show_default=True,
              help="Comma-separated: fid, kid, is, pr (precision and recall), dc (density and k-NN coverage), "
                   "icfid (intra-class FID, conditional models), coverage (class histogram), accuracy (conditional "
                   "models).")
@click.option("--features", type=RegistryName("feature_extractors"),
              help="Feature extractor (see 'ganzoo list feature-extractors'). "
                   "[default: the dataset's classifier, else inception]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the noise (and of KID's subsets).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per forward pass. [default: the extractor's]")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding the dataset. [default: the run's, else $GANZOO_DATA_ROOT or ~/.cache/ganzoo/datasets]")
@click.option("--inception-weights", type=click.Path(dir_okay=False, path_type=Path),
              help="Local copy of torch-fidelity's weights-inception-2015-12-05-6726825d.pth. [default: torch hub's cache]")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for metrics.json, report.md and report.html. [default: RUN_DIR/eval; required for several runs]")
@click.option("--overwrite", is_flag=True, help="Replace the metrics.json already in --out.")
@click.option("--ema/--no-ema", default=True, show_default=True,
              help="Use the moving average of G's weights when the run kept one (--ema).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=20, show_default=True,
              help="Bootstrap resamples of the generated samples behind the ± of FID, precision, recall, density "
                   "and coverage (0: none).")
@click.option("--group", "group", is_flag=True,
              help="Group the runs whose config is the same except for the seed: mean ± std per group, and whether "
                   "two groups differ by more than their spread (Welch's t-test).")
@click.option("--group-as", "group_as", type=GroupSpec(), multiple=True,
              help="A named group, NAME=RUN,RUN,... (repeatable; its runs need not be repeated as arguments).")
def eval_(runs: tuple[Path, ...], n: int, metrics: list[str], features: str | None, seed: int, device: str,
          batch_size: int | None, data_root: Path | None, inception_weights: Path | None, out: Path | None,
          overwrite: bool, ema: bool, bootstrap: int, group: bool, group_as: tuple[tuple[str, list[Path]], ...]) -> None:
    """Measure saved generators: FID, KID and IS (torchmetrics) against the dataset's test split,
    precision and recall, density and coverage (k-NN on the same features), class coverage
    and, for conditional models, conditional accuracy.

    Several runs are evaluated with the same settings and shown side by side; --group or
    --group-as summarise seeds of one configuration as mean ± std. Writes metrics.json,
    report.md and report.html (one self-contained page with each run's sample grid and
    training curves) to --out. Real-data statistics are cached in $GANZOO_CACHE_DIR/stats
    (default ~/.cache/ganzoo/stats).
    """
    from ganzoo.evaluation.pipeline import evaluate
    from ganzoo.evaluation.report import rich_tables

    if not runs and not group_as:
        raise click.UsageError("give at least one run directory or checkpoint file")
    if group and group_as:
        raise click.UsageError("--group groups the runs by their config; --group-as names the groups: use one")
    named: dict[str, list[Path]] = {}
    for name, paths in group_as:
        if name in named:
            raise click.BadParameter(f"group {name!r} is given twice", param_hint="--group-as")
        named[name] = paths
    _warn_plugin_failures()
    report = evaluate(
        list(runs), n=n, metrics=metrics, features=features, device=device, out=out, batch_size=batch_size,
        data_root=data_root, inception_weights=inception_weights, seed=seed, ema=ema, overwrite=overwrite,
        bootstrap=bootstrap, groups=named or group,
        log=lambda message: err_console.print(f"[dim]{escape(message)}[/]", highlight=False, soft_wrap=True),
    )
    for table in rich_tables(report):
        console.print(table)
    console.print(f"wrote {report.out / 'metrics.json'}, {report.out / 'report.md'} and {report.out / 'report.html'}",
                  highlight=False)


# --- sweep -----------------------------------------------------------------------------


@cli.command(short_help="Train a grid of configurations x seeds, N at a time, evaluate all, summarise.")
@click.option("--file", "grid_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML grid ([sweep] and [[runs]] tables; see docs/cli.md). Excludes --model and --set.")
@click.option("--model", "models", multiple=True, type=RegistryName("models"), help="A model of the grid (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="KEY=V1[,V2...]",
              help="A ganzoo run option for every run, or a list to sweep (--set loss=hinge,least-squares). Repeatable.")
@click.option("--dataset", "-d", type=RegistryName("datasets"), default="mnist", show_default=True)
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds: one run per seed and configuration.")
@click.option("--parallel", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Runs at a time, each on one CPU thread (OMP_NUM_THREADS=1 unless set).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the runs and summary.md. [default: runs/sweep, or the file's out]")
@click.option("--eval-n", type=click.IntRange(min=2), help="Samples per run for ganzoo eval. [10000]")
@click.option("--no-eval", is_flag=True, help="Train only; no evaluation and no summary metrics.")
def sweep(grid_file: Path | None, models: tuple[str, ...], settings: tuple[str, ...], dataset: str, seeds: str,
          parallel: int, out: Path | None, eval_n: int | None, no_eval: bool) -> None:
    """Train a grid of runs, evaluate them, and summarise each configuration as mean ± std over seeds.

    \b
    ganzoo sweep --model gan --set loss=hinge,least-squares --set epochs=5 --seeds 0,1,2
    ganzoo sweep --file grid.toml --parallel 2

    Runs go to OUT/CONFIGURATION-sSEED; finished runs are skipped and interrupted ones
    resumed, so the same command continues a sweep. Writes OUT/summary.md and summary.json.
    """
    from ganzoo import sweep as sweeps

    ctx = click.get_current_context()
    if grid_file is not None:
        if models or settings:
            raise click.UsageError("--file excludes --model and --set: put them in the file")
        plan = sweeps.from_toml(grid_file, out)
        if ctx.get_parameter_source("parallel") == ParameterSource.COMMANDLINE:
            plan.parallel = parallel
    else:
        if not models:
            raise click.UsageError("give --model (repeatable) or --file GRID.toml")
        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise click.BadParameter(f"{seeds!r} is not a comma-separated list of integers", param_hint="--seeds") from None
        plan = sweeps.from_command_line(models, settings, dataset, seed_list, out or Path("runs/sweep"), parallel, {})
    if eval_n is not None:
        plan.eval_options["n"] = eval_n
    runs = len(plan.jobs())
    console.print(f"sweep: {len(plan.configurations)} configuration{'s' * (len(plan.configurations) != 1)} x "
                  f"{len(plan.seeds)} seed{'s' * (len(plan.seeds) != 1)} = {runs} run{'s' * (runs != 1)}, "
                  f"{plan.parallel} at a time -> {plan.out}", highlight=False, soft_wrap=True)
    summary = sweeps.run_sweep(plan, say=lambda message: err_console.print(escape(message), highlight=False,
                                                                           soft_wrap=True), evaluate_runs=not no_eval)
    console.print(sweeps.summary_markdown(summary), highlight=False, soft_wrap=True)
    console.print(f"wrote {plan.out / 'summary.md'} and {plan.out / 'summary.json'}", highlight=False)
    if summary["failed"]:
        sys.exit(1)


# --- list / plugins --------------------------------------------------------------------


@cli.command("list")
@click.argument("kind", type=click.Choice(LIST_KINDS), default="models", metavar="[KIND]")
@click.argument("pattern", default="*")
def list_(kind: str, pattern: str) -> None:
    """List what the installed plugins registered: models (default), generators,
    discriminators, losses, conditioning, datasets, feature-extractors, objectives,
    regularizers, augmentations, optimizers or options (the run options plugins declare).
    PATTERN filters names (fnmatch); a model's exact name also shows its recipe: the
    hyperparameters, G's and D's settings and what each preset changes."""
    _warn_plugin_failures()
    zoo = plugins.get_zoo()
    registry = getattr(zoo, kind.replace("-", "_"))
    names = registry.names(pattern)
    table = Table(title=f"{kind} ({len(names)})", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    if kind == "models":
        table.add_column("G / D / loss / conditioning")
        table.add_column("presets")
    elif kind in COMPONENT_KINDS:
        table.add_column("options")
    elif kind == "options":
        for column in ("type", "default", "help", "resumable"):
            table.add_column(column, overflow="fold")
    table.add_column("plugin", overflow="fold")
    if kind != "options":  # an option's help says it
        table.add_column("description")
    # Only the kinds that show more than a name load their entries: listing generators,
    # losses or datasets imports none of them (nor torch).
    for name in names:
        entry = registry.entry(name)
        if kind == "models":
            recipe = entry.load()
            parts = f"{recipe.generator} / {recipe.discriminator} / {recipe.loss} / {recipe.conditioning}"
            table.add_row(name, parts, ", ".join(sorted(recipe.presets)) or "-", entry.plugin, entry.description)
        elif kind in COMPONENT_KINDS:
            table.add_row(name, escape(_component_options(entry)), entry.plugin, entry.description)
        elif kind == "options":
            option = entry.load()
            table.add_row(name, option.type.__name__, escape(_setting(option.default)), escape(_option_help(option)),
                          "yes" if option.resumable else "no", entry.plugin)
        else:
            table.add_row(name, entry.plugin, entry.description)
    console.print(table)
    if kind == "models" and names == [pattern]:  # one model, named exactly: its recipe in detail
        _print_recipe(zoo, registry.entry(pattern))


def _component_options(entry: Any) -> str:
    """``weight=10.0 (float)`` for an objective, regularizer or augmentation; a plugin that
    fails to import is said in the cell rather than ending the listing."""
    from ganzoo.components import describe_options

    try:
        return describe_options(entry.load())
    except Exception as error:  # a broken plugin must not hide the others
        return f"(cannot import {entry.target}: {type(error).__name__}: {error})"


def _option_help(option: Any) -> str:
    extra = f" One of: {', '.join(option.choices)}." if option.choices else ""
    extra += f" Allowed: {option.allowed}." if option.allowed else ""
    return option.help + extra


def _setting(value: Any) -> str:
    """A setting as the command line would take it: ``on``/``off``, ``0.5, 0.999``, ``-``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "-"
    if isinstance(value, (tuple, list)):
        return ", ".join(_setting(v) for v in value) or "-"
    return str(value)


def _kwargs(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in values.items()) or "- (the builder's defaults)"


# Hyperparameters `ganzoo list models NAME` always shows; the recipe's others only when it sets them.
RECIPE_CORE_SETTINGS = ("epochs", "batch_size", "lr", "betas", "d_steps", "g_steps", "z_dim")


def _print_recipe(zoo: Any, entry: Any) -> None:
    """One model's recipe: every hyperparameter ``ganzoo run MODEL`` trains with and where it
    comes from (the recipe, ganzoo's default, the loss, a plugin option's default), G's and
    D's keyword arguments, and each preset with what it changes."""
    import dataclasses

    from ganzoo.config import TrainConfig

    recipe = entry.load()
    hyper = dict(recipe.hyperparameters)
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}
    option_names = set(zoo.options.names())
    # setting -> (value, where it comes from)
    settings: dict[str, tuple[Any, str]] = {}
    for name in RECIPE_CORE_SETTINGS:
        settings[name] = (hyper[name], "recipe") if name in hyper else (defaults.get(name), "ganzoo default")
    if "d_steps" not in hyper:  # as resolve_config: a loss may ask for more D steps (WGAN-GP's 5)
        try:
            loss_steps = getattr(zoo.losses.get(recipe.loss), "default_d_steps", None)
        except Exception:  # a broken loss plugin: `ganzoo run` says so, the listing goes on
            loss_steps = None
        if loss_steps:
            settings["d_steps"] = (loss_steps, f"loss {recipe.loss}")
    for name, value in hyper.items():  # objective, regularizers, optimizer, lr_d...: only when set
        if name not in settings and name not in option_names:
            settings[name] = (value, "recipe")
    preset_keys = {key for preset in recipe.presets.values() for key in preset}
    for option_entry in zoo.options.entries():
        name = option_entry.name
        option = option_entry.load()
        if name in hyper:
            settings[name] = (hyper[name], "recipe")
        elif name in preset_keys or not option.resumable:  # what changes the model or its samples
            settings[name] = (option.default, f"default of plugin {option_entry.plugin}")

    table = Table(title=f"{recipe.name}: the settings of 'ganzoo run {recipe.name}'", title_justify="left")
    table.add_column("setting", style="bold cyan", no_wrap=True)
    table.add_column("value")
    table.add_column("from")
    for name, (value, source) in settings.items():
        table.add_row(name, escape(_setting(value)), escape(source))
    table.add_row(f"G {recipe.generator}", escape(_kwargs(recipe.generator_kwargs)), "recipe (generator_kwargs)")
    table.add_row(f"D {recipe.discriminator}", escape(_kwargs(recipe.discriminator_kwargs)), "recipe (discriminator_kwargs)")
    console.print(table)

    if not recipe.presets:
        console.print(f"{recipe.name} has no presets.", highlight=False)
    else:
        presets = Table(title=f"presets of {recipe.name} (ganzoo run {recipe.name} --preset NAME)", title_justify="left")
        presets.add_column("preset", style="bold cyan", no_wrap=True)
        presets.add_column("what it changes")
        for preset_name in sorted(recipe.presets):
            changes = []
            for key, value in recipe.presets[preset_name].items():
                if key in ("generator_kwargs", "discriminator_kwargs") and isinstance(value, dict):
                    base = recipe.generator_kwargs if key == "generator_kwargs" else recipe.discriminator_kwargs
                    for kwarg, new in value.items():
                        old = repr(base[kwarg]) if kwarg in base else "the builder's default"
                        changes.append(_change(f"{key}.{kwarg}", old, repr(new)))
                else:
                    old_value = settings[key][0] if key in settings else defaults.get(key)
                    changes.append(_change(key, _setting(old_value), _setting(value)))
            presets.add_row(preset_name, escape("\n".join(changes)) or "-")
        console.print(presets)
    if recipe.reference:
        console.print(f"reference: {escape(recipe.reference)}", highlight=False, soft_wrap=True)


def _change(name: str, old: str, new: str) -> str:
    return f"{name}: {new} (as without it)" if old == new else f"{name}: {old} -> {new}"


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_(as_json: bool) -> None:
    """Show installed plugins, their version, where they come from and what they register."""
    infos = plugins.plugin_infos()
    failures = plugins.get_zoo().failures
    if as_json:
        payload = {
            "plugins": [
                {"name": i.name, "source": i.source, "distribution": i.distribution, "version": i.version,
                 "hooks": i.hooks, "registered": i.registered}
                for i in infos
            ],
            "failures": [{"plugin": f.plugin, "stage": f.stage, "error": f"{type(f.error).__name__}: {f.error}"} for f in failures],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    table = Table(title="ganzoo plugins", title_justify="left")
    for column in ("plugin", "source", "version", "registers", "hooks"):
        table.add_column(column, style="bold cyan" if column == "plugin" else None)
    for info in infos:
        registers = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in info.registered.items()) or "-"
        version = info.version or (__version__ if info.source == "builtin" else "-")
        source = f"{info.source}\n({info.distribution})" if info.distribution else info.source
        table.add_row(info.name, source, version, registers, ", ".join(info.hooks))
    console.print(table)
    for failure in failures:
        err_console.print(f"[red]failed:[/] {escape(str(failure))}", highlight=False)


# --- entry point -----------------------------------------------------------------------


def _print_error(message: str) -> None:
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors become one line on stderr and a non-zero exit code."""
    try:
        code = cli.main(args=argv, prog_name="ganzoo", standalone_mode=False)
    except click.exceptions.Abort:
        _print_error("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _print_error("interrupted")
        sys.exit(130)
    except click.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
        _print_error(" ".join(error.format_message().split()) + hint)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        _print_error(" ".join(error.format_message().split()))
        sys.exit(error.exit_code)
    except GanzooError as error:
        _print_error(" ".join(str(error).split()))
        sys.exit(error.exit_code)
    except OSError as error:  # the file system said no (a path that cannot be made, a full disk): not a bug
        _print_error(describe_os_error(error))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)

