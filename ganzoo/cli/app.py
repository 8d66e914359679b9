"""The ``ganzoo`` command group, its shared parameter types and consoles, and ``main``.

User errors (bad option values, unknown names, missing data, unusable checkpoints) are
printed as one line on stderr with a non-zero exit code: 2 for a bad value on the command
line, 1 for the rest, including what the file system refuses (a path that cannot be
created, a full disk). Only bugs get a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ganzoo import __version__, plugins
from ganzoo.errors import GanzooError, describe_os_error

console = Console()
err_console = Console(stderr=True)


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
    Compare:    ganzoo sweep --model gan --set loss=hinge,least-squares --seeds 0,1,2
    The zoo:    ganzoo list models    /    ganzoo plugins

    Plugins installed in the same environment (entry-point group 'ganzoo') add models,
    losses, objectives, regularizers, augmentations, optimizers, run options, conditioning
    strategies, datasets and feature extractors to every command.
    """


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 epoch``, ``2 epochs``, ``0 epochs``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


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

