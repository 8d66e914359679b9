"""The command line as a user meets it: one-line errors, exit codes, nothing clobbered."""

import subprocess
import sys

import pytest

from ganzoo.cli import main


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    out, err = capsys.readouterr()
    return caught.value.code, out, err


def assert_one_line_error(err, *fragments):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["run", "gan", "--epochs", "0"], ["--epochs", "0 is not in the range x>=1"]),
        (["run", "gan", "--batch-size", "-3"], ["--batch-size"]),
        (["run", "gan", "--lr", "0"], ["--lr", "x>0"]),
        (["run", "gan", "--lr", "abc"], ["--lr", "'abc' is not a valid float"]),
        (["run", "gan", "--betas", "1.0", "0.9"], ["--betas", "0<=x<1"]),
        (["run", "gan", "--betas", "0.5"], ["--betas", "requires 2 arguments"]),
        (["run", "gna"], ["unknown model 'gna'", "did you mean 'gan'?", "available models: acgan, cgan, dcgan, gan"]),
        (["run", "gan", "--dataset", "mnsit"], ["unknown dataset 'mnsit'", "did you mean 'mnist'?"]),
        (["run", "gan", "--loss", "non-saturing"], ["unknown loss", "did you mean 'non-saturating'?"]),
        (["run", "gan", "--conditioning", "embeding-concat"], ["did you mean 'embedding-concat'?"]),
        (["run", "gan", "--d-steps", "0"], ["--d-steps"]),
        (["run", "gan", "--compile", "fast"], ["--compile", "'fast' is not one of 'none', 'default'"]),
        (["run", "gan", "--preset", "paper"], ["no preset 'paper'", "reference"]),
        (["run", "gan", "--device", "tpu"], ["device must be"]),
        (["run", "gan", "--resume"], ["--resume needs --out"]),
        (["run", "gan", "--resume", "--overwrite", "--out", "x"], ["exclude each other"]),
        (["run", "gan", "--epochs"], ["--epochs", "requires an argument"]),
        (["run", "gan", "--no-such-option"], ["No such option"]),
        (["list", "lossess"], ["'lossess' is not one of"]),
        (["sample", "does-not-exist"], ["does not exist"]),
        (["fly"], ["No such command 'fly'"]),
    ],
)
def test_bad_values_give_one_line_and_exit_code_2(capsys, args, fragments):
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert_one_line_error(err, *fragments)


