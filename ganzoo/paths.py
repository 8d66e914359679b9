"""Where ganzoo keeps its cache: one place for the rule, shared by the real-data statistics
(:mod:`ganzoo.evaluation.cache`) and the live-run registry (:mod:`ganzoo.threads`)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "GANZOO_CACHE_DIR"


def cache_root() -> Path:
    """``$GANZOO_CACHE_DIR``, else ``$XDG_CACHE_HOME/ganzoo`` (``~/.cache/ganzoo``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganzoo"
