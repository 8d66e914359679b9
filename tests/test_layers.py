"""ganzoo.layers: the same functions as nn.Tanh and nn.Dropout, computed another way."""

import math

import pytest
import torch
from torch import nn

from ganzoo.layers import Dropout, Tanh, tanh


def test_tanh_matches_torch_tanh_in_value_and_gradient():
    x = torch.cat([torch.linspace(-30, 30, 100_001), torch.tensor([0.0, 1e-8, -1e-8, 88.0, -88.0, 1e4, -1e4])])
    exact = torch.tanh(x.double())
    y = tanh(x)
    assert y.dtype == torch.float32
    assert (y.double() - exact).abs().max() < 2e-7
    assert y.min() == -1 and y.max() == 1  # saturates exactly, like torch.tanh
    x.requires_grad_(True)
    (ours,) = torch.autograd.grad(tanh(x).sum(), x)  # 1 - tanh(x)^2, from our output
    exact_derivative = 1 - exact**2
    (theirs,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    assert (ours.double() - exact_derivative).abs().max() < 5e-7
    assert (theirs.double() - exact_derivative).abs().max() < 5e-7


def test_tanh_backward_is_its_analytic_derivative():
    x = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(tanh, (x,))
    assert torch.autograd.gradgradcheck(tanh, (x,))  # second derivatives work too


def test_tanh_defers_to_torch_for_other_dtypes():
    x = torch.randn(64, dtype=torch.bfloat16)
    assert torch.equal(tanh(x), torch.tanh(x))
    assert Tanh()(x).dtype == torch.bfloat16


def test_dropout_keeps_each_element_with_probability_one_minus_p_and_scales_it():
    torch.manual_seed(0)
    p, n = 0.4, 1_000_000
    layer = Dropout(p).train()
    x = torch.full((n,), 3.0, requires_grad=True)
    y = layer(x)
    kept = y != 0
    # Binomial(n, 1 - p): 5 standard deviations is about 0.25% of n.
    assert abs(kept.float().mean().item() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert torch.allclose(y[kept], torch.tensor(3.0 / (1 - p)))
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, kept.float() / (1 - p))
    # the expectation is preserved, as with nn.Dropout
    assert y.mean().item() == pytest.approx(3.0, rel=0.01)


def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero():
    x = torch.randn(100, 10)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x


def test_dropout_masks_follow_the_global_seed():
    x = torch.ones(1000)
    torch.manual_seed(3)
    first = Dropout(0.5)(x)
    torch.manual_seed(3)
    again = Dropout(0.5)(x)
    torch.manual_seed(4)
    other = Dropout(0.5)(x)
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_refuses_a_probability_outside_0_1(p):
    with pytest.raises(ValueError, match=r"dropout probability has to be in \[0, 1\)"):
        Dropout(p)


def test_swapping_torch_layers_for_these_keeps_the_state_dict():
    def mlp(tanh_layer, dropout_layer):
        return nn.Sequential(nn.Linear(4, 8), dropout_layer, nn.Linear(8, 4), tanh_layer)

    torch.manual_seed(0)
    ours = mlp(Tanh(), Dropout(0.3))
    torch.manual_seed(0)
    theirs = mlp(nn.Tanh(), nn.Dropout(0.3))
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(16, 4)
    assert torch.allclose(ours.eval()(x), theirs.eval()(x), atol=2e-7)
