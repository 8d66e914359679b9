"""The open training step, tested only through the public interface, as a third-party
package would write its tests: objectives, regularizers and augmentations written here,
registered with the ``ganzoo_plugin`` fixture, checked against closed forms
(``ganzoo.testing.make_step``) and in real short runs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import ganzoo
from ganzoo.checkpoint import latest_checkpoint
from ganzoo.testing import linear_discriminator, make_step

QUICK = dict(epochs=1, limit_batches=6, batch_size=16, log_every=2, device="cpu")
RA_METRICS = (ganzoo.MetricSpec("ra_real", "Ra(x)", "sigmoid(D(x) - E D(G(z))) on real images", "neither"),)


# --- what a third-party package would write ------------------------------------------


@dataclass
class RelativisticAverage(ganzoo.Objective):
    """RaSGAN (Jolicoeur-Martineau 2018, eq. 7-8), with D's fresh real logits in G's step."""

    name: ClassVar[str] = "relativistic-average"

    def metric_specs(self):
        return RA_METRICS

    def discriminator_step(self, step):
        fake = step.generate()
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        real, fake_logits = real_out.logits.float(), fake_out.logits.float()
        loss = (F.binary_cross_entropy_with_logits(real - fake_logits.mean(), torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake_logits - real.mean(), torch.zeros_like(fake_logits)))
        return ganzoo.StepOutput(loss, {"ra_real": torch.sigmoid(real - fake_logits.mean()).mean().detach()})

    def generator_step(self, step):
        fake = step.generate()
        fake_logits = step.discriminate(fake.images, fake.labels).logits.float()
        real = step.discriminate(step.real, step.real_labels).logits.float()  # fresh: D as it is now
        loss = (F.binary_cross_entropy_with_logits(fake_logits - real.mean(), torch.ones_like(fake_logits))
                + F.binary_cross_entropy_with_logits(real - fake_logits.mean(), torch.zeros_like(real)))
        return ganzoo.StepOutput(loss, {})


@dataclass
class R1(ganzoo.Regularizer):
    """R1 (Mescheder et al. 2018): gamma/2 E[||grad_x D(x)||^2] on real images."""

    name: ClassVar[str] = "r1"
    gamma: float = 10.0

    def __call__(self, step):
        real = step.real.detach().requires_grad_(True)
        logits = step.discriminate(real, step.real_labels).logits
        (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
        return self.gamma / 2 * grad.flatten(1).pow(2).sum(1).mean()


@dataclass
class LogitAnchor(ganzoo.Regularizer):
    """A stateful regularizer (LeCam-like): pulls D's real logits towards a moving average
    of its fake logits; the average is its state, saved in checkpoints."""

    name: ClassVar[str] = "logit-anchor"
    weight: float = 0.1
    decay: float = 0.9

    def __post_init__(self):
        self.average = torch.zeros(())

    def __call__(self, step):
        fake = step.fake_output.logits.detach().float().mean()
        self.average = self.decay * self.average.to(fake.device) + (1 - self.decay) * fake
        return self.weight * (step.real_output.logits.float() - self.average).pow(2).mean()

    def state_dict(self):
        return {"average": self.average.clone()}

    def load_state_dict(self, state):
        self.average = state["average"].clone()


@dataclass
class Shift(ganzoo.Augmentation):
    """Adds one random brightness offset per sample, drawn from the run's generator;
    records how often it ran, and on how many images (to show it sees real and fake)."""

    name: ClassVar[str] = "shift"
    strength: float = 0.2

    def __post_init__(self):
        self.calls: list[int] = []

    def __call__(self, images, generator):
        self.calls.append(images.shape[0])
        offset = (torch.rand(images.shape[0], 1, 1, 1, generator=generator, device=images.device) * 2 - 1) * self.strength
        return images + offset


@dataclass
class InfoHead(ganzoo.Objective):
    """InfoGAN-style: a Q head on D's features recovers a categorical code fed in z; its
    parameters are trained with D's optimizer, the mutual-information term joins both losses."""

    name: ClassVar[str] = "info-head"
    codes: int = 4

    def setup(self, setup):
        features = setup.discriminator.body.out_features
        self.z_dim = setup.z_dim
        self.q = setup.add_module("q_head", nn.Linear(features, self.codes), optimized_with="discriminator")

    def metric_specs(self):
        return (ganzoo.MetricSpec("info", "I", "cross-entropy of Q's code prediction", "lower"),)

    def _codes_and_noise(self, step):
        z, labels = step.noise()
        code = torch.randint(0, self.codes, (z.shape[0],), generator=step.rng, device=z.device)
        z = torch.cat((F.one_hot(code, self.codes).float(), z[:, self.codes:]), dim=1)
        return z, labels, code

    def _info(self, step, images, labels, code):
        return F.cross_entropy(self.q(step.features(images, labels)), code)

    def discriminator_step(self, step):
        z, labels, code = self._codes_and_noise(step)
        fake = step.generate(z=z, labels=labels)
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        info = self._info(step, fake.images, fake.labels, code)
        loss = step.loss.discriminator_loss(real_out.logits, fake_out.logits) + info
        return ganzoo.StepOutput(loss, {"info": info.detach()})

    def generator_step(self, step):
        z, labels, code = self._codes_and_noise(step)
        fake = step.generate(z=z, labels=labels)
        loss = step.loss.generator_loss(step.discriminate(fake.images, fake.labels).logits) + self._info(
            step, fake.images, fake.labels, code)
        return ganzoo.StepOutput(loss, {})


