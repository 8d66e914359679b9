"""The benchmark scripts still run, and measure what they say (no timing asserted here)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def test_the_straightforward_path_is_the_same_training_as_the_fast_one(synthetic_root, tmp_path):
    """Same seed, same epoch order and noise: the first iterations' losses agree to
    rounding (the paths differ in how, not in what, they compute). The `reference` preset's
    D has no dropout, whose two implementations draw their masks differently."""
    quality = load("quality_paths")
    records = {}
    for path in ("fast", "straightforward"):
        run_dir, _ = quality.train(path, "gan", "mnist", seed=0, epochs=1, root=str(synthetic_root), out=tmp_path,
                                   preset="reference")
        records[path] = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records["fast"]) == len(records["straightforward"]) == 640 // 96
    for fast, plain in zip(records["fast"][:3], records["straightforward"][:3]):
        for key in ("loss_d", "loss_g", "d_real", "d_fake"):
            assert fast[key] == pytest.approx(plain[key], rel=1e-4, abs=1e-5), key


def test_the_straightforward_path_uses_torch_layers():
    import torch

    import ganzoo
    from ganzoo import layers
    from ganzoo.config import resolve_config
    from ganzoo.models import build_gan

    quality = load("quality_paths")
    config = resolve_config(ganzoo.get_zoo(), "cgan", "mnist")
    generator, discriminator = build_gan(config, ganzoo.get_zoo(), image_shape=(1, 28, 28), num_classes=10)
    fast_kinds = {type(m) for m in [*generator.modules(), *discriminator.modules()]}
    assert {layers.Tanh, layers.Dropout} <= fast_kinds  # what the fast path trains with
    for module in (generator, discriminator):
        quality.use_torch_layers(module)
    kinds = {type(m) for m in [*generator.modules(), *discriminator.modules()]}
    assert not kinds & {layers.Tanh, layers.Dropout}
    assert {torch.nn.Tanh, torch.nn.Dropout} <= kinds


@pytest.mark.parametrize("model", ["cgan", "dcgan"])
def test_bench_speed_alternates_reference_and_ganzoo_epochs(synthetic_root, model):
    bench = load("bench_speed")
    result = bench.side_by_side(model, str(synthetic_root), 32, rounds=2, preset=None, limit=4)
    assert result["reference"] > 0 and result["ganzoo"] > 0 and result["reference_compute_only"] > 0
    assert result["ratio_min"] <= result["ratio"] <= result["ratio_max"]
    assert result["ratio"] == pytest.approx(result["ganzoo"] / result["reference"], rel=0.5)


def test_the_dcgan_reference_loop_trains_at_its_own_32x32(synthetic_root):
    """PyTorch-GAN's dcgan.py as its users run it, at its default ``--img_size 32``: two
    batches of resized MNIST, and its losses come out finite."""
    import torch

    loops = load("reference_loops")
    reference = loops.ReferenceLoop("dcgan", str(synthetic_root), 16)
    images, seconds = reference.timed_epoch(limit=2)
    assert images == 2 * 16 and seconds > 0
    real, _ = next(iter(reference.loader))
    assert real.shape == (16, 1, 32, 32)
    with torch.no_grad():
        generated = reference.generator(torch.randn(16, 100))
        loss, valid, fake = torch.nn.BCELoss(), torch.ones(16, 1), torch.zeros(16, 1)
        g_loss = loss(reference.discriminator(generated), valid)
        d_loss = (loss(reference.discriminator(real), valid) + loss(reference.discriminator(generated), fake)) / 2
    assert generated.shape == (16, 1, 32, 32)
    assert torch.isfinite(g_loss) and torch.isfinite(d_loss)


def test_a_ganzoo_run_in_the_benchmark_goes_on_epoch_by_epoch(synthetic_root, tmp_path):
    bench = load("bench_speed")
    run = bench.GanzooRun("gan", str(synthetic_root), 32, "reference", 4, tmp_path)
    for epoch in (1, 2, 3):
        images, seconds = run.timed_epoch()
        assert images == 4 * 32 and seconds > 0
    records = [json.loads(line) for line in (run.out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, 13))  # one run, resumed twice


def test_bench_layers_times_both_versions_of_each_layer(synthetic_root):
    bench = load("bench_layers")
    rows = bench.kernels()
    assert [what for what, _, _ in rows] == ["tanh 512x784", "tanh 64x784", "dropout 0.4, 128x512"]
    assert all(theirs > 0 and ours > 0 for _, theirs, ours in rows)
    theirs, ours = bench.iteration_times("cgan", 32, None, str(synthetic_root), rounds=1)
    assert theirs > 0 and ours > 0


@pytest.mark.parametrize("script, args", [("bench_speed", ["--rounds", "0"]), ("bench_layers", ["--rounds", "0"])])
def test_benchmarks_refuse_zero_rounds_in_one_line(script, args):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert "--rounds must be at least 1" in done.stderr and "Traceback" not in done.stderr


def test_quality_quick_trains_evaluates_and_prints_every_command(synthetic_root, tmp_path, capsys):
    """``benchmarks/quality.py --quick``: every headline command trains (5 batches), is
    evaluated by ``ganzoo eval`` and gets its row; a second invocation trains nothing."""
    quality = load("quality")
    out = tmp_path / "quality"
    code = quality.main(["--data-root", str(synthetic_root), "--quick", "--out", str(out), "--parallel", "2"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    rows = [line for line in printed.out.splitlines() if line.startswith("| `ganzoo run")]
    assert len(rows) == len(quality.ENTRIES)
    for entry, row in zip(quality.ENTRIES, rows):
        assert entry.command in row and "(quick: not judged)" in row
        fid = row.split("|")[2].strip()
        assert fid != "-" and float(fid.split(" ± ")[0]) > 0, row  # a measured FID, not a placeholder
    cgan_row = rows[[e.name for e in quality.ENTRIES].index("cgan")]
    assert cgan_row.split("|")[7].strip() != "-"  # conditional accuracy, for the conditional model only
    assert quality.main(["--data-root", str(synthetic_root), "--quick", "--out", str(out), "--parallel", "2"]) == 0
    assert "training" not in capsys.readouterr().err  # finished runs are skipped


def test_quality_judges_targets_and_budgets():
    quality = load("quality")
    entry = quality.Entry("x", "ganzoo run x", "gan", "mnist",
                          targets=(quality.Target("fid", "<=", 20), quality.Target("conditional_accuracy", ">=", 0.98)),
                          budget_seconds=300)
    row = {"name": "x", "seeds": 3, "train_seconds": {"mean": 250.0, "std": 5.0},
           "metrics": {"fid": {"mean": 18.0, "std": 1.0}, "conditional_accuracy": {"mean": 0.985, "std": 0.001}}}
    text, met = quality.table([entry], {"configurations": [row]}, judged=True)
    assert met and "| yes |" in text
    row["metrics"]["fid"]["mean"] = 21.0
    row["train_seconds"]["mean"] = 301.0
    text, met = quality.table([entry], {"configurations": [row]}, judged=True)
    assert not met and "no: FID ≤ 20; budget" in text


def test_quality_trains_two_commands_with_one_configuration_once(tmp_path):
    """`ganzoo run gan` and `ganzoo run gan --loss L` where L is the recipe's own loss train
    identically: one set of runs, both rows; a different loss is its own configuration."""
    import ganzoo

    quality = load("quality")
    own_loss = ganzoo.get_zoo().models.get("gan").loss
    other = "hinge" if own_loss != "hinge" else "least-squares"
    entries = [quality.Entry("plain", "ganzoo run gan", "gan", "mnist"),
               quality.Entry("own", f"ganzoo run gan --loss {own_loss}", "gan", "mnist", {"loss": own_loss}),
               quality.Entry("other", f"ganzoo run gan --loss {other}", "gan", "mnist", {"loss": other})]
    sweep, aliases = quality.build_sweep(entries, data_root="data", seeds=[0], out=tmp_path, parallel=1, quick=False,
                                         samples=100)
    assert [c.name for c in sweep.configurations] == ["plain", "other"] and aliases == {"own": "plain"}
    row = {"name": "plain", "seeds": 1, "train_seconds": {"mean": 1.0, "std": 0.0},
           "metrics": {"fid": {"mean": 5.0, "std": 0.0}}}
    text, _ = quality.table(entries[:2], {"configurations": [row]}, judged=True, aliases=aliases)
    assert "(the same runs as `ganzoo run gan`)" in text and text.count("5.0 ± 0.0") == 2


def test_quality_does_not_judge_budgets_of_runs_that_shared_the_machine():
    quality = load("quality")
    entry = quality.Entry("x", "ganzoo run x", "gan", "mnist", targets=(quality.Target("fid", "<=", 20),),
                          budget_seconds=300)
    row = {"name": "x", "seeds": 3, "train_seconds": {"mean": 400.0, "std": 5.0}, "metrics": {"fid": {"mean": 18.0, "std": 1.0}}}
    text, met = quality.table([entry], {"configurations": [row]}, judged=True, budgets_judged=False)
    assert met and "| yes (budget not judged) |" in text
    assert not quality.table([entry], {"configurations": [row]}, judged=True)[1]


def test_the_zoo_grids_hold_every_entry_of_the_zoo_against_the_plain_gan():
    """docs/models.md's zoo tables come from these grids: each new model, objective,
    regularizer, augmentation and conditioning strategy has a row, every grid compares with
    the plain non-saturating gan over 3 seeds, and one budget holds within a grid."""
    zoo = load("zoo")
    from ganzoo.sweep import from_toml

    sweeps = [from_toml(grid, None) for grid in zoo.DEFAULT_GRIDS]
    configurations = [c for sweep in sweeps for c in sweep.configurations]
    assert {c.model for c in configurations} >= {"gan", "wgan", "infogan", "sngan", "sagan", "dcgan"}
    options = [c.options for c in configurations]
    assert {o.get("objective") for o in options} >= {"rasgan", "ralsgan"}
    assert {o.get("regularizer") for o in options} >= {"r1", "r2", "lecam"}
    assert any(o.get("augment") for o in options)
    assert any(o.get("conditioning") == "cbn-projection" for o in options)
    assert any(o.get("preset") == "attention" for o in options)
    for sweep in sweeps:
        baseline = next(c for c in sweep.configurations if c.name == sweep.baseline)
        assert (baseline.model, baseline.options.get("loss")) == ("gan", "non-saturating")
        assert sweep.seeds == [0, 1, 2]
        assert len({c.options["epochs"] for c in sweep.configurations}) == 1
    assert len({sweep.out for sweep in sweeps}) == len(sweeps)  # no grid overwrites another's runs


def test_zoo_prints_one_table_per_grid_and_lists_what_is_done(synthetic_root, tmp_path, capsys):
    zoo = load("zoo")
    grids = []
    for name, runs in (("mlp", [("gan", ""), ("gan-r1", 'set = { regularizer = "r1" }')]), ("conv", [("gan", "")])):
        grid = tmp_path / f"{name}.toml"
        entries = "\n".join(f'[[runs]]\nname = "{run}"\nmodel = "gan"\n{extra}\n' for run, extra in runs)
        grid.write_text(f"""
[sweep]
seeds = [0]
parallel = 2
out = "{tmp_path / name}"
set = {{ epochs = 1, limit_batches = 2, batch_size = 16, device = "cpu", data_root = "{synthetic_root}" }}
eval = {{ n = 100 }}
baseline = "gan"

{entries}""")
        grids.append(grid)
    arguments = [part for grid in grids for part in ("--grid", str(grid))]
    assert zoo.main([*arguments, "--list"]) == 0
    assert capsys.readouterr().out.count("s0:new") == 3
    code = zoo.main(arguments)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "### mlp.toml" in printed.out and "### conv.toml" in printed.out
    assert "| gan-r1 | 1 |" in printed.out and "(baseline)" in printed.out
    assert zoo.main([*arguments, "--list"]) == 0
    assert capsys.readouterr().out.count("s0:done") == 3


def test_zoo_with_a_missing_grid_is_one_line(tmp_path, capsys):
    zoo = load("zoo")
    assert zoo.main(["--grid", str(tmp_path / "nope.toml"), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --grid") and "nope.toml" in err and len(err.strip().splitlines()) == 1
