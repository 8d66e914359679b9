"""How a run stops early: Ctrl-C and SIGTERM (after a checkpoint it can resume from), and
a loss that is no longer finite."""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Callable, Iterator

from ganzoo.errors import GanzooError


class NonFiniteLossError(GanzooError):
    """Training diverged: a loss became NaN or infinite."""


class TrainingInterrupted(GanzooError):
    """Training was stopped (Ctrl-C, SIGTERM) after saving a checkpoint it can resume from."""

    def __init__(self, message: str, signal_name: str = "") -> None:
        super().__init__(message)
        # the shell's convention: 128 + signal number
        self.exit_code = 128 + int(getattr(signal.Signals, signal_name, signal.SIGINT)) if signal_name else 1


@contextlib.contextmanager
def stop_on_signals(request: Callable[[str], None], already_requested: Callable[[], bool]) -> Iterator[None]:
    """SIGINT (Ctrl-C) and SIGTERM ask training to stop after the current iteration (through
    ``request(signal name)``); a second Ctrl-C stops at once (the last checkpoint stays).
    Signal handlers can only be set from the main thread: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if already_requested():
            raise KeyboardInterrupt
        request(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
