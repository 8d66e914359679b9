"""The docs that are generated from code must agree with it."""

import os
import re
from pathlib import Path

import pytest

from ganzoo.hookspecs import reference_markdown

PLUGINS_DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
SECTION = re.compile(r"(<!-- hook-reference:start -->\n)(.*?)(<!-- hook-reference:end -->)", re.S)


def test_hook_reference_in_docs_matches_the_hookspecs():
    text = PLUGINS_DOC.read_text()
    expected = reference_markdown()
    match = SECTION.search(text)
    assert match, "docs/plugins.md lost its hook-reference markers"
    if os.environ.get("GANZOO_UPDATE_DOCS") == "1":
        PLUGINS_DOC.write_text(SECTION.sub(lambda m: m.group(1) + "\n" + expected + "\n" + m.group(3), text))
        return
    assert match.group(2).strip() == expected.strip(), (
        "docs/plugins.md's hook reference is out of date: GANZOO_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"
    )
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
