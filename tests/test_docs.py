"""The docs that are generated from code must agree with it."""

import os
import re
from pathlib import Path

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
