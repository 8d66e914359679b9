"""``ganzoo sample``: grids, interpolation strips and code traversals."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from ganzoo.cli.app import cli, console, plural

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
        from ganzoo.latent_walks import traversal_to_file

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
    from ganzoo.latent_walks import interpolation_to_file

    seed_a, seed_b = interpolate
    steps = 10 if steps is None else steps
    path = interpolation_to_file(run, out, seed_a, seed_b, steps=steps, label=label, nrow=nrow, device=device,
                                 overwrite=overwrite, ema=ema)
    console.print(f"wrote a strip of {plural(steps, 'image')} from seed {seed_a} to seed {seed_b} to {path}", highlight=False)


