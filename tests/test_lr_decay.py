"""``--lr-decay``: the learning rates' linear fall to zero, step by step and across a resume."""

import pytest
import torch

import ganzoo
from ganzoo.checkpoint import latest_checkpoint
from ganzoo.default_plugins.lr_decay import decay_factor
from ganzoo.errors import ConfigError

QUICK = dict(epochs=2, batch_size=32, limit_batches=4, log_every=1, device="cpu")


def test_the_factor_is_constant_then_linear_to_zero():
    # 8 iterations, the last half decaying: the iteration after step s runs at factor(s).
    assert [decay_factor(s, 8, 0.5) for s in range(9)] == [1, 1, 1, 1, 1, 0.75, 0.5, 0.25, 0]
    assert [decay_factor(s, 4, 1.0) for s in range(5)] == [1, 0.75, 0.5, 0.25, 0]
    assert decay_factor(0, 10, 0.01) == 1 and decay_factor(9, 10, 0.01) == 1 / 1  # at least one iteration decays


def test_each_iteration_runs_at_the_scheduled_rate_for_g_and_d(ganzoo_plugin, synthetic_root, tmp_path):
    seen = []

    class Recorder:  # after the schedule has set the rate of the next iteration
        @ganzoo.hookimpl(trylast=True)
        def on_train_start(self, run):
            seen.append((run.optimizer_g.param_groups[0]["lr"], run.optimizer_d.param_groups[0]["lr"]))

        @ganzoo.hookimpl(trylast=True)
        def on_step_end(self, run):
            seen.append((run.optimizer_g.param_groups[0]["lr"], run.optimizer_d.param_groups[0]["lr"]))

    ganzoo_plugin(Recorder())
    result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), lr_g=1e-3, lr_d=4e-3,
                          lr_decay=0.5, **QUICK)
    factors = [1, 1, 1, 1, 1, 0.75, 0.5, 0.25, 0]  # 2 epochs of 4 iterations
    assert seen == [pytest.approx((1e-3 * f, 4e-3 * f)) for f in factors]
    assert result.config.options["lr_decay"] == 0.5
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    assert state["opt_g"]["param_groups"][0]["initial_lr"] == 1e-3  # the base rate travels for a resume


def test_a_run_without_decay_keeps_its_rate(ganzoo_plugin, synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), lr=3e-4, **QUICK)
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    assert result.config.options["lr_decay"] == 0
    assert state["opt_g"]["param_groups"][0]["lr"] == 3e-4 and "initial_lr" not in state["opt_g"]["param_groups"][0]


def test_stopping_mid_decay_then_resuming_is_exact(ganzoo_plugin, synthetic_root, tmp_path):
    from ganzoo.engine import TrainingInterrupted

    options = dict(QUICK, data_root=str(synthetic_root), lr_decay=0.75)
    straight = ganzoo.train("gan", "mnist", out=tmp_path / "straight", **options).run_dir

    class StopAtStep6:  # in the second epoch, with the rate already falling
        @ganzoo.hookimpl
        def on_step_end(self, run, step):
            if step == 6:
                run.request_stop("SIGINT")

    name = ganzoo_plugin(StopAtStep6())
    with pytest.raises(TrainingInterrupted):
        ganzoo.train("gan", "mnist", out=tmp_path / "stopped", **options)
    ganzoo.unregister_plugin(name)
    resumed = ganzoo.train("gan", "mnist", out=tmp_path / "stopped", resume=True).run_dir
    a = torch.load(latest_checkpoint(straight), weights_only=True)
    b = torch.load(latest_checkpoint(resumed), weights_only=True)
    for network in ("generator", "discriminator"):
        for key in a[network]:
            assert torch.equal(a[network][key], b[network][key]), (network, key)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_a_fraction_outside_0_1_is_refused(value, synthetic_root, tmp_path):
    with pytest.raises(ConfigError, match=r"lr-decay must be a number in \[0, 1\]"):
        ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), lr_decay=value, **QUICK)
    assert not (tmp_path / "run").exists()
