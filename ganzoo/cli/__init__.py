"""The ``ganzoo`` command line (click), with rich output, one module per command.

User errors (bad option values, unknown names, missing data, unusable checkpoints) are
printed as one line on stderr with a non-zero exit code: 2 for a bad value on the command
line, 1 for the rest, including what the file system refuses (a path that cannot be
created, a full disk). Only bugs get a traceback.
"""

from ganzoo.cli.app import cli, console, err_console, main, plural
from ganzoo.cli.display import _TrainingDisplay, run_summary
from ganzoo.cli.evaluate import EVAL_METRIC_ALIASES, EVAL_METRICS, eval_
from ganzoo.cli.listing import list_, plugins_
from ganzoo.cli.run import run
from ganzoo.cli.sample import sample
from ganzoo.cli.sweep import sweep

# Importing each command's module registers it with the group.
__all__ = ["EVAL_METRICS", "EVAL_METRIC_ALIASES", "cli", "console", "err_console", "eval_", "list_", "main", "plugins_",
           "plural", "run", "run_summary", "sample", "sweep", "_TrainingDisplay"]
