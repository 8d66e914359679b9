"""The Python API as its documentation presents it: the README's example runs, ``help(ganzoo.train)``
shows every option a user may set with its meaning, the resume rule is the generated one,
docs/python-api.md's option tables are generated, and ``progress=True`` prints the run."""

from __future__ import annotations

import io
import os
import pydoc
import re
from pathlib import Path

import pytest

import ganzoo
from ganzoo import train_options
from ganzoo.config import TUNABLE, resumable_changes
from ganzoo.errors import ConfigError
from ganzoo.progress import ProgressPrinter

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PYTHON_API_DOC = REPO / "docs" / "python-api.md"
UPDATE = "GANZOO_UPDATE_DOCS=1 python -m pytest tests/test_python_api.py"


def readme_python_example() -> str:
    match = re.search(r"From Python[^\n]*\n+```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README.md lost its 'From Python' example"
    return match.group(1)


def test_every_option_a_user_may_set_has_a_meaning():
    missing = sorted(TUNABLE - set(train_options.MEANINGS))
    assert not missing, (f"TrainConfig field(s) {', '.join(missing)} may be set (ganzoo.config.TUNABLE) but have no "
                         "one-line meaning for help(ganzoo.train): add them to MEANINGS in ganzoo/train_options.py")


def test_help_of_train_shows_every_option_with_type_default_and_meaning():
    text = pydoc.render_doc(ganzoo.train, renderer=pydoc.plaintext)
    for name, kind, default, meaning in train_options.core_options():
        assert f"{name} ({kind}, default: {default})" in text
        assert meaning.split()[0] in text
    assert "**options: 'Any'" in text  # the signature still takes them, and the text says which
    for name, _, _ in train_options.builtin_plugin_options():  # ema, ema_decay, tensorboard, profile
        assert f"    {name} (" in text
    assert {"ema", "ema_decay", "tensorboard", "profile"} <= {name for name, _, _ in train_options.builtin_plugin_options()}
    assert "ganzoo list options" in text
    assert train_options.NO_MEANING not in text


def test_help_of_train_says_exactly_what_resume_may_change():
    """In the words and with the list of docs/cli.md (which tests/test_docs.py checks against the
    same function); docs/python-api.md says the same."""
    listed = []
    for text in (ganzoo.train.__doc__, PYTHON_API_DOC.read_text(), (REPO / "docs" / "cli.md").read_text()):
        words = " ".join(text.replace("`", "").split())
        match = re.search(r"only these may differ from the original run \(the core's, then the built-in plugins' options "
                          r"marked resumable; ganzoo.config.resumable_changes\(\) gives the same list, installed "
                          r"plugins' included\): (.*?)\. Anything else would change what is learned and is refused", words)
        assert match, text
        listed.append([name.strip() for name in match.group(1).split(",")])
    assert listed[0] == listed[1] == listed[2] == sorted(resumable_changes(ganzoo.get_zoo()))


def test_python_api_doc_option_tables_are_generated():
    section = re.compile(r"(<!-- train-options:start -->\n)(.*?)(<!-- train-options:end -->)", re.S)
    text = PYTHON_API_DOC.read_text()
    match = section.search(text)
    assert match, "docs/python-api.md lost its train-options markers"
    expected = train_options.markdown()
    if os.environ.get("GANZOO_UPDATE_DOCS") == "1":
        PYTHON_API_DOC.write_text(section.sub(lambda m: m.group(1) + "\n" + expected + "\n\n" + m.group(3), text))
        return
    assert match.group(2).strip() == expected.strip(), f"docs/python-api.md's option tables are out of date: {UPDATE}"


def test_the_readme_python_example_runs(monkeypatch, mnist_root, tmp_path, capsys):
    """The README's example, as written, with one short epoch: its data root is the one the
    README's commands use (``../shared/datasets`` from the checkout, the test data otherwise)."""
    import ganzoo.training

    code = readme_python_example()
    assert 'data_root="../shared/datasets"' in code  # offline, a run needs its data root
    real_train = ganzoo.training.train
    calls, events = [], []

    def short_train(model, dataset, **options):
        calls.append((model, dataset, dict(options)))
        root = REPO / options["data_root"]
        if not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
            root = mnist_root
        options.update(data_root=str(root), epochs=1, limit_batches=3, out=tmp_path / "run", on_progress=events.append)
        return real_train(model, dataset, **options)

    monkeypatch.setattr(ganzoo.training, "train", short_train)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)

    assert [(model, dataset) for model, dataset, _ in calls] == [("gan", "mnist")]
    assert calls[0][2]["progress"] is True
    result = namespace["result"]
    assert result.epochs_done == 1 and (result.run_dir / "samples" / "epoch-0001.png").exists()
    # progress=True printed the CLI's lines, and the caller's on_progress still got every event
    err = capsys.readouterr().err
    assert re.search(r"^training on \w+.*: \d+ images, 3 iterations per epoch, 1 epoch -> ", err, re.M), err
    assert re.search(r"^epoch 1/1  loss_d \d+\.\d{3}  loss_g \d+\.\d{3}.*\(\d+\.\ds\)$", err, re.M), err
    assert events[0]["total_epochs"] == 1 and events[-1]["epoch_done"] == 1


def test_progress_printer_prints_the_start_and_one_line_per_epoch():
    from ganzoo.step import MetricSpec

    out = io.StringIO()
    printer = ProgressPrinter(out)
    printer({"total_epochs": 2, "per_epoch": 10, "epoch": 1, "run_dir": "runs/x", "device": "cpu", "world_size": 1,
             "examples": 640, "resumed_at_step": None,
             "metric_specs": [MetricSpec("loss_d", "loss_d", "D's loss"), MetricSpec("d_real", "D(x)", "D on real")]})
    printer({"epoch": 1, "step": 3})  # no metrics: nothing to print
    printer({"epoch": 1, "step": 5, "loss_d": 1.0, "d_real": 0.5})
    printer({"epoch_done": 1, "step": 10, "loss_d": 1.25, "d_real": 0.5})
    lines = out.getvalue().splitlines()
    assert lines[0] == "training on cpu: 640 images, 10 iterations per epoch, 2 epochs -> runs/x"
    assert re.fullmatch(r"epoch 1/2  loss_d 1\.250  D\(x\) 0\.500  \(\d+\.\ds\)", lines[1])
    assert len(lines) == 2


def test_progress_printer_says_when_there_is_nothing_to_train():
    out = io.StringIO()
    ProgressPrinter(out)({"total_epochs": 2, "per_epoch": 10, "epoch": 3, "run_dir": "runs/x", "device": "cpu",
                          "examples": 640})
    assert out.getvalue() == "nothing to train: runs/x has 2 epochs done and epochs is 2; raise epochs to train further\n"


@pytest.mark.parametrize("progress", [False, True])
def test_train_refuses_bad_options_before_printing_anything(progress, capsys):
    with pytest.raises(ConfigError, match="unknown option"):
        ganzoo.train("gan", "mnist", progress=progress, no_such_option=1)
    assert capsys.readouterr().err == ""
