"""CPU threads shared among the ganzoo runs of one machine (ganzoo/threads.py), not timed.

Each test has its own live-run folder ($GANZOO_CACHE_DIR) and fake runs: files written
by hand for processes that are alive (a sleeping child) or gone.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest
import torch

import ganzoo
from ganzoo import threads as threads_module
from ganzoo.errors import ConfigError
from ganzoo.threads import ThreadBudget, ThreadsWarning, live_runs, share_of_cores

QUICK = dict(epochs=1, batch_size=32, limit_batches=4, device="cpu")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A private live-run folder, and no thread count fixed by the environment."""
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GANZOO_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    # This process's registration starts unused here, whatever an earlier test of the
    # process left open (a budget still registered elsewhere made these tests flaky).
    for name, value in (("pid", None), ("users", 0), ("path", None)):
        monkeypatch.setattr(threads_module._Registration, name, value)
    before = torch.get_num_threads()
    yield tmp_path / "cache" / "live-runs"
    torch.set_num_threads(before)


@pytest.fixture
def sleeper():
    """A live process that is not this one."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process.pid
    process.kill()
    process.wait()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def fake_run(folder, pid, threads=None, start="from-proc", host=None):
    """A live-run file as another ganzoo process would write it."""
    folder.mkdir(parents=True, exist_ok=True)
    start = threads_start(pid) if start == "from-proc" else start
    path = folder / f"{host or threads_module._host()}-{pid}.json"
    path.write_text(json.dumps({"pid": pid, "start": start, "threads": threads, "since": 0}))
    return path


def threads_start(pid):
    return threads_module.process_start_time(pid)


def test_the_share_of_the_cores():
    assert share_of_cores(2, 1) == 2
    assert share_of_cores(2, 2) == 1
    assert share_of_cores(2, 3) == 1  # never below one thread
    assert share_of_cores(16, 3) == 5
    assert share_of_cores(16, 2, [4]) == 6  # what a run with a fixed count leaves, shared
    assert share_of_cores(2, 1, [1]) == 1
    assert share_of_cores(2, 1, [8]) == 1


def test_share_computed_from_the_live_run_files(folder, sleeper):
    fake_run(folder, sleeper)
    with ThreadBudget(None, cores=4) as budget:
        assert budget.count == torch.get_num_threads() == 2  # this run and the sleeper
        own = folder / f"{threads_module._host()}-{os.getpid()}.json"
        assert json.loads(own.read_text())["threads"] is None  # registered, automatic
        assert budget.describe() == "2 threads, shared automatically"
    assert not own.exists()  # unregistered at the end


def test_a_run_gives_threads_back_and_takes_them_again(folder, sleeper):
    budget = ThreadBudget(None, cores=4, recheck_seconds=60)
    assert budget.open() == 4  # alone
    other = fake_run(folder, sleeper)
    assert budget.recheck() == 4  # looked less than recheck_seconds ago: not yet
    assert budget.recheck(force=True) == 2
    assert torch.get_num_threads() == 2
    other.unlink()  # the other run ended
    assert budget.recheck(force=True) == 4
    budget.close()


def test_fixed_runs_count_with_their_threads(folder, sleeper):
    fake_run(folder, sleeper, threads=3)
    with ThreadBudget(None, cores=4) as budget:
        assert budget.count == 1  # 4 cores - 3 fixed threads, for one automatic run


def test_stale_files_are_ignored_and_removed(folder, sleeper):
    gone = fake_run(folder, dead_pid())
    reused = fake_run(folder, sleeper, start="12345")  # the pid now belongs to another process
    elsewhere = fake_run(folder, sleeper, host="other-machine")  # a home folder shared between machines
    garbled = folder / f"{threads_module._host()}-{dead_pid()}.json"
    garbled.write_text("{not json")
    unrelated = folder / "notes.txt"
    unrelated.write_text("kept")
    with ThreadBudget(None, cores=4) as budget:
        assert budget.count == 4  # none of them is a live run of this machine
    assert not gone.exists() and not reused.exists() and not garbled.exists()
    assert elsewhere.exists() and unrelated.exists()
    assert live_runs(folder) == []


def test_explicit_counts_are_fixed(folder, sleeper, monkeypatch):
    fake_run(folder, sleeper)
    with ThreadBudget(3, cores=4) as budget:  # --threads 3
        assert budget.count == torch.get_num_threads() == 3
        assert budget.recheck(force=True) == 3  # never changed automatically
        assert json.loads((folder / f"{threads_module._host()}-{os.getpid()}.json").read_text())["threads"] == 3
        assert budget.describe() == "3 threads, from --threads"
    monkeypatch.setenv("GANZOO_THREADS", "2")
    with ThreadBudget(None, cores=4) as budget:
        assert budget.count == 2 and budget.recheck(force=True) == 2
    with ThreadBudget(1, cores=4) as budget:  # --threads beats $GANZOO_THREADS
        assert budget.count == 1
    monkeypatch.delenv("GANZOO_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)  # as PyTorch reads it at start
    with ThreadBudget(None, cores=4) as budget:
        assert budget.count == 1 and budget.recheck(force=True) == 1
        assert budget.describe() == "1 thread, from OMP_NUM_THREADS"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_ganzoo_threads_is_refused(folder, monkeypatch, value):
    monkeypatch.setenv("GANZOO_THREADS", value)
    with pytest.raises(ConfigError, match=r"\$GANZOO_THREADS must be an integer >= 1"):
        ThreadBudget(None)
    with pytest.raises(ConfigError, match=r"\$GANZOO_THREADS must be an integer >= 1"):
        ganzoo.train("gan", "mnist", **QUICK)


def test_two_budgets_of_one_process_share_its_file(folder):
    first = ThreadBudget(None, cores=2)
    second = ThreadBudget(None, cores=2)
    first.open()
    second.open()
    assert len(live_runs(folder)) == 1  # one process, one run
    first.close()
    assert len(live_runs(folder)) == 1
    second.close()
    assert live_runs(folder) == []


def test_an_unwritable_cache_folder_is_a_warning_not_a_failure(tmp_path, monkeypatch, synthetic_root, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(a_file / "cache"))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("GANZOO_THREADS", raising=False)
    before = torch.get_num_threads()
    with pytest.warns(ThreadsWarning, match="cannot register this run in .*PyTorch's default"):
        budget = ThreadBudget(None, cores=4)
        assert budget.open() == before
    assert budget.recheck(force=True) == before and torch.get_num_threads() == before
    budget.close()

    from ganzoo.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["run", "gan", "--data-root", str(synthetic_root), "--out", str(tmp_path / "run"), "--epochs", "1",
              "--batch-size", "32", "--limit-batches", "4", "--device", "cpu", "-q"])
    out, err = capsys.readouterr()
    assert caught.value.code == 0, err
    warning_lines = [line for line in err.splitlines() if line.strip()]
    assert len(warning_lines) == 1 and warning_lines[0].startswith("warning: cannot register this run in"), err
    assert "done gan on mnist" in out
    assert a_file.read_text() == "not a folder"


def test_threads_are_recorded_in_config_json_and_may_change_on_resume(folder, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    ganzoo.train("gan", "mnist", data_root=str(synthetic_root), out=run_dir, threads=1, **QUICK)
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["threads"], config["threads_at_start"]) == (1, 1)
    # Resuming keeps the run's fixed count unless told otherwise, and accepts another one.
    ganzoo.train("gan", "mnist", out=run_dir, resume=True, epochs=2, threads=2)
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["threads"], config["threads_at_start"]) == (2, 2)

    auto_dir = tmp_path / "auto"
    ganzoo.train("gan", "mnist", data_root=str(synthetic_root), out=auto_dir, **QUICK)
    config = json.loads((auto_dir / "config.json").read_text())
    assert config["threads"] is None and isinstance(config["threads_at_start"], int) and config["threads_at_start"] >= 1
    assert list(folder.iterdir()) == []  # both runs unregistered


@pytest.mark.parametrize("value, message", [(0, "threads must be an integer >= 1"), ("2", "threads must be an integer"),
                                            (True, "threads must be an integer"), (1.5, "threads must be an integer")])
def test_bad_threads_from_python_are_a_config_error(folder, value, message):
    with pytest.raises(ConfigError, match=message):
        ganzoo.train("gan", "mnist", threads=value, **QUICK)


def test_threads_zero_on_the_command_line_is_one_line(capsys, tmp_path):
    from ganzoo.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["run", "gan", "--threads", "0", "--out", str(tmp_path / "run")])
    _, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert caught.value.code == 2
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "--threads" in lines[0] and "x>=1" in lines[0], err
    assert not (tmp_path / "run").exists()


def test_training_follows_the_other_runs(folder, sleeper, synthetic_root, tmp_path, monkeypatch):
    """A run started alone takes both cores; when another starts it gives one back."""
    import ganzoo.training.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "PROGRESS_SECONDS", 0.0)  # look at every iteration
    monkeypatch.setattr(trainer_module, "ThreadBudget", functools.partial(ThreadBudget, cores=2, recheck_seconds=0.0))
    before = torch.get_num_threads()
    seen = []

    def on_progress(event):
        if "step" in event and "epoch_done" not in event:
            seen.append((event["step"], torch.get_num_threads()))
            if event["step"] == 3:
                fake_run(folder, sleeper)  # a second run starts

    ganzoo.train("gan", "mnist", data_root=str(synthetic_root), out=tmp_path / "run", on_progress=on_progress,
                 **{**QUICK, "limit_batches": 6})
    assert seen[0] == (1, 2) and (3, 2) in seen and seen[-1] == (6, 1), seen
    assert torch.get_num_threads() == before  # given back after training


def test_a_trainer_that_never_fits_gives_its_registration_back_on_close(folder, synthetic_root, tmp_path):
    """Benchmarks and tests build a Trainer only to call train_iteration: closing it (or
    leaving its ``with`` block) removes this process's live-run file at once, instead of
    whenever the garbage collector gets to the trainer (a leak that made later tests flaky)."""
    from ganzoo.config import resolve_config
    from ganzoo.training import Trainer

    config = resolve_config(ganzoo.get_zoo(), "gan", "mnist", data_root=str(synthetic_root), device="cpu")
    own_file = folder / f"{threads_module._host()}-{os.getpid()}.json"
    with Trainer(config, tmp_path / "run") as trainer:
        assert own_file.exists() and threads_module._Registration.users == 1
    assert not own_file.exists() and threads_module._Registration.users == 0
    with ThreadBudget(None, cores=2):  # another run of this process registers...
        trainer.close()  # ...and closing the trainer again does not release that one's
        assert own_file.exists() and threads_module._Registration.users == 1
