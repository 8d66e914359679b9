"""``ganzoo eval``: FID, KID, IS and class metrics of saved generators.

One module per job:

* :mod:`~ganzoo.evaluation.interface`: what a feature extractor is;
  :mod:`~ganzoo.evaluation.extractors`: the built-ins (registered by
  :mod:`ganzoo.default_plugins.features`); :mod:`~ganzoo.evaluation.classifier` and
  :mod:`~ganzoo.evaluation.inception` are the networks behind them.
* :mod:`~ganzoo.evaluation.sources`: batches of generated and real images, on the device.
* :mod:`~ganzoo.evaluation.cache`: real-data statistics, cached on disk.
* :mod:`~ganzoo.evaluation.metrics`: torchmetrics' FID, KID and IS plus the class metrics.
* :mod:`~ganzoo.evaluation.pipeline`: :func:`evaluate`, the Python twin of ``ganzoo eval``.
* :mod:`~ganzoo.evaluation.results`: what it returns (:class:`RunEvaluation`, :class:`EvalReport`).
* :mod:`~ganzoo.evaluation.table`: the rows and texts every report shows;
  :mod:`~ganzoo.evaluation.report`: the terminal table, ``metrics.json`` and ``report.md``;
  :mod:`~ganzoo.evaluation.html`: ``report.html``, one self-contained page with grids and curves.

Dependencies point one way: the interface and the results are at the bottom, the
networks and the reports above them, the pipeline on top (``tests/test_architecture.py``
refuses import cycles).
* :mod:`~ganzoo.evaluation.train_classifier`: reproduces the shipped classifiers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate"]


def __getattr__(name: str) -> Any:
    # Lazy, so that importing ganzoo.evaluation.train_classifier or .classifier does not
    # pull in torchmetrics.
    if name == "evaluate":
        from ganzoo.evaluation.pipeline import evaluate

        return evaluate
    raise AttributeError(f"module 'ganzoo.evaluation' has no attribute {name!r}")
