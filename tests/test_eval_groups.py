"""`ganzoo eval --group` / `--group-as`: runs that differ only in their seed summarised as
mean ± std, and Welch's t-test between groups (checked against scipy); and runs that
cannot share a table (other dataset or extractor) kept apart."""

from __future__ import annotations

import json
import math

import pytest
import torch
from scipy import special, stats

import ganzoo
from ganzoo.cli import main
from ganzoo.evaluation.groups import (
    Group,
    GroupStat,
    automatic_groups,
    compare,
    regularized_incomplete_beta,
    welch,
)


@pytest.fixture(autouse=True)
def _cache(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "groups-stats-cache"))
    torch.set_num_threads(1)


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return caught.value.code, out, err


# --- the statistics ----------------------------------------------------------------------


@pytest.mark.parametrize("a, b, x", [(0.5, 0.5, 0.3), (2.0, 0.5, 0.9), (1.5, 0.5, 0.999), (30.0, 0.5, 0.01),
                                     (0.7, 3.0, 0.5), (100.0, 0.5, 0.97)])
def test_incomplete_beta_agrees_with_scipy(a, b, x):
    assert regularized_incomplete_beta(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("a, b", [
    ([440.2, 415.0, 465.3], [340.9, 350.2]),                  # far apart
    ([0.95, 0.94, 0.96], [0.951, 0.93, 0.962, 0.955]),        # overlapping
    ([1.0, 2.0], [1.5, 9.0, 4.0]),
    ([10.0, 10.1, 9.9, 10.05, 9.95], [10.2, 10.3, 10.25]),
])
def test_welch_agrees_with_scipy(a, b):
    t, dof, p = welch(a, b)
    reference = stats.ttest_ind(b, a, equal_var=False)
    assert t == pytest.approx(reference.statistic, rel=1e-10)
    assert p == pytest.approx(reference.pvalue, rel=1e-8)
    va, vb = torch.tensor(a, dtype=torch.float64).var() / len(a), torch.tensor(b, dtype=torch.float64).var() / len(b)
    assert dof == pytest.approx(float((va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))))
    assert welch([1.0], b) is None and welch([2.0, 2.0], [2.0, 2.0]) is None


def group(name, values):
    return Group(name=name, runs=list(range(len(values))),
                 metrics={"fid": GroupStat(sum(values) / len(values),
                                           None if len(values) < 2 else float(torch.tensor(values).double().std()),
                                           values)})


def test_compare_says_whether_the_difference_exceeds_the_spread():
    (far,) = compare(group("a", [440.0, 415.0, 465.0]), group("b", [340.0, 350.0, 345.0]), ["fid"])
    assert far.verdict == "exceeds the spread" and far.p < 0.05 and far.difference == pytest.approx(-95.0)
    (near,) = compare(group("a", [440.0, 415.0, 465.0]), group("b", [430.0, 460.0, 450.0]), ["fid"])
    assert near.verdict == "within the spread" and near.p > 0.05
    (single,) = compare(group("a", [440.0, 415.0]), group("b", [340.0]), ["fid"])
    assert single.p is None and "one run" in single.verdict
    (flat,) = compare(group("a", [10.0, 10.0]), group("b", [9.0, 9.0]), ["fid"])
    assert flat.verdict == "exceeds the spread" and flat.p == 0.0 and flat.t is None
    assert compare(group("a", [1.0]), group("b", [2.0]), ["kid_mean"]) == []


def config(**changes):
    base = {"model": "gan", "dataset": "mnist", "lr": 2e-4, "seed": 0, "device": "auto", "data_root": "/data",
            "threads": None, "betas": [0.5, 0.999], "options": {"ema": True, "tensorboard": False}}
    base.update(changes)
    return base


def test_automatic_groups_are_configurations_apart_from_the_seed():
    configs = [config(seed=0), config(seed=1, device="cpu", data_root="/elsewhere", threads=1),
               config(seed=0, lr=1e-3), config(seed=2, options={"ema": True, "tensorboard": True}),
               config(seed=1, lr=1e-3), config(model="cgan"), config(seed=3)]
    epochs = [5, 5, 5, 5, 5, 5, 4]
    groups = automatic_groups(configs, epochs, [True] * 7)
    assert [g.runs for g in groups] == [[0, 1, 3], [2, 4], [5], [6]]
    assert [g.name for g in groups] == ["gan (lr=0.0002, evaluated epoch=5)", "gan (lr=0.001, evaluated epoch=5)",
                                        "cgan", "gan (lr=0.0002, evaluated epoch=4)"]
    assert groups[2].differs_in == {"model": "cgan", "lr": "0.0002", "evaluated epoch": "5"}
    # the same configuration evaluated with and without the EMA weights: two groups
    assert len(automatic_groups([config(), config(seed=1)], [5, 5], [True, False])) == 2


