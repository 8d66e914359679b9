"""Errors a user can cause and fix.

Everything raised from here is shown by the CLI as one line, without a traceback, and
with a non-zero exit code. Anything else that escapes is a bug in ganzoo or a plugin and
keeps its traceback, so that it can be reported.
"""

from __future__ import annotations


class GanzooError(Exception):
    """A problem the user can fix: bad input, missing data, an unusable file.

    ``exit_code`` follows click's convention: 2 for a bad value on the command line,
    1 for anything else.
    """

    exit_code = 1


class ConfigError(GanzooError):
    """An option value that is not allowed (a negative learning rate, an unknown name...)."""

    exit_code = 2


class UnknownNameError(ConfigError, KeyError):
    """A name that no installed plugin registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DuplicateNameError(GanzooError):
    """Two plugins registered the same name in the same registry."""


class PluginError(GanzooError):
    """A plugin failed to import or raised in a hook."""


class DatasetUnavailableError(GanzooError):
    """A dataset is not on disk and could not be downloaded."""


class CheckpointError(GanzooError):
    """A checkpoint is missing, truncated, corrupted or from an incompatible run."""


class RunDirectoryError(GanzooError):
    """An output directory that would be overwritten, or a run that cannot be resumed."""
