"""The two losses of Goodfellow et al. (2014) against their closed forms."""

import math

import pytest
import torch

from ganzoo.losses import MinimaxLoss, NonSaturatingLoss

LOGITS = torch.tensor([-6.0, -2.0, -0.5, 0.0, 0.3, 1.5, 4.0], dtype=torch.float64)


def probabilities(logits):
    return 1.0 / (1.0 + torch.exp(-logits))


@pytest.mark.parametrize("loss", [MinimaxLoss(), NonSaturatingLoss()])
def test_discriminator_loss_is_minus_the_value_function(loss):
    real, fake = LOGITS, LOGITS.flip(0) * 0.7
    v = torch.log(probabilities(real)).mean() + torch.log(1 - probabilities(fake)).mean()
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(-v.item(), rel=1e-12)


def test_minimax_generator_minimises_log_one_minus_d():
    expected = torch.log(1 - probabilities(LOGITS)).mean()
    assert MinimaxLoss().generator_loss(LOGITS).item() == pytest.approx(expected.item(), rel=1e-12)


def test_non_saturating_generator_minimises_minus_log_d():
    expected = -torch.log(probabilities(LOGITS)).mean()
    assert NonSaturatingLoss().generator_loss(LOGITS).item() == pytest.approx(expected.item(), rel=1e-12)


def test_value_at_the_global_optimum_is_minus_log_4():
    # Theorem 1: when p_g = p_data, D* = 1/2 everywhere and V(D*, G) = -log 4.
    half = torch.zeros(8, dtype=torch.float64)  # logit 0 <=> D = 1/2
    for loss in (MinimaxLoss(), NonSaturatingLoss()):
        assert loss.discriminator_loss(half, half).item() == pytest.approx(math.log(4), rel=1e-12)


@pytest.mark.parametrize("loss", [MinimaxLoss(), NonSaturatingLoss()])
def test_losses_stay_finite_for_extreme_logits(loss):
    # A sigmoid followed by log would give log(0) = -inf (or BCELoss's clamp at -100).
    extreme = torch.tensor([-200.0, -50.0, 50.0, 200.0], requires_grad=True)
    values = [loss.discriminator_loss(extreme, extreme), loss.generator_loss(extreme)]
    for value in values:
        assert torch.isfinite(value)
        (grad,) = torch.autograd.grad(value, extreme)
        assert torch.isfinite(grad).all()
    # -log D(G(z)) with D(G(z)) = sigmoid(-200) is 200, not the clamped 100 of BCELoss.
    assert NonSaturatingLoss().generator_loss(torch.tensor([-200.0])).item() == pytest.approx(200.0)


def generator_gradient(loss, logit):
    x = torch.tensor([logit], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(loss.generator_loss(x), x)
    return grad.item()


def test_minimax_generator_gradient_vanishes_when_d_rejects_samples():
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) = -D(G(z)) -> 0 as D(G(z)) -> 0.
    for logit in (-2.0, -6.0, -12.0):
        assert generator_gradient(MinimaxLoss(), logit) == pytest.approx(-float(probabilities(torch.tensor(logit, dtype=torch.float64))), rel=1e-9)
    assert abs(generator_gradient(MinimaxLoss(), -12.0)) < 1e-5


def test_non_saturating_generator_gradient_does_not_vanish():
    # d/dl -log sigmoid(l) = -(1 - D(G(z))) -> -1 as D(G(z)) -> 0.
    for logit in (-2.0, -6.0, -12.0):
        expected = -(1 - float(probabilities(torch.tensor(logit, dtype=torch.float64))))
        assert generator_gradient(NonSaturatingLoss(), logit) == pytest.approx(expected, rel=1e-9)
    assert generator_gradient(NonSaturatingLoss(), -12.0) == pytest.approx(-1.0, abs=1e-5)
    ratio = generator_gradient(NonSaturatingLoss(), -12.0) / generator_gradient(MinimaxLoss(), -12.0)
    assert ratio > 1e4  # early in training the minimax G barely moves
