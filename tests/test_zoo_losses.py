"""The losses of the `losses` plugin against their closed forms, and in training."""

import json

import pytest
import torch

import ganzoo


def zoo_loss(name):
    return ganzoo.get_zoo().losses.get(name)()


REAL = torch.tensor([1.5, 0.2, -0.7, 3.0], dtype=torch.float64)
FAKE = torch.tensor([-2.0, 0.4, 0.9, -0.1], dtype=torch.float64)


def test_hinge_matches_its_closed_form():
    loss = zoo_loss("hinge")
    # max(0, 1 - r) for r = 1.5, 0.2, -0.7, 3.0 and max(0, 1 + f) for f = -2, 0.4, 0.9, -0.1
    expected_d = (0.0 + 0.8 + 1.7 + 0.0) / 4 + (0.0 + 1.4 + 1.9 + 0.9) / 4
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(expected_d, rel=1e-12)
    assert loss.generator_loss(FAKE).item() == pytest.approx(-(-2.0 + 0.4 + 0.9 - 0.1) / 4, rel=1e-12)


def test_hinge_gives_no_gradient_beyond_the_margin():
    real = torch.tensor([1.5, 0.5], dtype=torch.float64, requires_grad=True)
    fake = torch.tensor([-1.5, -0.5], dtype=torch.float64, requires_grad=True)
    zoo_loss("hinge").discriminator_loss(real, fake).backward()
    assert real.grad.tolist() == [0.0, -0.5] and fake.grad.tolist() == [0.0, 0.5]


def test_least_squares_matches_mao_et_al_eq_9():
    loss = zoo_loss("least-squares")
    expected_d = 0.5 * ((REAL - 1) ** 2).mean() + 0.5 * (FAKE**2).mean()
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx(expected_d.item(), rel=1e-12)
    assert loss.generator_loss(FAKE).item() == pytest.approx((0.5 * ((FAKE - 1) ** 2).mean()).item(), rel=1e-12)


def test_wasserstein_critic_and_generator_losses():
    loss = zoo_loss("wasserstein-gp")
    assert loss.discriminator_loss(REAL, FAKE).item() == pytest.approx((FAKE.mean() - REAL.mean()).item())
    assert loss.generator_loss(FAKE).item() == pytest.approx(-FAKE.mean().item())
    assert loss.default_d_steps == 5


class LinearCritic(torch.nn.Module):
    """D(x) = w . flatten(x) + b: its gradient is w at every point, so the penalty is
    exactly lambda (||w|| - 1)^2 whatever the interpolates."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x, y=None):
        return x.flatten(1) @ self.w + 0.3


@pytest.mark.parametrize("norm", [0.25, 1.0, 3.0])
def test_gradient_penalty_for_a_linear_critic(norm):
    torch.manual_seed(0)
    w = torch.randn(12, dtype=torch.float64)
    w = w / w.norm() * norm
    critic = LinearCritic(w)
    real, fake = torch.randn(8, 3, 2, 2, dtype=torch.float64), torch.randn(8, 3, 2, 2, dtype=torch.float64)
    penalty = zoo_loss("wasserstein-gp").penalty(critic, real, fake, None, None)
    assert penalty.item() == pytest.approx(10 * (norm - 1) ** 2, abs=1e-9)
    # ...and it is differentiable with respect to the critic's weights (double backprop).
    (grad,) = torch.autograd.grad(penalty, critic.w)
    expected = 10 * 2 * (norm - 1) * w / norm
    torch.testing.assert_close(grad, expected)


def test_built_in_losses_have_no_penalty():
    assert zoo_loss("non-saturating").penalty(None, None, None, None, None) is None


@pytest.mark.parametrize("loss", ["hinge", "least-squares", "wasserstein-gp"])
def test_models_train_with_the_new_losses(loss, synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / loss, data_root=str(synthetic_root), loss=loss, epochs=1,
                          batch_size=32, limit_batches=20, log_every=2, device="cpu")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    d_steps = 2 if loss == "wasserstein-gp" else 1  # the gan recipe's critic steps for WGAN-GP (loss_settings)
    assert result.config.d_steps == d_steps and len(records) == 20 // d_steps
    assert all(abs(r["loss_d"]) < 1e3 and abs(r["loss_g"]) < 1e3 for r in records)
    if loss != "wasserstein-gp":  # D learns: its loss falls from its value at logits 0 (2 or 0.5)
        assert min(r["loss_d"] for r in records) < records[0]["loss_d"]
