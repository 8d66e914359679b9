"""What ``ganzoo run`` and ``ganzoo sample`` print: the summary, plurals, the progress bar
and its estimate, label errors, and what a failed download leaves on disk."""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

import pytest
from rich.console import Console

import ganzoo
from ganzoo.cli import _TrainingDisplay, main, plural, run_summary

QUICK = ["--epochs", "1", "--batch-size", "32", "--limit-batches", "4", "--device", "cpu"]


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    return caught.value.code, out, err


def test_plural():
    assert [plural(n, "epoch") for n in (0, 1, 2)] == ["0 epochs", "1 epoch", "2 epochs"]
    assert plural(1, "process", "processes") == "1 process" and plural(3, "process", "processes") == "3 processes"


def test_summary_of_a_run_of_a_resumed_run_and_of_nothing(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    code, out, err = run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)
    assert code == 0, err
    assert "done gan on mnist: 1 epoch, 4 iterations in " in out
    assert "training on cpu (" in err and "4 iterations per epoch, 1 epoch ->" in err  # with the thread count

    # After --resume: what this command trained and its time, then the run's totals, each said.
    code, out, err = run_cli(capsys, "run", "gan", "--out", str(run_dir), "--resume", "--epochs", "2", "-q")
    assert code == 0, err
    done = [line for line in out.splitlines() if line.startswith("done")]
    assert len(done) == 1, out
    assert "done gan on mnist: 4 iterations in " in done[0]
    assert "resumed at iteration 4; the run has 2 epochs, 8 iterations in all" in done[0]

    # Nothing to train: said once, and no "done ... in 0.0s".
    code, out, err = run_cli(capsys, "run", "gan", "--out", str(run_dir), "--resume", "--epochs", "1", "-q")
    assert code == 0, err
    assert "nothing to train: " in err and "has 2 epochs done and --epochs is 1" in err
    assert "done" not in out and "run directory:" in out


def test_run_summary_formats():
    config = SimpleNamespace(model="cgan", dataset="mnist")
    fresh = SimpleNamespace(config=config, epochs_done=1, steps=937, start_step=0, seconds=12.25, last_metrics={"loss_d": 1.0})
    assert run_summary(fresh) == "[bold green]done[/] cgan on mnist: 1 epoch, 937 iterations in 12.2s  loss_d 1.000"
    resumed = SimpleNamespace(config=config, epochs_done=20, steps=18740, start_step=9370, seconds=1085.5, last_metrics={})
    assert run_summary(resumed) == ("[bold green]done[/] cgan on mnist: 9370 iterations in 1085.5s, resumed at iteration "
                                    "9370; the run has 20 epochs, 18740 iterations in all  ")
    nothing = SimpleNamespace(config=config, epochs_done=20, steps=18740, start_step=18740, seconds=0.0, last_metrics={})
    assert run_summary(nothing) is None


