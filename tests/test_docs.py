"""The docs that are generated from code must agree with it, and the code in the docs must run."""

import json
import math
import os
import re
import sys
import types
from pathlib import Path

import pytest

from ganzoo.hookspecs import reference_markdown

PLUGINS_DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
UPDATE = "GANZOO_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"


def check_generated_section(marker: str, expected: str) -> str:
    """Compare the text between ``<!-- MARKER:start -->`` and ``<!-- MARKER:end -->`` in
    docs/plugins.md with ``expected``; with ``GANZOO_UPDATE_DOCS=1``, rewrite it instead.
    Returns the whole document."""
    section = re.compile(rf"(<!-- {marker}:start -->\n)(.*?)(<!-- {marker}:end -->)", re.S)
    text = PLUGINS_DOC.read_text()
    match = section.search(text)
    assert match, f"docs/plugins.md lost its {marker} markers"
    if os.environ.get("GANZOO_UPDATE_DOCS") == "1":
        text = section.sub(lambda m: m.group(1) + "\n" + expected.strip() + "\n\n" + m.group(3), text)
        PLUGINS_DOC.write_text(text)
        return text
    assert match.group(2).strip() == expected.strip(), f"docs/plugins.md's {marker} section is out of date: {UPDATE}"
    return text


def test_hook_reference_in_docs_matches_the_hookspecs():
    text = check_generated_section("hook-reference", reference_markdown())
    for name in re.findall(r"^def (\w+)\(", (Path(__file__).resolve().parents[1] / "ganzoo" / "hookspecs.py").read_text(), re.M):
        if name != "reference_markdown":
            assert f"`{name}(" in text, f"hook {name} is not documented"


