"""Optimizers as a registry: ``--optimizer adam|adamw|rmsprop|sgd`` (and any a plugin adds).

A registered optimizer is a builder ``build(parameters, *, lr, betas) -> torch.optim.Optimizer``
with an attribute ``uses_betas`` (whether ``betas`` mean anything to it). D and G each get
their own instance, with their own learning rate and betas (``--lr-d``/``--lr-g``,
``--betas-d``/``--betas-g``: the two time-scale update rule of Heusel et al. 2017).
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

Parameters = Iterable[torch.nn.Parameter]


def _fast(cls: type, parameters: list[Any], **options: Any) -> torch.optim.Optimizer:
    """Fused (one kernel per parameter for the whole update) where this torch has it for the
    device: CUDA, and CPU since torch 2.4 (1-4% faster per iteration than foreach on the
    2-core CPU of docs/performance.md); foreach otherwise (MPS, older torch)."""
    try:
        return cls(parameters, fused=True, **options)
    except (RuntimeError, TypeError):  # "fused=True requires ... supported devices"
        return cls(parameters, foreach=True, **options)


def adam(parameters: Parameters, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    return _fast(torch.optim.Adam, list(parameters), lr=lr, betas=tuple(betas))


def adamw(parameters: Parameters, *, lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    return _fast(torch.optim.AdamW, list(parameters), lr=lr, betas=tuple(betas))


def rmsprop(parameters: Parameters, *, lr: float, betas: tuple[float, float] | None = None) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(list(parameters), lr=lr, foreach=True)


def sgd(parameters: Parameters, *, lr: float, betas: tuple[float, float] | None = None) -> torch.optim.Optimizer:
    return torch.optim.SGD(list(parameters), lr=lr, foreach=True)


adam.uses_betas = adamw.uses_betas = True  # type: ignore[attr-defined]
rmsprop.uses_betas = sgd.uses_betas = False  # type: ignore[attr-defined]
