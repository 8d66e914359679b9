"""How many CPU threads a run computes with, so that several runs on one machine share it.

PyTorch's OpenMP threads spin while they wait for work. Two processes that each use every
core slow each other down far more than twofold (on a 2-core machine, two ``ganzoo run
gan --epochs 1 --limit-batches 400`` took 26 s each at once against 4-6 s alone, and
4.5 s each with one thread apiece). So, unless the count is fixed, every run registers
itself while it trains (a small file per process, ``HOST-PID.json``, in
``$GANZOO_CACHE_DIR/live-runs``, default ``~/.cache/ganzoo/live-runs``) and takes its
share of the cores:

    share = max(1, (cores - threads of the runs with a fixed count) // runs with an automatic count)

re-checked every :data:`RECHECK_SECONDS` during training, so a run gives threads back
when another one starts and takes them back when it ends. *cores* is the number of CPUs
this process may run on (``os.sched_getaffinity``), at most PyTorch's own default.

The count is fixed, and never changed during the run, by (first that applies)
``--threads N`` (``threads=N`` from Python), ``$GANZOO_THREADS``, ``$OMP_NUM_THREADS``
(PyTorch's own setting, left as it is). Files of processes that are gone (or whose pid
now belongs to another process) are ignored and removed. A folder that cannot be written
does not stop a run: it trains with PyTorch's default count and says so once.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.paths import CACHE_ENV, cache_root  # noqa: F401  (CACHE_ENV: also imported from here)

THREADS_ENV = "GANZOO_THREADS"
LIVE_RUNS_DIR = "live-runs"
#: seconds between two looks at the other runs during training
RECHECK_SECONDS = 0.5


class ThreadsWarning(UserWarning):
    """The live-run folder could not be used: the run trains with PyTorch's default thread count."""


def live_runs_dir() -> Path:
    return cache_root() / LIVE_RUNS_DIR


def available_cores() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def threads_from_environment() -> tuple[int, str] | None:
    """``(count, "GANZOO_THREADS")`` or ``(count, "OMP_NUM_THREADS")`` when the environment
    fixes the count, else ``None``. A bad ``$GANZOO_THREADS`` is a :class:`ConfigError`; a
    value of ``$OMP_NUM_THREADS`` that is not a number is PyTorch's business and ignored here."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(f"${THREADS_ENV} must be an integer >= 1, got {value!r}; unset it for an automatic count")
        return int(value), THREADS_ENV
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    first = omp.split(",")[0].strip()  # OpenMP allows a list, one count per nesting level
    if first.isdigit() and int(first) >= 1:
        return int(first), "OMP_NUM_THREADS"
    return None


def share_of_cores(cores: int, automatic_runs: int, fixed_threads: list[int] | tuple[int, ...] = ()) -> int:
    """Threads of one run with an automatic count: what the runs with a fixed count leave
    of ``cores``, divided among the ``automatic_runs`` (this one included); at least 1."""
    free = cores - sum(fixed_threads)
    return max(1, free // max(1, automatic_runs))


# --- the live-run files --------------------------------------------------------------------


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname()) or "host"


def process_start_time(pid: int) -> str | None:
    """The process's start time since boot (Linux ``/proc/PID/stat``, field 22), to tell
    a live process from a new one that got the pid of a dead run; ``None`` where unknown."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class LiveRun:
    """One registered run: its process and its fixed thread count (``None``: automatic)."""

    pid: int
    threads: int | None
    path: Path


_FILE_NAME = re.compile(r"^(?P<host>.+)-(?P<pid>\d+)\.json$")


def live_runs(folder: Path, *, remove_stale: bool = True) -> list[LiveRun]:
    """The runs of this host registered in ``folder`` whose process is still the one that
    registered; the files of the others are removed (``remove_stale``)."""
    host = _host()
    runs = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = _FILE_NAME.match(name)
        if not match or match["host"] != host:  # another machine sharing the home folder
            continue
        path = folder / name
        pid = int(match["pid"])
        try:
            record = json.loads(path.read_text())
            if not isinstance(record, dict):
                raise ValueError(record)
        except FileNotFoundError:  # removed meanwhile
            continue
        except (OSError, ValueError):
            record = {}
        started = record.get("start")
        alive = pid_alive(pid) and (started is None or process_start_time(pid) in (None, started))
        if not alive:
            if remove_stale:
                try:
                    path.unlink()
                except OSError:
                    pass
            continue
        threads = record.get("threads")
        runs.append(LiveRun(pid, threads if isinstance(threads, int) and threads >= 1 else None, path))
    return runs