class ThirdParty:
    """The package's plugin module, as an object."""

    @ganzoo.hookimpl
    def register_objectives(self, register):
        register("relativistic-average", RelativisticAverage, description="RaSGAN")
        register("info-head", InfoHead, description="InfoGAN-style Q head")

    @ganzoo.hookimpl
    def register_regularizers(self, register):
        register("tp-r1", R1, description="R1, as a third party writes it")
        register("logit-anchor", LogitAnchor, description="stateful")

    @ganzoo.hookimpl
    def register_augmentations(self, register):
        register("shift", Shift, description="brightness shift")


@pytest.fixture
def third_party(ganzoo_plugin):
    ganzoo_plugin(ThirdParty(), name="third-party")


def read_log(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


# --- closed forms ----------------------------------------------------------------------


def test_relativistic_average_loss_equals_its_closed_form_with_fresh_real_logits():
    torch.manual_seed(0)
    real = torch.rand(6, 1, 2, 2) * 2 - 1
    D = linear_discriminator((1, 2, 2))
    objective = RelativisticAverage()
    step = make_step("generator", real, discriminator=D, seed=1)
    fake = make_step("generator", real, generator=step.generator, seed=1).generate().images  # G's samples in that step

    def closed_form():
        w, b = D.head.linear.weight[0].detach(), D.head.linear.bias.detach()
        xr, xf = real.flatten(1) @ w + b, fake.detach().flatten(1) @ w + b
        log_sigmoid = F.logsigmoid
        return -(log_sigmoid(xf - xr.mean()).mean() + log_sigmoid(-(xr - xf.mean())).mean())

    torch.testing.assert_close(objective.generator_step(step).loss, closed_form())
    with torch.no_grad():  # D changes (as its update would): G's step must see the new D
        D.head.linear.weight.mul_(-2.0)
        D.head.linear.bias.add_(0.5)
    step = make_step("generator", real, discriminator=D, generator=step.generator, seed=1)
    torch.testing.assert_close(objective.generator_step(step).loss, closed_form())


def test_r1_of_a_linear_discriminator_is_half_gamma_times_the_squared_weight_norm():
    weight = torch.tensor([0.5, -1.0, 2.0, 0.25])
    step = make_step("discriminator", torch.rand(5, 1, 2, 2), discriminator=linear_discriminator((1, 2, 2), weight))
    assert R1(gamma=10.0)(step).item() == pytest.approx(10.0 / 2 * weight.pow(2).sum().item())


def test_an_augmentation_changes_what_d_sees_real_and_fake_and_g_still_gets_gradients():
    real = torch.rand(4, 1, 2, 2) * 2 - 1
    D = linear_discriminator((1, 2, 2))
    plain = make_step("generator", real, discriminator=D, seed=2)
    shift = Shift(strength=0.5)
    augmented = make_step("generator", real, discriminator=D, generator=plain.generator, augmentations=[shift], seed=2)
    fake = augmented.generate()
    real_out, fake_out = augmented.discriminate_pair(real, None, fake.images, None)
    assert shift.calls == [4, 4]  # the real batch and the generated one
    assert not torch.allclose(real_out.logits, D(real)) and not torch.allclose(fake_out.logits, D(fake.images))
    fake_out.logits.sum().backward()
    assert plain.generator.body[0].weight.grad.abs().sum() > 0  # through the augmentation, back to G


# --- real runs -------------------------------------------------------------------------


def test_a_plugin_objective_regularizer_and_augmentation_train_together(third_party, synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), objective="relativistic-average",
                          regularizers=["tp-r1:gamma=1"], augment=["shift:strength=0.1"], **QUICK)
    records = read_log(result.run_dir)
    assert [r["step"] for r in records] == list(range(1, 7))
    assert set(records[0]) == {"step", "epoch", "loss_d", "loss_g", "ra_real", "tp-r1"}
    assert all(math.isfinite(r["loss_d"]) and r["tp-r1"] >= 0 for r in records)
    specs = json.loads((result.run_dir / "metric_specs.json").read_text())
    assert [s["name"] for s in specs] == ["loss_d", "loss_g", "ra_real", "tp-r1"]
    config = json.loads((result.run_dir / "config.json").read_text())
    assert (config["objective"], config["regularizers"], config["augment"]) == (
        "relativistic-average", ["tp-r1:gamma=1.0"], ["shift:strength=0.1"])


