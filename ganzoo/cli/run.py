"""``ganzoo run``: its options (the core's, then every plugin-declared one) and the summary."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.markup import escape

from ganzoo import plugins
from ganzoo.cli.app import (
    ComponentSpecs,
    RegistryName,
    _warn_plugin_failures,
    cli,
    console,
    err_console,
)
from ganzoo.cli.display import _one_line_warnings, _TrainingDisplay, run_summary
from ganzoo.errors import GanzooError


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


# --- run -------------------------------------------------------------------------------


@cli.command(cls=RunCommand, short_help="Train MODEL on a dataset: grids, a JSONL log, checkpoints, --resume.")
@click.argument("model", type=RegistryName("models"))
@click.option("--dataset", "-d", type=RegistryName("datasets"), default="mnist", show_default=True,
              help="Dataset to train on (see 'ganzoo list datasets').")
@click.option("--epochs", type=click.IntRange(min=1),
              help="Passes over the training set. [default: the model's recipe: 12 for gan, 20 for cgan and acgan, 5 for dcgan; a loss may set its own (17 for gan's non-saturating and hinge; 'ganzoo list models NAME')]")
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
                   "Runs that each use every core slow each other down: two at once on 2 cores took 39 s each with "
                   "every core each, 8-9 s each sharing them (7-9 s alone). Exact reproducibility needs a fixed count.")
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