class _Registration:
    """This process's file, shared by every open :class:`ThreadBudget` of the process."""

    lock = threading.Lock()
    pid: int | None = None
    users = 0
    path: Path | None = None

    @classmethod
    def acquire(cls, folder: Path, threads: int | None) -> Path:
        with cls.lock:
            pid = os.getpid()
            if cls.pid != pid:  # a forked child does not own its parent's file
                cls.pid, cls.users, cls.path = pid, 0, None
            if cls.users == 0 or cls.path is None or cls.path.parent != folder:
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{_host()}-{pid}.json"
                record = {"pid": pid, "start": process_start_time(pid), "threads": threads, "since": time.time()}
                temporary = folder / f".{path.name}.tmp"
                temporary.write_text(json.dumps(record) + "\n")
                os.replace(temporary, path)
                cls.path = path
            cls.users += 1
            return cls.path

    @classmethod
    def release(cls) -> None:
        with cls.lock:
            if cls.pid != os.getpid() or cls.users == 0:
                return
            cls.users -= 1
            if cls.users == 0 and cls.path is not None:
                try:
                    cls.path.unlink()
                except OSError:
                    pass
                cls.path = None


# --- the budget of one run ---------------------------------------------------------------


class ThreadBudget:
    """The intra-op thread count of one training run (``torch.set_num_threads``).

    ``requested`` is ``TrainConfig.threads``: a fixed count, or ``None`` for the
    environment's (``$GANZOO_THREADS``, ``$OMP_NUM_THREADS``) or else an automatic one.
    :meth:`open` sets the count and registers the run; :meth:`recheck` (called by the
    trainer every :data:`RECHECK_SECONDS` or so) follows the other runs; :meth:`close`
    unregisters and puts back the process's count from before :meth:`open`.
    """

    def __init__(self, requested: int | None, *, folder: Path | None = None, cores: int | None = None,
                 recheck_seconds: float = RECHECK_SECONDS) -> None:
        import torch

        self.folder = live_runs_dir() if folder is None else Path(folder)
        self.recheck_seconds = recheck_seconds
        self.previous = torch.get_num_threads()
        self.cores = cores if cores is not None else min(available_cores(), self.previous)
        if requested is not None:
            self.fixed: int | None = requested
            self.source = "--threads"
        else:
            from_env = threads_from_environment()
            self.fixed, self.source = from_env if from_env else (None, "automatic")
            if self.source == "OMP_NUM_THREADS":  # PyTorch read it at start: its count is the truth
                self.fixed = self.previous
        self.count = self.fixed if self.fixed is not None else self.previous
        self.registered = False
        self.opened = False
        self.warning: str | None = None
        self._next_check = 0.0

    @property
    def automatic(self) -> bool:
        """Whether the count follows the other runs (no fixed count, and the folder works)."""
        return self.fixed is None and self.warning is None

    def describe(self) -> str:
        """``2 threads, automatic`` / ``1 thread, --threads``, for the start of a run."""
        source = "shared automatically" if self.automatic else (
            "PyTorch's default" if self.fixed is None else f"from {self.source}")
        return f"{self.count} thread{'' if self.count == 1 else 's'}, {source}"

    def open(self) -> int:
        """Register the run (every run counts, a fixed one with its count), set the count; returns it."""
        if self.opened:
            return self.count
        self.opened = True
        try:
            _Registration.acquire(self.folder, self.fixed)
            self.registered = True
        except OSError as error:
            if self.fixed is None:  # the automatic count needs the folder: fall back to the default
                self.warning = (f"cannot register this run in {self.folder} ({type(error).__name__}: "
                                f"{getattr(error, 'strerror', None) or error}); training with PyTorch's default of "
                                f"{self.previous} threads, not shared with other ganzoo runs (--threads N fixes the count)")
                warnings.warn(self.warning, ThreadsWarning, stacklevel=2)
        if self.fixed is not None and self.source != "OMP_NUM_THREADS":
            self._apply(self.fixed)
        elif self.automatic:
            self.recheck(force=True)
        return self.count

    def recheck(self, now: float | None = None, *, force: bool = False) -> int:
        """With an automatic count, look at the other runs (at most every ``recheck_seconds``
        unless ``force``) and take this run's share; returns the count in use."""
        if not self.automatic or not self.opened:
            return self.count
        now = time.monotonic() if now is None else now
        if not force and now < self._next_check:
            return self.count
        self._next_check = now + self.recheck_seconds
        others = [run for run in live_runs(self.folder) if run.pid != os.getpid()]
        automatic_runs = 1 + sum(1 for run in others if run.threads is None)  # this one, registered or not
        fixed = [min(run.threads, self.cores) for run in others if run.threads is not None]
        self._apply(share_of_cores(self.cores, automatic_runs, fixed))
        return self.count

    def _apply(self, count: int) -> None:
        import torch

        if torch.get_num_threads() != count:
            torch.set_num_threads(count)
        self.count = count

    def close(self) -> None:
        """Unregister and give the process back its thread count from before :meth:`open`."""
        if not self.opened:
            return
        self.opened = False
        if self.registered:
            self.registered = False
            _Registration.release()
        import torch

        if torch.get_num_threads() != self.previous:
            torch.set_num_threads(self.previous)

    def __enter__(self) -> "ThreadBudget":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
