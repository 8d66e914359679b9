"""Multi-process data-parallel training: torchrun, 2 CPU processes, gloo."""

import json
import os
import subprocess
import sys

import pytest
import torch

import ganzoo

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")

COMMON = ["--preset", "reference", "--epochs", "2", "--limit-batches", "8", "--log-every", "4", "--device", "cpu", "-q"]


def read_log(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_two_processes_match_one_process_with_the_same_global_batch(mnist_root, tmp_path):
    single = tmp_path / "single"
    ganzoo.train("gan", "mnist", out=single, data_root=str(mnist_root), preset="reference", epochs=2, batch_size=64,
                 limit_batches=8, log_every=4, device="cpu")
    double = tmp_path / "double"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "ganzoo", "run", "gan", "--data-root", str(mnist_root), "--out", str(double), "--batch-size", "32", *COMMON],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("done gan on mnist") == 1  # rank 0 speaks for the run

    # One set of outputs, written once.
    one, two = read_log(single), read_log(double)
    assert [r["step"] for r in two] == list(range(1, 17))
    assert sorted(p.name for p in (double / "samples").iterdir()) == ["epoch-0001.png", "epoch-0002.png"]
    assert sorted(p.name for p in (double / "checkpoints").iterdir()) == ["epoch-0001.pt", "epoch-0002.pt", "latest"]

    # Two processes with batch 32 learn what one process with batch 64 learns: the same
    # batches, the same noise, gradients averaged by DDP (up to float rounding).
    for a, b in zip(one, two):
        for key in ("loss_d", "loss_g", "d_real", "d_fake"):
            assert b[key] == pytest.approx(a[key], rel=1e-3, abs=1e-4), (a["step"], key)
    final_one = torch.load(single / "checkpoints" / "epoch-0002.pt", weights_only=True)["generator"]
    final_two = torch.load(double / "checkpoints" / "epoch-0002.pt", weights_only=True)["generator"]
    for key in final_one:
        torch.testing.assert_close(final_two[key], final_one[key], rtol=1e-3, atol=1e-4)
