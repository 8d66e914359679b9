"""Errors a user can cause and fix.

Everything raised from here is shown by the CLI as one line, without a traceback, and
with a non-zero exit code, and so is an ``OSError`` (what the file system refused, see
:func:`describe_os_error`). Anything else that escapes is a bug in ganzoo or a plugin and
keeps its traceback, so that it can be reported.
"""

from __future__ import annotations

import os
from pathlib import Path


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


class UnreadableImageError(DatasetUnavailableError):
    """An image file of a dataset that cannot be decoded.

    Raised inside ``DataLoader`` workers, which re-raise it in the main process with
    the worker's traceback as its message; :meth:`from_worker` recovers the one line.
    """

    @classmethod
    def from_worker(cls, error: "UnreadableImageError") -> "UnreadableImageError":
        lines = [line for line in str(error).splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        prefix = f"{cls.__module__}.{cls.__qualname__}: "
        return cls(last[len(prefix):] if last.startswith(prefix) else last)


class CheckpointError(GanzooError):
    """A checkpoint is missing, truncated, corrupted or from an incompatible run."""


class RunDirectoryError(GanzooError):
    """An output directory that would be overwritten, or a run that cannot be resumed."""


def first_line(error: BaseException, *, limit: int | None = None, with_type: bool = False) -> str:
    """An exception's message cut to its first line (and to ``limit`` characters), for a
    one-line error that quotes a library's reason; the type's name when it has none."""
    line = (str(error).strip().splitlines() or [""])[0]
    if limit is not None and len(line) > limit:
        line = line[: limit - 3] + "..."
    if not line:
        return type(error).__name__
    return f"{type(error).__name__}: {line}" if with_type else line


def describe_os_error(error: OSError) -> str:
    """One line for what the file system refused: the path, then why.

    A path under a regular file fails as "Not a directory" (or, from
    ``Path.mkdir(parents=True)``, "File exists" for the file itself); that is said as
    what it is: which file stands where a folder is needed."""
    name = error.filename
    if name is None:
        return str(error.strerror or error)
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        for candidate in [name, *map(str, Path(name).parents)]:
            if os.path.exists(candidate) and not os.path.isdir(candidate):
                return f"{candidate} is a file, not a folder"
    return f"{name}: {error.strerror or error}"