# --- the command -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_runs(mnist_root, tmp_path_factory):
    """gan and cgan, seeds 0 and 1, 5 batches each: two configurations of two seeds."""
    base = tmp_path_factory.mktemp("seeded")
    return {f"{model}-s{seed}": ganzoo.train(model, "mnist", out=base / f"{model}-s{seed}", data_root=str(mnist_root),
                                             epochs=1, limit_batches=5, seed=seed, device="cpu").run_dir
            for model in ("gan", "cgan") for seed in (0, 1)}


def test_group_reports_mean_and_std_per_configuration_and_welch_between_them(seeded_runs, capsys, tmp_path):
    runs = [seeded_runs[name] for name in ("gan-s0", "cgan-s0", "gan-s1", "cgan-s1")]
    code, out, err = run_cli(capsys, "eval", *runs, "--n", 200, "--metrics", "fid,pr,coverage", "--group",
                             "--out", tmp_path / "grouped")
    assert code == 0, err
    written = json.loads((tmp_path / "grouped" / "metrics.json").read_text())
    groups = written["groups"]
    assert [g["name"] for g in groups] == ["gan", "cgan"]
    assert [g["runs"] for g in groups] == [[str(runs[0]), str(runs[2])], [str(runs[1]), str(runs[3])]]
    fids = [r["metrics"]["fid"] for r in written["runs"]]
    fid = groups[0]["metrics"]["fid"]
    assert fid["n"] == 2 and fid["mean"] == pytest.approx((fids[0] + fids[2]) / 2)
    assert fid["std"] == pytest.approx(abs(fids[0] - fids[2]) / math.sqrt(2))
    comparisons = {c["metric"]: c for c in written["comparisons"]}
    assert set(comparisons) == {"fid", "precision", "recall", "classes_covered", "class_tv"}
    reference = stats.ttest_ind([fids[1], fids[3]], [fids[0], fids[2]], equal_var=False)
    assert comparisons["fid"]["p"] == pytest.approx(reference.pvalue, rel=1e-6)
    assert comparisons["fid"]["a"] == "gan" and comparisons["fid"]["b"] == "cgan"
    assert "groups: mean ± std over runs" in out and "cgan − gan" in out and "Welch" in out
    report = (tmp_path / "grouped" / "report.md").read_text()
    assert "## Groups" in report and "| metric | better | gan | cgan |" in report and "Welch's t-test" in report
    assert f"({2})" in report.split("## Groups")[1].splitlines()[4]  # "mean ± std (2)"
    page = (tmp_path / "grouped" / "report.html").read_text()
    assert '<table id="groups">' in page and '<table id="differences">' in page


def test_group_as_names_the_groups_and_brings_their_runs(seeded_runs, capsys, tmp_path):
    code, out, err = run_cli(
        capsys, "eval", "--n", 150, "--metrics", "fid",
        "--group-as", f"plain={seeded_runs['gan-s0']},{seeded_runs['gan-s1']}",
        "--group-as", f"conditional={seeded_runs['cgan-s0']}", "--out", tmp_path / "named")
    assert code == 0, err
    written = json.loads((tmp_path / "named" / "metrics.json").read_text())
    assert len(written["runs"]) == 3 and [g["name"] for g in written["groups"]] == ["plain", "conditional"]
    (fid,) = written["comparisons"]
    assert fid["p"] is None and fid["verdict"].startswith("no spread to compare")
    assert "one run: no spread" in out

    for args, fragment in [
        (["--group-as", "x"], "is not NAME=RUN,RUN,..."),
        (["--group-as", "x=nowhere"], "run 'nowhere' does not exist"),
        ([seeded_runs["gan-s0"], "--group", "--group-as", f"x={seeded_runs['gan-s1']}"], "use one"),
        ([], "give at least one run"),
    ]:
        code, _, err = run_cli(capsys, "eval", *args, "--out", tmp_path / "bad")
        assert code == 2 and fragment in err, (args, err)


def test_group_of_runs_that_share_no_configuration_warns(seeded_runs, capsys, tmp_path):
    code, _, err = run_cli(capsys, "eval", seeded_runs["gan-s0"], seeded_runs["cgan-s0"], "--n", 150,
                           "--metrics", "fid", "--group", "--out", tmp_path / "lonely")
    assert code == 0, err
    assert "no two runs share a configuration apart from the seed" in err


