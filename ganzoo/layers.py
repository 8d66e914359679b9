"""Drop-in replacements for ``nn.Tanh`` and ``nn.Dropout`` that are faster on the CPU.

Both compute the same function as the ``torch.nn`` module they replace (to float32
rounding for :class:`Tanh`; the same distribution of masks for :class:`Dropout`), and
defer to it on every other device, where PyTorch's own kernels are already fast. They
have no parameters or buffers, so swapping one for the other leaves a model's
``state_dict`` (and every checkpoint) unchanged.

Why they exist: on x86 CPUs, PyTorch 2.x's ``torch.tanh`` kernel is several times
slower than its ``torch.sigmoid`` kernel, and ``nn.Dropout`` draws its mask with
``bernoulli_``, slower than ``torch.rand``. On this project's 2-core AVX-512 machine
``benchmarks/bench_layers.py`` measured these versions 3.4x (tanh, 512x784) and 3.5x
(dropout, 128x512) faster than torch's, and a CGAN iteration 8% faster. The numbers are
in ``docs/performance.md``; ``tests/test_layers.py`` checks the equivalences.
"""

from __future__ import annotations

import torch
from torch import nn


def _tanh_via_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(x * 2).mul_(2).sub_(1)  # tanh(x) = 2 sigmoid(2x) - 1


class _TanhFromSigmoid(torch.autograd.Function):
    """tanh through sigmoid, with tanh's own backward (1 - y^2) from the output."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        y = _tanh_via_sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """``torch.tanh(x)``, computed through ``sigmoid`` on the CPU for float32/float64.

    The absolute error against the exact tanh is below 2e-7 in float32 (``torch.tanh``'s
    own is 3e-8): far below the 1/255 step of an 8-bit image, which is what a generator's
    last layer produces."""
    if x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64):
        return torch.tanh(x)
    if not torch.is_grad_enabled() or not x.requires_grad:
        return _tanh_via_sigmoid(x)
    return _TanhFromSigmoid.apply(x)


class Tanh(nn.Module):
    """``nn.Tanh``, faster on the CPU (see :func:`tanh`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return tanh(x)


class Dropout(nn.Module):
    """``nn.Dropout(p)``: in training, zero each element with probability ``p`` and scale
    the rest by ``1 / (1 - p)``; the identity in eval mode.

    On the CPU the mask comes from ``torch.rand`` (an element is kept when its uniform
    draw is at least ``p``) instead of ``bernoulli_``: the same Bernoulli(1 - p) mask
    distribution, drawn from the same global generator (so ``torch.manual_seed`` makes a
    run reproducible as before), about three times faster."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability has to be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu" or not x.is_floating_point():
            return nn.functional.dropout(x, self.p, training=True)
        keep = torch.rand_like(x).ge_(self.p).mul_(1.0 / (1.0 - self.p))
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class ConditionalBatchNorm2d(nn.Module):
    """Class-conditional BatchNorm (de Vries et al. 2017; SNGAN's projection G, BigGAN):
    BatchNorm without its own affine, then a scale and shift chosen by the class,
    ``gamma[y] * x_hat + beta[y]``. Scales start at 1 and shifts at 0, so it starts as a
    plain BatchNorm. Called as ``norm(x, y)``."""

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(num_classes, channels)
        self.beta = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.gamma(y)[:, :, None, None] * self.norm(x) + self.beta(y)[:, :, None, None]


class SelfAttention(nn.Module):
    """The self-attention block of SAGAN (Zhang et al. 2019, section 3): every position of a
    feature map attends to every other, ``x + gamma * o(v softmax(q^T k))``, with 1x1
    convolutions ``q``, ``k`` (C/8 channels), ``v`` (C/2) and ``o``. ``gamma`` starts at 0,
    so the block starts as the identity and the network learns how much to use it. With
    ``spectral_norm``, the convolutions are spectrally normalised (SAGAN does, in G and D)."""

    def __init__(self, channels: int, spectral_norm: bool = False) -> None:
        super().__init__()
        if channels < 8:
            raise ValueError(f"self-attention needs at least 8 channels, got {channels}")
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda module: module)
        self.query = wrap(nn.Conv2d(channels, channels // 8, 1, bias=False))
        self.key = wrap(nn.Conv2d(channels, channels // 8, 1, bias=False))
        self.value = wrap(nn.Conv2d(channels, channels // 2, 1, bias=False))
        self.out = wrap(nn.Conv2d(channels // 2, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2)  # (N, C/8, HW)
        k = self.key(x).flatten(2)
        v = self.value(x).flatten(2)  # (N, C/2, HW)
        attention = torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # (N, HW, HW): row i attends over j
        o = (v @ attention.transpose(1, 2)).reshape(n, c // 2, h, w)
        return x + self.gamma * self.out(o)


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (Salimans et al. 2016's minibatch discrimination in the
    simple form of Karras et al. 2018, section 3): appends, to each sample's features, the
    average over features of their standard deviation within its group of ``group_size``
    samples. A D that sees how varied a batch is can tell a generator that collapses onto a
    few modes from the data, so G is pushed to spread out. Takes ``(N, F)`` or
    ``(N, C, H, W)`` (then one extra channel). Mixes the samples of a batch, so it says so
    (``batch_dependent``): the engine then passes real and fake batches through D
    separately. Gradient penalties accept it (``gradient_penalty_ok``): one shared statistic
    per group couples the samples weakly, and StyleGAN2 trains R1 with it; BatchNorm, which
    normalises every feature by the batch, stays refused."""

    batch_dependent = True
    gradient_penalty_ok = True

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        group = min(self.group_size, n)
        while n % group:  # a group size that divides the batch
            group -= 1
        grouped = x.reshape(group, n // group, *x.shape[1:]).float()
        # The variance written out: Tensor.var over the outer dimension takes a slow path on
        # the CPU (about 5x slower forward and backward at (4, 16, 512); 13% of the `gan`
        # recipe's iteration). Same value: the population variance.
        centred = grouped - grouped.mean(dim=0)
        std = (centred.square().mean(dim=0) + 1e-8).sqrt()  # (n / group, ...)
        stat = std.reshape(n // group, -1).mean(dim=1).to(x.dtype)  # one value per group
        stat = stat.repeat(group)  # back to one per sample, in the grouped order
        if x.dim() == 2:
            return torch.cat((x, stat[:, None]), dim=1)
        return torch.cat((x, stat[:, None, None, None].expand(n, 1, *x.shape[2:])), dim=1)