def test_the_minimal_plugin_in_the_docs_is_short_and_works(ganzoo_plugin):
    """The first Python block of docs/plugins.md, run as a module: it registers its loss,
    and the loss has its documented closed form."""
    import math
    import types

    import torch

    import ganzoo

    code = re.search(r"## A minimal plugin.*?```python\n(.*?)```", PLUGINS_DOC.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 30
    module = types.ModuleType("my_ganzoo_plugin")
    exec(compile(code, "docs/plugins.md", "exec"), module.__dict__)
    ganzoo_plugin(module, name="docs-minimal-plugin")
    loss = ganzoo.get_zoo().losses.get("label-smoothing")()
    zero = torch.zeros(4)
    # At logits 0: BCE(0, 0.9) = log 2 for the real half, softplus(0) = log 2 for the fake half.
    assert loss.discriminator_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    assert loss.generator_loss(zero).item() == pytest.approx(math.log(2))


def test_python_api_doc_lists_every_option_of_train():
    from ganzoo.config import TUNABLE

    text = (PLUGINS_DOC.parent / "python-api.md").read_text()
    listed = re.search(r"accepts every field of `ganzoo.TrainConfig` that a user may set:\n`(.*?)`", text, re.S).group(1)
    assert {name.strip() for name in listed.replace("\n", " ").split(",")} == TUNABLE


def test_cli_doc_lists_exactly_what_resume_may_change():
    import ganzoo
    from ganzoo.config import resumable_changes

    text = (PLUGINS_DOC.parent / "cli.md").read_text()
    listed = re.search(r"plugins' included\): `(.*?)`", text, re.S).group(1)
    assert [name.strip() for name in listed.replace("\n", " ").split(",")] == sorted(resumable_changes(ganzoo.get_zoo()))


# --- the interface reference ------------------------------------------------------------


def test_interface_reference_in_docs_matches_the_code():
    """Every interface's attributes and methods and every data type's fields, as the code
    describes them (docstrings and their Attributes sections)."""
    from ganzoo.docs_reference import field_classes, interfaces, interfaces_markdown

    text = check_generated_section("interfaces", interfaces_markdown())
    for name, cls, _ in interfaces():
        assert f"### `{name}`" in text
    for name, cls in field_classes():
        assert f"### `{name}`" in text


def test_the_reference_refuses_undocumented_and_stale_attributes():
    from dataclasses import dataclass
    from typing import ClassVar

    from ganzoo.docs_reference import DocsReferenceError, field_markdown, interface_markdown

    @dataclass
    class Undocumented:
        """A type.

        Attributes:
            a: described.
        """

        a: int
        b: str = "x"

    with pytest.raises(DocsReferenceError, match="describe b"):
        field_markdown("Undocumented", Undocumented)

    class Stale:
        """An interface.

        Attributes:
            kind: its kind.
            gone: no longer there.
        """

        kind: ClassVar[str] = "k"

        def method(self, x: int | None = None) -> None:
            """Does it.

            Details that the reference leaves out."""

    with pytest.raises(DocsReferenceError, match="gone, which it does not have"):
        interface_markdown("Stale", Stale)
    Stale.__doc__ = "An interface.\n\n    Attributes:\n        kind: its kind; see\n            :meth:`method`.\n"
    rendered = interface_markdown("Stale", Stale)
    assert "- `kind` (`str`, default `'k'`): its kind; see `method()`." in rendered
    assert "- `method(x: int | None = None) -> None`: Does it." in rendered
    assert "Details" not in rendered


# --- the worked examples ------------------------------------------------------------------

EXAMPLE = re.compile(r"<!-- example: ([\w-]+) -->\n```(\w+)\n(.*?)```", re.S)
EXAMPLE_MODULES = {
    "plugin": "my_gan_tricks",
    "relativistic": "my_gan_tricks.relativistic",
    "r1": "my_gan_tricks.r1",
    "translation": "my_gan_tricks.translation",
}


def doc_examples() -> dict[str, str]:
    return {name: code for name, _, code in EXAMPLE.findall(PLUGINS_DOC.read_text())}


@pytest.fixture
def my_gan_tricks(monkeypatch):
    """The package of docs/plugins.md's worked examples, built from its code blocks as if
    installed: each block is a module in ``sys.modules``, so its lazy registrations load."""
    examples = doc_examples()
    assert set(EXAMPLE_MODULES) | {"pyproject"} <= set(examples), "docs/plugins.md lost an example marker"
    assert 'my-gan-tricks = "my_gan_tricks"' in examples["pyproject"]
    package = types.ModuleType("my_gan_tricks")
    package.__path__ = []  # a package: its submodules are found in sys.modules
    monkeypatch.setitem(sys.modules, "my_gan_tricks", package)
    modules = {}
    for name, module_name in sorted(EXAMPLE_MODULES.items(), key=lambda item: item[1].count(".")):
        module = package if module_name == "my_gan_tricks" else types.ModuleType(module_name)
        monkeypatch.setitem(sys.modules, module_name, module)
        exec(compile(examples[name], f"docs/plugins.md ({name})", "exec"), module.__dict__)
        modules[name] = module
    return modules


def test_the_worked_examples_train_together(my_gan_tricks, ganzoo_plugin, synthetic_root, tmp_path):
    """The objective, the regularizer and the augmentation of docs/plugins.md, registered by
    their plugin module, train one epoch together; every declared metric is logged, finite."""
    import ganzoo

    ganzoo_plugin(my_gan_tricks["plugin"], name="docs-my-gan-tricks")
    zoo = ganzoo.get_zoo()
    assert zoo.objectives.get("tricks-rasgan") is my_gan_tricks["relativistic"].RelativisticAverage
    result = ganzoo.train("gan", "mnist", objective="tricks-rasgan", regularizers=["tricks-r1:gamma=5"],
                          augment=["tricks-translation:ratio=0.25"], epochs=1, limit_batches=4, device="cpu",
                          data_root=str(synthetic_root), out=tmp_path / "run")
    assert result.epochs_done == 1
    declared = [spec["name"] for spec in json.loads((result.run_dir / "metric_specs.json").read_text())]
    assert declared == ["loss_d", "loss_g", "ra_real", "ra_fake", "tricks-r1"]
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 4
    for record in records:
        assert set(declared) <= set(record)
        assert all(math.isfinite(record[name]) for name in declared)
    assert all(record["tricks-r1"] > 0 for record in records)


def test_the_relativistic_objective_has_its_closed_form(my_gan_tricks):
    """With D's logits all 0 every relativistic logit is 0: each loss is 2 log 2, and D's
    'more realistic than average' probabilities are 1/2. G's loss reaches G, not D."""
    import torch

    from ganzoo.testing import linear_discriminator, make_step

    objective = my_gan_tricks["relativistic"].RelativisticAverage()
    assert [spec.name for spec in objective.metric_specs()] == ["ra_real", "ra_fake"]
    real = torch.rand(6, 1, 4, 4) * 2 - 1
    discriminator = linear_discriminator((1, 4, 4), weight=torch.zeros(16))
    for network, metric in (("discriminator", "ra_real"), ("generator", "ra_fake")):
        step = make_step(network, real, discriminator=discriminator)
        out = (objective.discriminator_step if network == "discriminator" else objective.generator_step)(step)
        assert out.loss.item() == pytest.approx(2 * math.log(2))
        assert set(out.metrics) == {metric} and out.metrics[metric].item() == pytest.approx(0.5)
        assert not out.metrics[metric].requires_grad
    out.loss.backward()
    assert any(p.grad is not None for p in step.generator.parameters())


def test_r1_is_half_gamma_times_the_squared_weights_for_a_linear_d(my_gan_tricks):
    import torch

    from ganzoo.testing import linear_discriminator, make_step

    weights = torch.tensor([1.0, -2.0, 0.5, 3.0])
    step = make_step("discriminator", torch.randn(8, 1, 2, 2),
                     discriminator=linear_discriminator((1, 2, 2), weight=weights, bias=0.3))
    term = my_gan_tricks["r1"].R1(gamma=4.0)(step)
    assert term.item() == pytest.approx(4.0 / 2 * float(weights @ weights))
    term.backward()  # create_graph: D's loss backpropagates through the penalty
    assert step.discriminator.head.linear.weight.grad is not None
    with pytest.raises(ValueError, match="gamma"):
        my_gan_tricks["r1"].R1(gamma=-1.0)


def test_the_closed_form_test_of_r1_in_the_docs_passes(my_gan_tricks):
    namespace = {"__name__": "test_docs_r1"}
    exec(compile(doc_examples()["r1-test"], "docs/plugins.md (r1-test)", "exec"), namespace)
    namespace["test_r1_closed_form"]()


def test_translation_shifts_each_image_by_whole_pixels_with_zero_padding(my_gan_tricks):
    """Every output image is its input shifted by some (dy, dx) within the ratio, zeros
    shifted in; the shifts vary across the batch, come from the generator given, and the
    transform passes gradients."""
    import torch
    import torch.nn.functional as F

    translation = my_gan_tricks["translation"].Translation(ratio=0.25)
    images = (torch.rand(64, 2, 8, 8) + 0.5).requires_grad_(True)  # no zeros of its own
    out = translation(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    shifts = set()
    for image, shifted in zip(images.detach(), out.detach()):
        padded = F.pad(image, (2, 2, 2, 2))
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if torch.equal(shifted, padded[:, 2 - dy : 10 - dy, 2 - dx : 10 - dx])]
        assert len(found) == 1, "not a translation by whole pixels within ratio * size"
        shifts.add(found[0])
    assert len(shifts) > 10
    again = translation(images, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    out.sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert torch.equal(translation.__class__(ratio=0.0)(images, torch.Generator()), images)