def test_an_objectives_extra_module_is_trained_and_checkpointed(third_party, synthetic_root, tmp_path):
    captured = {}

    class Capture:
        @ganzoo.hookimpl
        def on_train_start(self, run):
            captured["q"] = [p.detach().clone() for p in run.objective.q.parameters()]
            captured["objective"] = run.objective

    ganzoo.register_plugin(Capture(), name="capture")
    try:
        result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), objective="info-head:codes=4",
                              **dict(QUICK, epochs=4, limit_batches=40, lr=1e-3, z_dim=8))
    finally:
        ganzoo.unregister_plugin("capture")
    after = list(captured["objective"].q.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(captured["q"], after))  # D's optimizer trained Q
    info = [r["info"] for r in read_log(result.run_dir)]
    assert info[0] == pytest.approx(math.log(4), abs=0.3)  # chance, for 4 codes
    assert sum(info[-10:]) / 10 < 0.7 * info[0]  # Q learns to read the code G was given
    saved = torch.load(latest_checkpoint(result.run_dir), weights_only=True)["objective"]["modules"]["q_head"]
    torch.testing.assert_close(saved["weight"], after[0].detach())


@pytest.mark.parametrize("stop_at", [4, 6])  # in the middle of the epoch, and at its end
def test_resume_is_bitwise_exact_with_a_regularizer_and_an_augmentation(third_party, synthetic_root, tmp_path, stop_at):
    options = dict(QUICK, epochs=2, data_root=str(synthetic_root), regularizers=["logit-anchor", "tp-r1:gamma=0.5"],
                   augment=["shift"], ema=True)
    straight = ganzoo.train("gan", "mnist", out=tmp_path / "straight", **options).run_dir

    class StopAt:
        @ganzoo.hookimpl
        def on_step_end(self, run, step):
            if step == stop_at:
                run.request_stop("SIGINT")

    ganzoo.register_plugin(StopAt(), name="stop")
    try:
        with pytest.raises(ganzoo.training.TrainingInterrupted):
            ganzoo.train("gan", "mnist", out=tmp_path / "stopped", **options)
    finally:
        ganzoo.unregister_plugin("stop")
    resumed = ganzoo.train("gan", "mnist", out=tmp_path / "stopped", resume=True).run_dir
    a = torch.load(latest_checkpoint(straight), weights_only=True)
    b = torch.load(latest_checkpoint(resumed), weights_only=True)
    for key in ("generator", "discriminator", "generator_ema"):
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    assert torch.equal(a["regularizers"]["logit-anchor"]["average"], b["regularizers"]["logit-anchor"]["average"])
    assert read_log(straight) == read_log(resumed)