def test_sample_says_one_sample(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    assert run_cli(capsys, "run", "cgan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK, "-q")[0] == 0
    code, out, _ = run_cli(capsys, "sample", str(run_dir), "--n", "1", "--out", "one.png")
    assert code == 0 and "wrote 1 sample to" in out
    code, out, _ = run_cli(capsys, "sample", str(run_dir), "--n", "2", "--out", "two.png")
    assert code == 0 and "wrote 2 samples to" in out

    # MNIST's class names are its digits: the allowed labels are not listed twice.
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--label", "seven")
    assert code == 2
    assert "--label 'seven' is not a class of 'mnist'; allowed: 0..9" in err
    assert "or one of" not in err


def test_label_error_lists_class_names_that_are_not_the_indices():
    from ganzoo.errors import ConfigError
    from ganzoo.sampling import LoadedGenerator

    config = SimpleNamespace(model="cgan", dataset="fashion-mnist")
    loaded = LoadedGenerator(generator=None, config=config, device=None, num_classes=3, conditional=True,
                             class_names=["Shirt", "Bag", "Sneaker"])
    assert loaded.label_index("Bag") == 1 and loaded.label_index("2") == 2
    with pytest.raises(ConfigError, match=r"allowed: 0\.\.2 or one of Shirt, Bag, Sneaker$"):
        loaded.label_index("Hat")


def test_a_failed_download_leaves_no_empty_folder(capsys, tmp_path, monkeypatch):
    from urllib.error import URLError

    import torchvision.datasets.mnist as mnist_module

    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_module, "download_and_extract_archive", offline)
    fresh = tmp_path / "cache" / "datasets"  # neither it nor its parent exists
    code, _, err = run_cli(capsys, "run", "gan", "--data-root", str(fresh), "--out", str(tmp_path / "run"))
    assert code == 1 and "could not be downloaded" in err
    assert not fresh.exists() and not fresh.parent.exists()

    # Folders that were there before, or that hold something, stay.
    kept = tmp_path / "kept"
    (kept / "MNIST" / "raw").mkdir(parents=True)
    (kept / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "run", "gan", "--data-root", str(kept), "--out", str(tmp_path / "run"))
    assert code == 1
    assert (kept / "MNIST" / "raw").is_dir() and (kept / "notes.txt").read_text() == "mine"
    other = tmp_path / "other"
    other.mkdir()
    code, _, err = run_cli(capsys, "run", "gan", "--dataset", "fashion-mnist", "--data-root", str(other),
                           "--out", str(tmp_path / "run"))
    assert code == 1
    assert other.is_dir() and list(other.iterdir()) == []  # FashionMNIST/raw made by the attempt, removed


def terminal_display() -> tuple[_TrainingDisplay, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=160, color_system=None)
    return _TrainingDisplay(False, console=console), buffer


def start_event(epochs=1, per_epoch=60):
    from ganzoo.step import MetricSpec

    return {"total_epochs": epochs, "per_epoch": per_epoch, "epoch": 1, "run_dir": "runs/gan-mnist", "device": "cpu",
            "world_size": 1, "examples": 60000, "resumed_at_step": None, "threads": "1 thread, from --threads",
            "metric_specs": [MetricSpec("loss_d", "loss_d", "", "neither"), MetricSpec("loss_g", "loss_g", "", "neither")]}


def test_the_bar_estimates_the_time_left_from_the_first_iterations():
    display, buffer = terminal_display()
    with display:
        display.update(start_event())
        task = display.progress.tasks[0]
        display.update({"epoch": 1, "step": 1})  # no metrics: the trainer has not copied any yet
        time.sleep(0.02)
        display.update({"epoch": 1, "step": 2})
        assert task.completed == 2
        assert task.time_remaining is not None and task.time_remaining > 0  # long before log_every (50)
        display.update({"epoch": 1, "step": 50, "loss_d": 1.25, "loss_g": 0.5})
        display.update({"epoch": 1, "step": 55})  # the metrics column keeps the last values
        assert task.fields["metrics"] == "loss_d 1.250  loss_g 0.500" and task.completed == 55
    assert "training on cpu (1 thread, from --threads): 60000 images, 60 iterations per epoch, 1 epoch" in buffer.getvalue()


def test_the_finished_bar_is_not_printed_again_under_the_last_line():
    display, buffer = terminal_display()
    with display:
        display.update(start_event(epochs=2))
        display.update({"epoch": 1, "step": 60, "loss_d": 1.0, "loss_g": 0.5})
        display.update({"epoch_done": 1, "step": 60, "loss_d": 1.0, "loss_g": 0.5})
        display.update({"epoch": 2, "step": 120, "loss_d": 1.5, "loss_g": 0.25})
        display.update({"epoch_done": 2, "step": 120, "loss_d": 1.5, "loss_g": 0.25})
    text = buffer.getvalue()
    assert "epoch 1/2  loss_d 1.000  loss_g 0.500" in text
    after_last = text.rsplit("epoch 2/2  loss_d 1.500  loss_g 0.250", 1)[1]
    assert "60/60" not in after_last and "━" not in after_last, repr(after_last)


def test_the_trainer_reports_iterations_before_the_first_log_flush(synthetic_root, tmp_path):
    events = []
    ganzoo.train("gan", "mnist", data_root=str(synthetic_root), out=tmp_path / "run", epochs=1, batch_size=32,
                 limit_batches=4, log_every=50, device="cpu", on_progress=events.append)
    counts = [event for event in events if set(event) == {"epoch", "step"}]
    assert [event["step"] for event in counts][:2] == [1, 2]  # at once, without metrics (no copy from the device)
    assert any("epoch_done" in event for event in events)
