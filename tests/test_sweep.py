"""``ganzoo sweep``: a grid trained N at a time, finished runs skipped, interrupted ones
resumed, every run evaluated, mean ± std per configuration."""

from __future__ import annotations

import json

import pytest

from ganzoo.cli import main

QUICK = ["--set", "epochs=1", "--set", "limit_batches=3", "--set", "batch_size=16", "--set", "device=cpu",
         "--eval-n", "100", "--parallel", "2"]


def sweep(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", *args])
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


@pytest.fixture
def data(synthetic_root):
    return ["--set", f"data_root={synthetic_root}"]


def test_a_grid_trains_evaluates_and_summarises_each_configuration_over_seeds(data, tmp_path, capsys):
    out = tmp_path / "sweep"
    code, stdout, err = sweep(capsys, "--model", "gan", "--set", "loss=hinge,least-squares", "--seeds", "0,1",
                              "--out", str(out), *QUICK, *data)
    assert code == 0, err
    assert "2 configurations x 2 seeds = 4 runs, 2 at a time" in stdout
    names = ["gan-loss_hinge", "gan-loss_least-squares"]
    for name in names:
        for seed in (0, 1):
            run = out / f"{name}-s{seed}"
            assert json.loads((run / "config.json").read_text())["seed"] == seed
            assert (run / "eval" / "metrics.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert [row["name"] for row in summary["configurations"]] == names
    fid = summary["configurations"][0]["metrics"]["fid"]
    assert len(fid["values"]) == 2 and fid["mean"] == pytest.approx(sum(fid["values"]) / 2)
    table = (out / "summary.md").read_text()
    assert "| gan-loss_hinge | 2 |" in table and "±" in table

    # The same command again: nothing is trained or evaluated twice.
    stamps = {p: p.stat().st_mtime for p in out.glob("*/checkpoints/latest")}
    code, _, err = sweep(capsys, "--model", "gan", "--set", "loss=hinge,least-squares", "--seeds", "0,1",
                         "--out", str(out), *QUICK, *data)
    assert code == 0 and err.count("finished, skipped") == 4 and "eval" not in err
    assert stamps == {p: p.stat().st_mtime for p in out.glob("*/checkpoints/latest")}

    # More epochs: every run is resumed from its checkpoint, not started again.
    code, _, err = sweep(capsys, "--model", "gan", "--set", "loss=hinge,least-squares", "--seeds", "0,1",
                         "--out", str(out), *QUICK, "--set", "epochs=2", *data)
    assert code == 0 and err.count("resuming") == 4
    log = [json.loads(line) for line in (out / "gan-loss_hinge-s0" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 7))


def test_a_toml_grid_and_a_failing_run_reported_by_name(synthetic_root, tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(f"""
[sweep]
dataset = "mnist"
seeds = [3]
parallel = 2
set = {{ epochs = 1, limit_batches = 2, batch_size = 16, device = "cpu", data_root = "{synthetic_root}" }}
eval = {{ n = 100 }}

[[runs]]
name = "plain"
model = "gan"

[[runs]]
name = "broken"
model = "gan"
set = {{ lr = -1 }}
""")
    code, stdout, err = sweep(capsys, "--file", str(grid), "--out", str(tmp_path / "sweep"))
    assert code == 1
    assert "broken-s3: failed (exit 2)" in err and "plain-s3: ok" in err
    assert "lr" in (tmp_path / "sweep" / "broken-s3.log").read_text()
    assert "Failed: broken-s3" in (tmp_path / "sweep" / "summary.md").read_text()
    assert (tmp_path / "sweep" / "plain-s3" / "eval" / "metrics.json").exists()


@pytest.mark.parametrize("args, message", [
    (["--model", "gan", "--set", "epochs"], "--set 'epochs' is not KEY=VALUE"),
    (["--model", "gan", "--seeds", "a,b"], "is not a comma-separated list of integers"),
    (["--model", "gan", "--seeds", "1,1"], "seeds must be distinct"),
    (["--model", "gan", "--set", "seed=4"], "the sweep sets both"),
    ([], "give --model"),
    (["--model", "nope"], "unknown model 'nope'"),
])
def test_bad_grids_are_one_line(args, message, tmp_path, capsys):
    code, _, err = sweep(capsys, *args, "--out", str(tmp_path / "s"))
    assert code == 2 and message in err and "Traceback" not in err


def test_a_toml_grid_with_an_unknown_key_is_one_line(tmp_path, capsys):
    grid = tmp_path / "g.toml"
    grid.write_text('[sweep]\nseed = [1]\n[[runs]]\nmodel = "gan"\n')
    code, _, err = sweep(capsys, "--file", str(grid))
    assert code == 2 and "unknown key(s) in [sweep]: seed" in err


def test_the_summary_compares_each_configuration_with_the_baseline():
    from pathlib import Path

    from ganzoo import sweep as sweeps

    def row(name, fids):
        return {"name": name, "model": "gan", "options": {}, "seeds": len(fids), "train_seconds": None,
                "metrics": {"fid": {"mean": sum(fids) / len(fids), "std": 0.0, "values": fids}}}

    rows = [row("base", [50.0, 52.0, 51.0]), row("better", [30.0, 31.0, 29.5]), row("same", [49.0, 53.0, 51.5]),
            row("one-seed", [10.0])]
    from ganzoo.sweep_summary import _compare_with_baseline

    _compare_with_baseline(rows, "base")
    verdicts = {r["name"]: r.get("vs_baseline", {}).get("verdict") for r in rows}
    assert verdicts == {"base": None, "better": "better", "same": "within the spread",
                        "one-seed": "untested: fewer than 2 seeds, or no spread"}
    assert rows[1]["vs_baseline"]["p"] < 0.01 and rows[1]["vs_baseline"]["fid_difference"] < 0
    table = sweeps.summary_markdown({"seeds": [0, 1, 2], "configurations": rows, "failed": [], "baseline": "base"})
    assert "| FID vs base |" in table and "(baseline)" in table and "better, p = 0.00" in table
    with pytest.raises(Exception, match="baseline 'nope' is not a configuration"):
        sweeps._checked(sweeps.Sweep([sweeps.Configuration("a", "gan")], [0], Path("x"), baseline="nope"))


def test_run_arguments_repeat_list_flags_but_keep_pairs_together():
    from ganzoo.sweep import Configuration

    configuration = Configuration("x", "gan", {"regularizer": ["r1", "lecam"], "betas": [0.5, 0.9], "ema": False})
    assert configuration.run_args() == ["gan", "--regularizer", "r1", "--regularizer", "lecam",
                                        "--betas", "0.5", "0.9", "--no-ema"]


def test_a_toml_pair_reaches_ganzoo_run_as_one_option(tmp_path):
    """The argv the sweep builds is accepted by ``ganzoo run``'s parser as the pair it is."""
    from ganzoo.cli import cli
    from ganzoo.sweep import from_toml

    grid = tmp_path / "grid.toml"
    grid.write_text('[sweep]\nseeds = [0]\n[[runs]]\nname = "a"\nmodel = "gan"\nset = { betas = [0.5, 0.9] }\n')
    argv = from_toml(grid, tmp_path / "out").configurations[0].run_args()
    context = cli.commands["run"].make_context("run", argv)
    assert tuple(context.params["betas"]) == (0.5, 0.9)


def test_only_keeps_the_named_configurations_and_the_baseline(tmp_path):
    from pathlib import Path

    from ganzoo.errors import ConfigError
    from ganzoo.sweep import Configuration, Sweep, select

    grid = Sweep([Configuration(name, "gan", {}) for name in ("gan", "gan-r1", "gan-r2", "sngan", "sagan")], [0],
                 Path(tmp_path), baseline="gan")
    assert [c.name for c in select(grid, ["gan-r*"]).configurations] == ["gan", "gan-r1", "gan-r2"]
    assert [c.name for c in select(grid, ["sagan", " sngan"]).configurations] == ["gan", "sngan", "sagan"]
    assert [c.name for c in grid.configurations] == ["gan", "gan-r1", "gan-r2", "sngan", "sagan"]  # a copy
    with pytest.raises(ConfigError, match=r"no configuration matches 'wgan'; the sweep has: gan, gan-r1"):
        select(grid, ["gan-r1", "wgan"])


def test_only_with_a_name_the_grid_lacks_is_one_line_and_trains_nothing(synthetic_root, tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(f'[sweep]\nset = {{ data_root = "{synthetic_root}" }}\n[[runs]]\nname = "plain"\nmodel = "gan"\n')
    code, _, err = sweep(capsys, "--file", str(grid), "--out", str(tmp_path / "sweep"), "--only", "plian")
    assert code == 2 and "--only: no configuration matches 'plian'; the sweep has: plain" in err
    assert "Traceback" not in err and not (tmp_path / "sweep").exists()
