"""Short real training runs: losses move, files appear, runs reproduce and resume exactly."""

import json
import math
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.checkpoint import latest_checkpoint
from ganzoo.models import build_gan

QUICK = dict(epochs=2, batch_size=32, limit_batches=25, log_every=10, device="cpu")


def read_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def weights(run_dir):
    state = torch.load(latest_checkpoint(run_dir), weights_only=True)
    return state["generator"], state["discriminator"], state


def assert_same_tensors(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_short_gan_run_learns_and_writes_grids_checkpoints_and_log(mnist_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(mnist_root), epochs=2, loss="non-saturating",
                          batch_size=64, limit_batches=60, log_every=20, device="cpu")  # the loss with log 4 at chance
    run = result.run_dir
    assert result.epochs_done == 2 and result.steps == 120
    records = read_metrics(run)
    assert [r["step"] for r in records] == list(range(1, 121))
    # D starts at chance (loss log 4, D(x) ~ D(G(z)) ~ 1/2), then learns to tell real from
    # fake, and G's loss rises as D gets better at rejecting its samples.
    assert records[0]["loss_d"] == pytest.approx(1.386, abs=0.15)
    assert min(r["loss_d"] for r in records) < records[0]["loss_d"] - 0.25
    assert max(r["loss_g"] for r in records) > records[0]["loss_g"] + 0.1
    last = records[-20:]
    assert sum(r["d_real"] - r["d_fake"] for r in last) / len(last) > 0.02
    # G learned what the data look like: its mean image moved towards the data's mean image
    # (black background, bright centre), far from where the untrained G started (grey).
    from torchvision.datasets import MNIST

    data_mean = (MNIST(mnist_root, train=False).data[:2000].float() / 127.5 - 1).mean(0)
    loaded = ganzoo.load_generator(run, device="cpu", ema=False)  # G itself, not its average
    trained_mean = ganzoo.sample(loaded, 512, seed=1).mean(0)[0]
    torch.manual_seed(0)
    untrained, _ = build_gan(result.config, ganzoo.get_zoo(), image_shape=(1, 28, 28), num_classes=10)
    with torch.no_grad():
        untrained_mean = untrained.eval()(torch.randn(512, 100)).mean(0)[0]
    trained_error = (trained_mean - data_mean).pow(2).mean()
    untrained_error = (untrained_mean - data_mean).pow(2).mean()
    assert trained_error < 0.3 * untrained_error, (float(trained_error), float(untrained_error))
    for epoch in (1, 2):
        grid = run / "samples" / f"epoch-{epoch:04d}.png"
        assert grid.stat().st_size > 1000
    # A checkpoint loads without executing code, and holds what resuming needs.
    state = torch.load(run / "checkpoints" / "epoch-0002.pt", weights_only=True)
    assert {"generator", "discriminator", "opt_g", "opt_d", "rng", "config", "epoch", "step"} <= state.keys()
    assert state["epoch"] == 2 and state["step"] == 120 and state["config"]["model"] == "gan"
    assert json.loads((run / "config.json").read_text())["lr"] == ganzoo.get_zoo().models.get("gan").hyperparameters["lr"]


def test_grid_of_conditional_model_has_one_row_per_class(synthetic_root, tmp_path):
    result = ganzoo.train("cgan", "mnist", out=tmp_path / "cgan", data_root=str(synthetic_root), **QUICK)
    from PIL import Image

    grid = Image.open(result.run_dir / "samples" / "epoch-0002.png")
    assert grid.size == (2 + 10 * 30, 2 + 10 * 30)  # 10x10 images of 28 px, padding 2
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    assert state["data"]["conditional"] is True and state["data"]["num_classes"] == 10


@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_same_seed_same_weights_other_seed_other_weights(model, synthetic_root, tmp_path):
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        runs[name] = ganzoo.train(model, "mnist", out=tmp_path / name, data_root=str(synthetic_root), seed=seed, **QUICK).run_dir
    g_a, d_a, _ = weights(runs["a"])
    g_b, d_b, _ = weights(runs["b"])
    g_c, _, _ = weights(runs["c"])
    assert_same_tensors(g_a, g_b)
    assert_same_tensors(d_a, d_b)
    assert not all(torch.equal(g_a[k], g_c[k]) for k in g_a)


@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_resume_gives_bitwise_the_weights_of_an_uninterrupted_run(model, synthetic_root, tmp_path):
    options = dict(QUICK, epochs=3, data_root=str(synthetic_root))
    straight = ganzoo.train(model, "mnist", out=tmp_path / "straight", **options).run_dir
    interrupted = ganzoo.train(model, "mnist", out=tmp_path / "resumed", **dict(options, epochs=1)).run_dir
    resumed = ganzoo.train(model, "mnist", out=interrupted, resume=True, epochs=3).run_dir
    g1, d1, s1 = weights(straight)
    g2, d2, s2 = weights(resumed)
    assert_same_tensors(g1, g2)
    assert_same_tensors(d1, d2)
    assert s1["step"] == s2["step"]
    assert read_metrics(straight) == read_metrics(resumed)


def test_minimax_loss_is_selectable_and_trains(synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "mm", data_root=str(synthetic_root), loss="minimax", **QUICK)
    assert result.config.loss == "minimax"
    records = read_metrics(result.run_dir)
    assert records[0]["loss_g"] < 0  # log(1 - D(G(z))) is negative


def test_d_steps_and_g_steps_follow_algorithm_1(synthetic_root, tmp_path):
    # 15 batches per epoch with k = 2 discriminator steps each: 7 iterations per epoch.
    options = dict(QUICK, limit_batches=15)
    result = ganzoo.train("gan", "mnist", out=tmp_path / "k2", data_root=str(synthetic_root), d_steps=2, g_steps=3, **options)
    assert result.steps == 2 * 7
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    # Adam's step counts: D updated 2 times per iteration, G 3 times.
    d_step = next(iter(state["opt_d"]["state"].values()))["step"]
    g_step = next(iter(state["opt_g"]["state"].values()))["step"]
    assert (int(d_step), int(g_step)) == (2 * 14, 3 * 14)


def test_reference_preset_applies_its_hyperparameters(synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "ref", data_root=str(synthetic_root), preset="reference",
                          epochs=1, limit_batches=3, device="cpu")
    config = result.config
    assert (config.batch_size, config.lr, config.betas, config.preset) == (96, 3e-4, (0.9, 0.999), "reference")
    assert config.generator_kwargs["activation"] == "relu"


def test_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(ganzoo_plugin, synthetic_root, tmp_path):
    from ganzoo.engine import NonFiniteLossError
    from ganzoo.losses import NonSaturatingLoss

    class ExplodesInEpochTwo(NonSaturatingLoss):
        calls = 0

        def generator_loss(self, fake_logits):
            type(self).calls += 1
            loss = super().generator_loss(fake_logits)
            return loss * float("nan") if type(self).calls > 30 else loss

    class Plugin:
        @ganzoo.hookimpl
        def register_losses(self, register):
            register("explodes", ExplodesInEpochTwo)

    ganzoo_plugin(Plugin())
    with pytest.raises(NonFiniteLossError, match=r"at step 31;.*epoch-0001\.pt"):
        ganzoo.train("gan", "mnist", out=tmp_path / "nan", data_root=str(synthetic_root), loss="explodes", **QUICK)
    assert latest_checkpoint(tmp_path / "nan").name == "epoch-0001.pt"
    torch.load(latest_checkpoint(tmp_path / "nan"), weights_only=True)  # intact


@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_stop_in_the_middle_of_an_epoch_then_resume_is_exact(model, ganzoo_plugin, synthetic_root, tmp_path):
    from ganzoo.engine import TrainingInterrupted

    options = dict(QUICK, epochs=2, data_root=str(synthetic_root))
    straight = ganzoo.train(model, "mnist", out=tmp_path / "straight", **options).run_dir

    class StopAtStep13:  # what Ctrl-C does: ask the trainer to stop after this iteration
        @ganzoo.hookimpl
        def on_step_end(self, run, step):
            if step == 13:
                run.request_stop("SIGINT")

    name = ganzoo_plugin(StopAtStep13())
    with pytest.raises(TrainingInterrupted, match=r"in epoch 1 \(iteration 13 of 20\).*--resume") as caught:
        ganzoo.train(model, "mnist", out=tmp_path / "stopped", **options)
    assert caught.value.exit_code == 130
    assert latest_checkpoint(tmp_path / "stopped").name == "epoch-0001-iter-000013.pt"
    ganzoo.unregister_plugin(name)

    resumed = ganzoo.train(model, "mnist", out=tmp_path / "stopped", resume=True).run_dir
    g1, d1, _ = weights(straight)
    g2, d2, _ = weights(resumed)
    assert_same_tensors(g1, g2)
    assert_same_tensors(d1, d2)
    assert read_metrics(straight) == read_metrics(resumed)


def test_ema_follows_its_closed_form_and_is_used_for_sampling(ganzoo_plugin, synthetic_root, tmp_path):
    snapshots = []

    class Recorder:  # G's weights at the start and after every iteration
        @ganzoo.hookimpl
        def on_train_start(self, trainer):
            snapshots.append({k: v.clone() for k, v in trainer.generator.named_parameters()})

        @ganzoo.hookimpl
        def on_step_end(self, trainer):
            snapshots.append({k: v.clone() for k, v in trainer.generator.named_parameters()})

    ganzoo_plugin(Recorder())
    decay = 0.9
    options = dict(QUICK, epochs=1, limit_batches=12, data_root=str(synthetic_root))
    result = ganzoo.train("gan", "mnist", out=tmp_path / "ema", ema=True, ema_decay=decay, **options)
    expected = dict(snapshots[0])
    for step, current in enumerate(snapshots[1:], start=1):
        d = min(decay, (1 + step) / (10 + step))  # warm-up, then the configured decay
        expected = {k: d * expected[k] + (1 - d) * current[k] for k in expected}
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    for key, value in expected.items():
        torch.testing.assert_close(state["generator_ema"][key], value, rtol=1e-5, atol=1e-6)
        assert not torch.equal(state["generator_ema"][key], state["generator"][key])
    averaged = ganzoo.load_generator(result.run_dir, device="cpu")
    raw = ganzoo.load_generator(result.run_dir, device="cpu", ema=False)
    assert averaged.ema and not raw.ema
    first = next(iter(expected))
    assert torch.equal(dict(averaged.generator.named_parameters())[first], state["generator_ema"][first])
    assert torch.equal(dict(raw.generator.named_parameters())[first], state["generator"][first])


def test_ema_batch_norm_statistics_are_recomputed_for_the_averaged_weights(synthetic_root, tmp_path):
    """The average's BatchNorm statistics are those of its own activations (standing
    statistics over the prior's noise), not the live G's, which normalise other weights."""
    result = ganzoo.train("gan", "mnist", out=tmp_path / "ema", ema=True, ema_decay=0.99,
                          **dict(QUICK, epochs=1, data_root=str(synthetic_root)))
    state = torch.load(latest_checkpoint(result.run_dir), weights_only=True)
    averaged = ganzoo.load_generator(result.run_dir, device="cpu").generator
    norm_name, norm = [(n, m) for n, m in averaged.named_modules() if isinstance(m, torch.nn.BatchNorm1d)][-1]
    assert state["generator_ema"][f"{norm_name}.running_mean"].equal(norm.running_mean)
    inputs = []
    norm.register_forward_hook(lambda module, args, output: inputs.append(args[0]))
    with torch.no_grad():
        averaged(torch.randn(4096, 100, generator=torch.Generator().manual_seed(5)), None)
    mean, var = inputs[0].mean(0), inputs[0].var(0)
    # 20 batches of 32 against 4096 samples: within 6 standard errors, feature by feature
    assert ((norm.running_mean - mean).abs() <= 0.25 * var.sqrt()).all()
    assert ((norm.running_var / var - 1).abs() <= 0.35).all()
    live = state["generator"][f"{norm_name}.running_mean"]  # the live G's: other weights' statistics
    assert not torch.allclose(live, norm.running_mean)
    # the grid was drawn with the recomputed statistics too: it is the average's own samples
    assert (result.run_dir / "samples" / "epoch-0001.png").exists()


def test_ema_survives_resume_exactly(synthetic_root, tmp_path):
    options = dict(QUICK, epochs=2, data_root=str(synthetic_root), ema=True)
    straight = ganzoo.train("gan", "mnist", out=tmp_path / "a", **options).run_dir
    ganzoo.train("gan", "mnist", out=tmp_path / "b", **dict(options, epochs=1))
    resumed = ganzoo.train("gan", "mnist", out=tmp_path / "b", resume=True, epochs=2).run_dir
    _, _, s1 = weights(straight)
    _, _, s2 = weights(resumed)
    assert_same_tensors(s1["generator_ema"], s2["generator_ema"])


def test_profile_writes_where_the_time_goes(synthetic_root, tmp_path):
    result = ganzoo.train("gan", "mnist", out=tmp_path / "prof", data_root=str(synthetic_root), profile=True,
                          **dict(QUICK, epochs=2))  # 40 iterations: 10 warm-up, 20 profiled
    summary = (result.run_dir / "profile" / "summary.txt").read_text()
    assert "20 training iterations of gan" in summary
    assert "aten::addmm" in summary or "aten::mm" in summary  # the linear layers are in there
    trace = json.loads((result.run_dir / "profile" / "trace.json").read_text())
    assert trace["traceEvents"]


def test_on_train_end_runs_when_training_fails(ganzoo_plugin, synthetic_root, tmp_path):
    from ganzoo.hookspecs import hookimpl

    ended = []

    class Recorder:
        @hookimpl
        def on_train_end(self, trainer):
            ended.append(trainer.step)

    class FailsAtStart:
        @hookimpl
        def on_train_start(self, trainer):
            raise RuntimeError("cannot start")

    class FailsAtStepThree:
        @hookimpl
        def on_step_end(self, trainer, step):
            if step == 3:
                raise RuntimeError("boom at step 3")

    ganzoo_plugin(Recorder())
    failing = ganzoo_plugin(FailsAtStepThree())
    with pytest.raises(RuntimeError, match="boom at step 3"):
        ganzoo.train("gan", "mnist", out=tmp_path / "a", data_root=str(synthetic_root), **QUICK)
    assert ended == [3]
    from ganzoo.plugins import unregister_plugin

    unregister_plugin(failing)
    ganzoo_plugin(FailsAtStart())
    with pytest.raises(RuntimeError, match="cannot start"):
        ganzoo.train("gan", "mnist", out=tmp_path / "b", data_root=str(synthetic_root), **QUICK)
    assert ended == [3, 0]


def test_a_run_that_fails_inside_the_profiling_window_stops_the_profiler(synthetic_root, tmp_path):
    # on_train_end runs on failures too, so --profile never leaves torch.profiler running:
    # a profiler still running when the interpreter exits crashes it (SIGSEGV).
    script = f"""
import ganzoo
from ganzoo.hookspecs import hookimpl
from ganzoo.plugins import register_plugin

class FailAtStep15:
    @hookimpl
    def on_step_end(self, trainer, step, metrics):
        if step == 15:
            raise RuntimeError("boom at step 15")

register_plugin(FailAtStep15(), name="fail-at-step-15")
try:
    ganzoo.train("gan", "mnist", out={str(tmp_path / "run")!r}, data_root={str(synthetic_root)!r},
                 profile=True, epochs=2, batch_size=32, limit_batches=25, device="cpu")
except RuntimeError as error:
    print("caught:", error)
"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "caught: boom at step 15" in done.stdout
    summary = (tmp_path / "run" / "profile" / "summary.txt").read_text()  # what was profiled is kept
    assert "aten::addmm" in summary or "aten::mm" in summary


def test_disk_full_during_a_checkpoint_keeps_the_previous_one(synthetic_root, tmp_path, monkeypatch):
    import errno

    from ganzoo import checkpoint as checkpoint_module
    from ganzoo.errors import CheckpointError

    real_save = torch.save
    calls = {"n": 0}

    def save_then_fill_the_disk(obj, handle, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second epoch's checkpoint: half written, then ENOSPC
            handle.write(b"PK\x03\x04 partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, handle, *args, **kwargs)

    monkeypatch.setattr(checkpoint_module.torch, "save", save_then_fill_the_disk)
    run = tmp_path / "full"
    with pytest.raises(CheckpointError, match=r"No space left on device; the previous checkpoint .*epoch-0001\.pt\) is intact"):
        ganzoo.train("gan", "mnist", out=run, data_root=str(synthetic_root), **QUICK)
    monkeypatch.undo()
    assert latest_checkpoint(run).name == "epoch-0001.pt"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch-0001.pt", "latest"]  # no temp file left
    torch.load(latest_checkpoint(run), weights_only=True)
    resumed = ganzoo.train("gan", "mnist", out=run, resume=True)
    assert resumed.epochs_done == 2


def test_tensorboard_without_the_package_is_refused_before_anything_is_written(synthetic_root, tmp_path, monkeypatch):
    import importlib.util

    from ganzoo.errors import ConfigError

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real_find_spec(name, *a))
    with pytest.raises(ConfigError, match=r"--tensorboard needs the tensorboard package: pip install 'ganzoo\[tensorboard\]'"):
        ganzoo.train("gan", "mnist", out=tmp_path / "tb", data_root=str(synthetic_root), tensorboard=True, **QUICK)
    assert not (tmp_path / "tb").exists()


def test_tensorboard_logs_the_losses_when_installed(synthetic_root, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = ganzoo.train("gan", "mnist", out=tmp_path / "tb", data_root=str(synthetic_root), tensorboard=True, **QUICK)
    events = EventAccumulator(str(result.run_dir / "tensorboard"))
    events.Reload()
    assert len(events.Scalars("train/loss_d")) == result.steps


def test_compiled_models_train_to_the_same_weights_and_checkpoints(synthetic_root, tmp_path, monkeypatch):
    """``--compile`` through dynamo with the eager backend (the graph capture, guards and
    recompiles of the real path, without code generation): the same weights as without
    it, checkpoints with the same keys, and a resume that may drop it."""
    monkeypatch.setenv("GANZOO_COMPILE_BACKEND", "eager")
    model = "acgan"  # BatchNorm in G, a classifying head in D
    options = dict(QUICK, epochs=1, limit_batches=6, data_root=str(synthetic_root))
    plain = ganzoo.train(model, "mnist", out=tmp_path / "plain", **options).run_dir
    compiled = ganzoo.train(model, "mnist", out=tmp_path / "compiled", compile="default", **options).run_dir
    g1, d1, _ = weights(plain)
    g2, d2, state = weights(compiled)
    assert list(g1) == list(g2) and list(d1) == list(d2)  # no "_orig_mod." prefixes
    assert_same_tensors(g1, g2)
    assert_same_tensors(d1, d2)
    assert state["config"]["compile"] == "default"
    resumed = ganzoo.train(model, "mnist", out=compiled, resume=True, epochs=2, compile="none")
    assert resumed.epochs_done == 2


@pytest.mark.slow
def test_compile_with_inductor_trains(synthetic_root, tmp_path, monkeypatch):
    """The real backend: C++ code generated for this CPU (minutes on 2 cores)."""
    import shutil

    if not (shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")):
        pytest.skip("inductor's CPU backend needs a C++ compiler")
    # its generated code (hundreds of MB) goes with the test's directory, not into /tmp for good
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor-cache"))
    result = ganzoo.train("gan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), preset="reference",
                          compile="default", epochs=1, batch_size=32, limit_batches=8, log_every=1, device="cpu")
    records = read_metrics(result.run_dir)
    assert len(records) == 8 and all(math.isfinite(r["loss_d"]) and math.isfinite(r["loss_g"]) for r in records)
    assert records[-1]["loss_d"] != records[0]["loss_d"]


@pytest.mark.parametrize("option, value, message", [
    ("seed", "a", "seed must be an integer in [0, 2^63), got 'a'"),
    ("seed", 2**70, "seed must be an integer in [0, 2^63)"),
    ("epochs", "5", "epochs must be an integer >= 1, got '5'"),
    ("batch_size", 2.5, "batch-size must be an integer >= 1"),
    ("d_steps", True, "d-steps must be an integer >= 1, got True"),
    ("lr", float("nan"), "lr must be a finite number > 0"),
    ("betas", 5, "betas must be two numbers, got 5"),
    ("betas", (0.5, "x"), "each of betas must be in [0, 1)"),
    ("ema_decay", "x", "ema-decay must be a number in (0, 1), got 'x'"),
    ("limit_batches", 0.5, "limit-batches must be an integer >= 1"),
    ("device", 0, "device must be one of auto, cpu, cuda, mps"),
])
def test_the_python_api_refuses_wrongly_typed_options_with_a_config_error(tmp_path, option, value, message):
    """ganzoo.train passes values through unconverted: a wrong type is the user's error,
    not a TypeError from inside a comparison."""
    import re

    from ganzoo.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        ganzoo.train("gan", "mnist", out=tmp_path / "run", **{option: value})
    assert not (tmp_path / "run").exists()


def test_two_runs_started_together_never_share_a_default_run_directory(synthetic_root, tmp_path, monkeypatch):
    """Both pick runs/gan-mnist when they start; the one that creates it second must move
    to runs/gan-mnist-2 instead of writing into the other's run."""
    import ganzoo.training.api as engine

    monkeypatch.chdir(tmp_path)
    other_run = tmp_path / "runs" / "gan-mnist"
    check = engine.check_new_run_dir

    def check_then_lose_the_race(run_dir, **kwargs):
        check(run_dir, **kwargs)  # the name was free when this run checked it...
        other_run.mkdir(parents=True)  # ...and another run took it before this one wrote
        (other_run / "config.json").write_text('{"model": "gan", "dataset": "mnist"}\n')

    monkeypatch.setattr(engine, "check_new_run_dir", check_then_lose_the_race)
    result = ganzoo.train("gan", "mnist", data_root=str(synthetic_root), epochs=1, batch_size=32, limit_batches=2,
                          device="cpu")
    assert result.run_dir == Path("runs") / "gan-mnist-2"
    assert (tmp_path / "runs" / "gan-mnist-2" / "checkpoints").is_dir()
    assert sorted(p.name for p in other_run.iterdir()) == ["config.json"]  # the other run is untouched