def test_cuda_requested_without_cuda_is_refused(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for device in ("cuda", "cuda:5"):
        code, _, err = run_cli(capsys, "run", "gan", "--device", device, "--out", str(tmp_path / "r"))
        assert code == 2
        assert_one_line_error(err, f"--device {device}: no CUDA device")
        assert not (tmp_path / "r").exists()


def test_missing_dataset_offline_says_which_files_to_put_where(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", "gan", "--no-download", "--data-root", str(tmp_path / "empty"),
                           "--out", str(tmp_path / "run"))
    assert code == 1
    assert_one_line_error(err, "dataset 'mnist'", "MNIST/raw/train-images-idx3-ubyte", "--data-root",
                          "--no-download is set", "or drop --no-download")
    assert "download=True" not in err  # torchvision's advice, meaningless on the command line
    assert not (tmp_path / "run").exists()  # nothing half-made


def test_failed_download_is_one_line(capsys, tmp_path, monkeypatch):
    from urllib.error import URLError

    import torchvision.datasets.mnist as mnist_module

    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(mnist_module, "download_and_extract_archive", offline)
    code, _, err = run_cli(capsys, "run", "gan", "--dataset", "fashion-mnist", "--data-root", str(tmp_path / "d"),
                           "--out", str(tmp_path / "run"))
    assert code == 1
    assert_one_line_error(err, "could not be downloaded", "FashionMNIST/raw/t10k-labels-idx1-ubyte")


QUICK = ["--epochs", "1", "--batch-size", "32", "--limit-batches", "4", "--device", "cpu", "-q"]


def test_run_then_sample_then_refusals(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    code, out, err = run_cli(capsys, "run", "cgan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)
    assert code == 0, err
    assert "done cgan on mnist: 1 epoch, 4 iterations" in out
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}

    # The run directory is never clobbered by accident...
    code, _, err = run_cli(capsys, "run", "cgan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)
    assert code == 1
    assert_one_line_error(err, "already holds a cgan run on mnist", "--resume", "--overwrite")
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before
    # ...and a resume may not change what is learned.
    code, _, err = run_cli(capsys, "run", "cgan", "--out", str(run_dir), "--resume", "--lr", "0.1")
    assert code == 2
    assert_one_line_error(err, "--lr 0.1 differs from the run being resumed")
    code, _, err = run_cli(capsys, "run", "gan", "--out", str(run_dir), "--resume")
    assert code == 2
    assert_one_line_error(err, "is a cgan run on mnist, not gan on mnist")

    code, out, _ = run_cli(capsys, "sample", str(run_dir), "--n", "20", "--out", "all.png")
    assert code == 0 and (tmp_path / "all.png").exists()
    code, out, _ = run_cli(capsys, "sample", str(run_dir / "checkpoints" / "epoch-0001.pt"), "--label", "7", "--n", "8", "--out", "sevens.png")
    assert code == 0 and (tmp_path / "sevens.png").exists()
    for args, fragments in [
        (["--label", "12"], ["--label '12' is not a class", "0..9"]),
        (["--label", "seven"], ["is not a class"]),
        (["--out", "all.png"], ["already exists", "--overwrite"]),
        (["--out", "grid.gif"], ["must end in .png"]),
        (["--n", "0"], ["--n"]),
    ]:
        code, _, err = run_cli(capsys, "sample", str(run_dir), *args)
        assert code == 2, args
        assert_one_line_error(err, *fragments)

    # Paths the file system refuses: one line too, and nothing written.
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--out", str(a_file / "grid.png"))
    assert code == 1
    assert_one_line_error(err, f"{a_file} is a file, not a folder")
    code, _, err = run_cli(capsys, "run", "cgan", "--data-root", str(synthetic_root), "--out", str(a_file / "run"), *QUICK)
    assert code == 1
    assert_one_line_error(err, f"--out {a_file / 'run'}: {a_file} is a file, not a folder")
    code, _, err = run_cli(capsys, "eval", str(run_dir), "--n", "20", "--out", str(a_file / "eval"))
    assert code == 1
    assert_one_line_error(err, f"--out {a_file / 'eval'}: {a_file} is a file, not a folder")
    assert "samples through" not in err  # refused before any sampling
    assert a_file.read_text() == "not a folder"


def test_label_on_unconditional_model_is_refused(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "gan"
    assert run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)[0] == 0
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--label", "3", "--out", "x.png")
    assert code == 2
    assert_one_line_error(err, "not conditional")


def test_corrupted_checkpoint_is_a_clear_error(capsys, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"PK\x03\x04 this is not a checkpoint")
    code, _, err = run_cli(capsys, "sample", str(broken), "--out", "x.png")
    assert code == 1
    assert_one_line_error(err, "cannot read checkpoint", "broken.pt")
    empty_run = tmp_path / "empty-run"
    empty_run.mkdir()
    code, _, err = run_cli(capsys, "sample", str(empty_run), "--out", "x.png")
    assert code == 1
    assert_one_line_error(err, "holds no checkpoint")


class NotPlainData:
    """A class that torch.load(weights_only=True) must refuse to rebuild."""


def _write_foreign_file(path, kind):
    import pickle

    import torch

    if kind == "text":
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")  # what /etc/passwd gave: IndexError
    elif kind == "json":
        path.write_text('{"model": "gan", "epochs": 3}\n')
    elif kind == "pickle":
        path.write_bytes(pickle.dumps({"a": [1, 2, 3]}, protocol=4))
    elif kind == "object":
        torch.save({"format_version": 1, "config": NotPlainData()}, path)


@pytest.mark.parametrize("command", ["sample", "eval"])
@pytest.mark.parametrize(
    "kind, reason",
    [
        ("text", "not a file written by torch.save"),
        ("json", "not a file written by torch.save"),
        ("pickle", "not a file written by torch.save"),
        ("object", "Python objects other than tensors"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_one_line(capsys, tmp_path, command, kind, reason):
    """torch.load on foreign bytes raises KeyError, IndexError... : still one line, exit 1."""
    path = tmp_path / f"{kind}.pt"
    _write_foreign_file(path, kind)
    before = path.read_bytes()
    out = tmp_path / ("out.png" if command == "sample" else "out")
    code, _, err = run_cli(capsys, command, str(path), "--out", str(out))
    assert code == 1
    assert_one_line_error(err, "cannot read checkpoint", f"{kind}.pt", reason)
    assert path.read_bytes() == before
    assert not out.exists()


def test_list_and_plugins_show_the_zoo(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "gan" in out and "cgan" in out and "reference" in out
    code, out, _ = run_cli(capsys, "list", "losses")
    assert code == 0 and "minimax" in out and "non-saturating" in out
    code, out, _ = run_cli(capsys, "list", "datasets", "*mnist")
    assert code == 0 and "fashion-mnist" in out and "cifar10" not in out
    code, out, _ = run_cli(capsys, "plugins")
    assert code == 0 and "entry point" in out and "cgan" in out


def test_python_dash_m_and_the_console_script_work():
    result = subprocess.run([sys.executable, "-m", "ganzoo", "run", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--d-steps" in result.stdout and "Algorithm 1" in result.stdout
    result = subprocess.run([sys.executable, "-m", "ganzoo", "run", "gan", "--lr", "-1"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("signal_name, exit_code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_saves_a_checkpoint_and_says_how_to_resume(signal_name, exit_code, synthetic_root, tmp_path):
    import json
    import os
    import signal
    import time

    import torch

    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "ganzoo", "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir),
         "--epochs", "1000", "--batch-size", "16", "--log-every", "1", "--device", "cpu", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    metrics = run_dir / "metrics.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 5):
        time.sleep(0.1)
    process.send_signal(getattr(signal, signal_name))
    _, err = process.communicate(timeout=60)
    assert process.returncode == exit_code, err
    assert "Traceback" not in err
    assert f"Interrupted: stopped by {signal_name}" in err and "--resume" in err
    pointer = (run_dir / "checkpoints" / "latest").read_text().strip()
    state = torch.load(run_dir / "checkpoints" / pointer, weights_only=True)
    last_logged = json.loads(metrics.read_text().splitlines()[-1])["step"]
    assert state["step"] == last_logged  # the log and the checkpoint agree
    # ...and the run continues from there.
    resumed = subprocess.run(
        [sys.executable, "-m", "ganzoo", "run", "gan", "--out", str(run_dir), "--resume", "--epochs", str(state["epoch"] + 1), "-q"],
        capture_output=True, text=True, env={**os.environ, "GANZOO_DATA_ROOT": str(synthetic_root)},
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "done gan on mnist" in resumed.stdout


def test_checkpoint_of_a_model_whose_plugin_is_missing_is_a_clear_error(capsys, synthetic_root, tmp_path):
    import torch

    run_dir = tmp_path / "run"
    assert run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)[0] == 0
    path = run_dir / "checkpoints" / "epoch-0001.pt"
    state = torch.load(path, weights_only=True)
    state["config"]["model"] = "stylegan9"
    state["config"]["generator"] = "stylegan9-g"
    torch.save(state, path)
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--out", "x.png")
    assert code == 1
    assert_one_line_error(err, "is a 'stylegan9' run", "unknown generator 'stylegan9-g'", "install the plugin")
    code, _, err = run_cli(capsys, "run", "stylegan9", "--out", str(run_dir), "--resume")
    assert code == 2  # the model name itself is unknown on this install
    assert_one_line_error(err, "unknown model 'stylegan9'")


def test_conditional_model_on_a_dataset_without_labels_is_refused(capsys, ganzoo_plugin, tmp_path):
    from ganzoo.data import DatasetSpec

    class Unlabelled:
        @__import__("ganzoo").hookimpl
        def register_datasets(self, register):
            register("faces", DatasetSpec(name="faces", image_shape=(1, 28, 28), num_classes=0, open=None))

    ganzoo_plugin(Unlabelled())
    code, _, err = run_cli(capsys, "run", "cgan", "--dataset", "faces", "--out", str(tmp_path / "x"))
    assert code == 2
    assert_one_line_error(err, "conditioning 'embedding-concat' needs class labels", "'faces' has none")
    assert not (tmp_path / "x").exists()


def test_sample_takes_the_checkpoints_folder_or_its_latest_pointer(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    assert run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)[0] == 0
    images = []
    for given in (run_dir, run_dir / "checkpoints", run_dir / "checkpoints" / "latest"):
        out = tmp_path / f"{len(images)}.png"
        code, _, err = run_cli(capsys, "sample", str(given), "--n", "4", "--out", str(out))
        assert code == 0, err
        images.append(out.read_bytes())
    assert images[0] == images[1] == images[2]  # the same checkpoint, the same seed


def test_resuming_with_no_epochs_left_says_there_is_nothing_to_train(capsys, synthetic_root, tmp_path):
    run_dir = tmp_path / "run"
    quick = [a for a in QUICK if a != "-q"]
    assert run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *quick)[0] == 0
    before = (run_dir / "checkpoints" / "epoch-0001.pt").read_bytes()
    code, _, err = run_cli(capsys, "run", "gan", "--out", str(run_dir), "--resume", *quick)
    assert code == 0, err
    assert f"nothing to train: {run_dir} has 1 epoch done and --epochs is 1; raise --epochs" in err
    assert (run_dir / "checkpoints" / "epoch-0001.pt").read_bytes() == before


def test_truncated_and_future_checkpoints_are_refused_by_name(capsys, synthetic_root, tmp_path):
    import torch

    run_dir = tmp_path / "run"
    assert run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK)[0] == 0
    path = run_dir / "checkpoints" / "epoch-0001.pt"
    good = path.read_bytes()

    path.write_bytes(good[: len(good) // 2])  # a copy cut short
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--out", "x.png")
    assert code == 1
    assert_one_line_error(err, "cannot read checkpoint", "epoch-0001.pt", "truncated")
    code, _, err = run_cli(capsys, "run", "gan", "--out", str(run_dir), "--resume")
    assert code == 1
    assert_one_line_error(err, "cannot read checkpoint")

    path.write_bytes(good)
    state = torch.load(path, weights_only=True)
    state["format_version"] = 99
    torch.save(state, path)
    code, _, err = run_cli(capsys, "sample", str(run_dir), "--out", "x.png")
    assert code == 1
    assert_one_line_error(err, "written by a newer ganzoo (checkpoint format 99", "upgrade ganzoo")


def test_top_level_help_gives_each_command_a_whole_sentence(capsys, monkeypatch):
    """click cuts a docstring's first sentence at "et al." unless given a short help."""
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping: one line per command
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    run_line = next(line for line in out.splitlines() if line.strip().startswith("run "))
    assert run_line.rstrip().endswith("--resume.") and "et al" not in run_line


def test_run_help_states_the_recipes_default_epochs():
    import ganzoo
    from ganzoo.cli import run
    from ganzoo.config import resolve_config

    (option,) = [p for p in run.params if p.name == "epochs"]
    stated = {}
    text = option.help.split("recipe: ")[1].rstrip("]").split(";")[0]  # then what a loss may change
    assert "17 for gan's non-saturating and hinge" in option.help
    assert {resolve_config(ganzoo.get_zoo(), "gan", "mnist", loss=loss).epochs for loss in ("non-saturating", "hinge")} == {17}
    for part in text.split(", "):  # "17 for gan", "20 for cgan and acgan", "5 for dcgan"
        if " for " in part:
            number, first = part.split(" for ")
            names = first.split(" and ")
        else:
            names = part.split(" and ")
        for name in names:
            stated[name.strip()] = int(number)
    zoo = ganzoo.get_zoo()
    builtin = {"gan", "cgan", "acgan", "dcgan"}
    assert stated == {name: zoo.models.get(name).hyperparameters["epochs"] for name in builtin}


def test_limit_batches_below_d_steps_is_refused_before_anything_is_written(capsys, synthetic_root, tmp_path):
    """It used to 'train' 20 epochs of zero iterations and report success."""
    code, _, err = run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--d-steps", "5",
                           "--limit-batches", "2", "--out", str(tmp_path / "run"))
    assert code == 2
    assert_one_line_error(err, "--limit-batches 2 is fewer than d-steps=5", "at least 5")
    assert not (tmp_path / "run").exists()


def test_resuming_a_run_that_has_no_checkpoint_yet_points_to_overwrite(capsys, synthetic_root, tmp_path):
    """A run stopped in its first epoch has config.json but no checkpoint: --resume cannot
    continue it, and a plain run would refuse the occupied folder, so say --overwrite."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text('{"model": "gan", "dataset": "mnist"}\n')
    code, _, err = run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), "--resume")
    assert code == 1
    assert_one_line_error(err, "cannot resume", "holds no complete checkpoint yet", "--overwrite")
    code, _, err = run_cli(capsys, "run", "gan", "--data-root", str(synthetic_root), "--out", str(run_dir), *QUICK,
                           "--overwrite")
    assert code == 0, err


def test_list_shows_the_training_steps_registries_with_their_options(capsys):
    code, out, _ = run_cli(capsys, "list", "objectives")
    assert code == 0 and "adversarial" in out and "options" in out
    code, out, _ = run_cli(capsys, "list", "regularizers")
    assert code == 0 and "gradient-penalty" in out and "weight=10.0" in out
    code, out, _ = run_cli(capsys, "list", "augmentations")
    assert code == 0 and "augmentations (" in out
    code, out, _ = run_cli(capsys, "list", "optimizers")
    assert code == 0 and "adam" in out and "rmsprop" in out
    code, out, _ = run_cli(capsys, "list", "options")
    assert code == 0
    line = next(line for line in out.splitlines() if "ema_decay" in line)
    assert "float" in line and "0.999" in line and "core.ema" in line


def test_listing_optimizers_and_options_imports_nothing_heavy():
    # Their entries are lazy or plain objects: listing them must not import torch.
    code = ("import sys; from ganzoo.cli import main\n"
            "for kind in ('optimizers', 'options', 'losses'):\n"
            "    try:\n        main(['list', kind])\n    except SystemExit as e:\n        assert e.code == 0\n"
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_list_models_with_one_exact_name_shows_its_recipe_and_presets(capsys):
    code, out, _ = run_cli(capsys, "list", "models", "gan")
    assert code == 0
    settings = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in out.splitlines()
                if line.count("│") >= 4 and line.split("│")[1].strip()}
    assert settings["epochs"] == "12" and settings["batch_size"] == "128" and settings["lr"] == "0.0004"
    assert settings["betas"] == "0.5, 0.999" and settings["d_steps"] == "1" and settings["z_dim"] == "100"
    assert settings["ema"] == "on" and settings["ema_decay"] == "0.999"
    assert "activation='leaky_relu'" in out and "dropout=0.4" in out  # generator_kwargs, discriminator_kwargs
    for change in ("batch_size: 128 -> 96", "lr: 0.0004 -> 0.0003", "betas: 0.5, 0.999 -> 0.9, 0.999",
                   "ema: on -> off", "generator_kwargs.batch_norm: True -> False",
                   "discriminator_kwargs.hidden: [512, 512, 512] -> [256, 256]",
                   "loss: least-squares -> non-saturating"):  # the recipe's loss, not a dash
        assert change in out, change  # what the `reference` preset changes

    # a pattern lists, without the detail view
    code, out, _ = run_cli(capsys, "list", "models", "*gan")
    assert code == 0 and "cgan" in out and "the settings of" not in out and "->" not in out