# --- runs that cannot share a table -------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_runs(synthetic_root, mnist_root, tmp_path_factory):
    """Tiny gan runs: on MNIST and on Fashion-MNIST (the synthetic sets), and on MNIST from
    another data folder (other test images under the same dataset name)."""
    base = tmp_path_factory.mktemp("mixed")

    def train(name, dataset, root, seed=0):
        return ganzoo.train("gan", dataset, out=base / name, data_root=str(root), epochs=1, limit_batches=3,
                            batch_size=32, seed=seed, device="cpu").run_dir

    return {"mnist": train("gan-mnist", "mnist", synthetic_root),
            "mnist-s1": train("gan-mnist-s1", "mnist", synthetic_root, seed=1),
            "fashion": train("gan-fashion", "fashion-mnist", synthetic_root),
            "fashion-s1": train("gan-fashion-s1", "fashion-mnist", synthetic_root, seed=1),
            "mnist-elsewhere": train("gan-mnist-elsewhere", "mnist", mnist_root)}


def test_runs_on_different_datasets_get_separate_tables_and_a_warning_saying_why(mixed_runs, capsys, tmp_path):
    code, out, err = run_cli(capsys, "eval", mixed_runs["mnist"], mixed_runs["fashion"], "--n", 100,
                             "--metrics", "fid,pr", "--out", tmp_path / "mixed")
    assert code == 0, err
    (warning,) = [line for line in err.splitlines() if line.startswith("warning: these runs")]
    assert ("different datasets (mnist, fashion-mnist) and feature extractors (mnist fc9961d5, fashion-mnist "
            "7907163c), so their numbers are not comparable: 2 separate tables") in warning
    assert out.count("ganzoo eval: 100 samples per run") == 2
    words = " ".join(out.split())  # the titles wrap at the terminal's width
    assert "; mnist, features mnist fc9961d5" in words and "; fashion-mnist, features fashion-mnist 7907163c" in words
    written = json.loads((tmp_path / "mixed" / "metrics.json").read_text())
    assert written["warnings"] == [warning]
    assert [(t["dataset"], t["features"], t["runs"]) for t in written["tables"]] == [
        ("mnist", "mnist", [str(mixed_runs["mnist"])]), ("fashion-mnist", "fashion-mnist", [str(mixed_runs["fashion"])])]
    report = (tmp_path / "mixed" / "report.md").read_text()
    assert f"**{warning}**" in report
    assert "## mnist, features mnist fc9961d5" in report and "## fashion-mnist, features fashion-mnist 7907163c" in report
    header_lines = [line for line in report.splitlines() if line.startswith("| metric |")]
    assert len(header_lines) == 2 and "fashion" not in header_lines[0] and "gan-fashion" in header_lines[1]
    page = (tmp_path / "mixed" / "report.html").read_text()
    assert '<table id="metrics">' in page and '<table id="metrics-2">' in page and 'class="warning"' in page

    # one dataset only: one table, no warning, no titles, as before
    code, out, err = run_cli(capsys, "eval", mixed_runs["mnist"], mixed_runs["mnist-s1"], "--n", 100, "--metrics", "fid",
                             "--out", tmp_path / "same")
    assert code == 0 and "warning: these runs" not in err and out.count("ganzoo eval:") == 1
    assert json.loads((tmp_path / "same" / "metrics.json").read_text())["warnings"] == []


def test_other_test_data_under_one_dataset_name_is_kept_apart_too(mixed_runs, capsys, tmp_path):
    code, _, err = run_cli(capsys, "eval", mixed_runs["mnist"], mixed_runs["mnist-elsewhere"], "--n", 100,
                           "--metrics", "fid", "--out", tmp_path / "two-roots")
    assert code == 0, err
    (warning,) = [line for line in err.splitlines() if line.startswith("warning: these runs")]
    assert "different test data (the mnist test split's content differs" in warning and "--data-root" in warning
    assert len(json.loads((tmp_path / "two-roots" / "metrics.json").read_text())["tables"]) == 2


def test_groups_never_span_tables(mixed_runs, capsys, tmp_path):
    runs = [mixed_runs[name] for name in ("mnist", "fashion", "mnist-s1", "fashion-s1")]
    code, out, err = run_cli(capsys, "eval", *runs, "--n", 100, "--metrics", "fid", "--group", "--out", tmp_path / "g")
    assert code == 0, err
    written = json.loads((tmp_path / "g" / "metrics.json").read_text())
    assert [(g["name"], len(g["runs"])) for g in written["groups"]] == [
        ("gan (dataset=mnist, features=mnist fc9961d5)", 2), ("gan (dataset=fashion-mnist, features=fashion-mnist 7907163c)", 2)]
    assert written["comparisons"] == []  # mnist's FID against fashion-mnist's would mean nothing
    assert "differences between groups" not in out

    code, _, err = run_cli(capsys, "eval", "--n", 100, "--metrics", "fid", "--out", tmp_path / "bad",
                           "--group-as", f"both={mixed_runs['mnist']},{mixed_runs['fashion']}")
    assert code == 2 and "--group-as both: its runs were measured on different datasets, extractors or test data" in err
    assert "samples through" not in err  # refused before any sampling