def test_ttur_and_the_optimizer_registry_reach_the_optimizers(synthetic_root, tmp_path):
    seen = {}

    class Look:
        @ganzoo.hookimpl
        def on_train_start(self, run):
            seen["d"], seen["g"] = run.optimizer_d, run.optimizer_g

    ganzoo.register_plugin(Look(), name="look")
    try:
        ganzoo.train("gan", "mnist", out=tmp_path / "a", data_root=str(synthetic_root), lr_d=4e-4, lr_g=1e-4,
                     betas_d=(0.0, 0.9), **QUICK)
        assert (seen["d"].param_groups[0]["lr"], seen["g"].param_groups[0]["lr"]) == (4e-4, 1e-4)
        assert (seen["d"].param_groups[0]["betas"], seen["g"].param_groups[0]["betas"]) == ((0.0, 0.9), (0.5, 0.999))
        ganzoo.train("gan", "mnist", out=tmp_path / "b", data_root=str(synthetic_root), optimizer="rmsprop", lr=5e-5, **QUICK)
        assert isinstance(seen["d"], torch.optim.RMSprop) and isinstance(seen["g"], torch.optim.RMSprop)
    finally:
        ganzoo.unregister_plugin("look")


def test_the_seed_also_seeds_numpy_for_plugins(synthetic_root, tmp_path):
    draws = []

    class Draw:
        @ganzoo.hookimpl
        def on_train_start(self):
            draws.append(np.random.rand(3))

    ganzoo.register_plugin(Draw(), name="draw")
    try:
        for run in ("a", "b"):
            ganzoo.train("gan", "mnist", out=tmp_path / run, data_root=str(synthetic_root), seed=5, **QUICK)
        np.random.seed(123)  # whatever the process did before, the run reseeds
        ganzoo.train("gan", "mnist", out=tmp_path / "c", data_root=str(synthetic_root), seed=6, **QUICK)
    finally:
        ganzoo.unregister_plugin("draw")
    assert np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[0], draws[2])


def test_an_objective_that_returns_an_undeclared_metric_is_told_so(ganzoo_plugin, synthetic_root, tmp_path):
    @dataclass
    class Sloppy(RelativisticAverage):
        name: ClassVar[str] = "sloppy"

        def metric_specs(self):
            return ()

    class Plugin:
        @ganzoo.hookimpl
        def register_objectives(self, register):
            register("sloppy", Sloppy)

    ganzoo_plugin(Plugin(), name="sloppy")
    with pytest.raises(ganzoo.errors.PluginError, match=r"objective 'sloppy' returned undeclared metric\(s\) ra_real"):
        ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), objective="sloppy", **QUICK)


@pytest.mark.parametrize("options, message", [
    (dict(objective="nope"), "unknown objective 'nope'"),
    (dict(regularizers=["gradient-penalty:weight=-1"]), "regularizer 'gradient-penalty': weight must be >= 0, got -1.0"),
    (dict(regularizers=["gradient-penalty:wieght=1"]), "has no option wieght (did you mean 'weight'?)"),
    (dict(regularizers=["gradient-penalty", "gradient-penalty:weight=2"]), "given twice"),
    (dict(regularizers=["gradient-penalty"], conditioning="none"), None),
    (dict(optimizer="rmsprop", betas=(0.5, 0.9)), "optimizer 'rmsprop' has no betas; drop --betas"),
    (dict(lr_d=0), "lr-d must be a finite number > 0, got 0"),
    (dict(ema_decay=1.5), "ema-decay must be a number in (0, 1), got 1.5"),
])
def test_bad_component_specs_are_one_line_config_errors(options, message, synthetic_root, tmp_path):
    kwargs = dict(QUICK, limit_batches=2, data_root=str(synthetic_root), out=tmp_path / "run")
    if message is None:  # the gradient penalty with the MLP D (no BatchNorm) is fine
        ganzoo.train("gan", "mnist", **{**kwargs, **options})
        return
    with pytest.raises(ganzoo.errors.ConfigError) as caught:
        ganzoo.train("gan", "mnist", **{**kwargs, **options})
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "run").exists()


def test_a_gradient_penalty_refuses_a_batchnorm_discriminator(synthetic_root, tmp_path):
    with pytest.raises(ganzoo.errors.ConfigError, match="regularizer 'gradient-penalty' needs a discriminator that treats"):
        ganzoo.train("dcgan", "mnist", regularizers=["gradient-penalty"], data_root=str(synthetic_root), out=tmp_path / "r",
                     **QUICK)
