"""Plugin discovery: built-ins through entry points, run-time registration, broken plugins."""

import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

import ganzoo
from ganzoo import plugins
from ganzoo.cli import cli
from ganzoo.losses import NonSaturatingLoss


class HingeLikeLoss(NonSaturatingLoss):
    name = "test-loss"


class LossPlugin:
    @ganzoo.hookimpl
    def register_losses(self, register):
        register("test-loss", HingeLikeLoss, description="registered by a test")


def test_builtin_models_come_through_entry_points():
    infos = {info.name: info for info in plugins.plugin_infos()}
    for name, model in (("gan", "gan"), ("cgan", "cgan")):
        assert infos[name].source == "entry point"
        assert infos[name].distribution == "ganzoo"
        assert infos[name].registered["models"] == [model]
    zoo = ganzoo.get_zoo()
    assert zoo.models.entry("gan").plugin == "gan"
    assert set(zoo.losses.names()) >= {"minimax", "non-saturating"}


def test_fixture_registers_a_plugin_for_one_test_only(ganzoo_plugin):
    ganzoo_plugin(LossPlugin(), name="test-loss-plugin")
    zoo = ganzoo.get_zoo()
    assert zoo.losses.get("test-loss") is HingeLikeLoss
    assert zoo.losses.entry("test-loss").plugin == "test-loss-plugin"


def test_nothing_leaked_from_the_previous_test():
    assert "test-loss" not in ganzoo.get_zoo().losses


def test_duplicate_registration_is_reported_naming_both_plugins(ganzoo_plugin):
    class Clash:
        @ganzoo.hookimpl
        def register_losses(self, register):
            register("minimax", HingeLikeLoss)

    ganzoo_plugin(Clash(), name="clashing-plugin")
    zoo = ganzoo.get_zoo()
    assert any("core.losses" in str(f) and "clashing-plugin" in str(f) for f in zoo.failures)
    with pytest.raises(ganzoo.errors.DuplicateNameError):
        zoo.losses.get("minimax")
    assert zoo.losses.get("non-saturating") is NonSaturatingLoss  # the rest still works


def test_plugin_raising_in_a_hook_is_reported_and_others_still_load(ganzoo_plugin):
    class Exploding:
        @ganzoo.hookimpl
        def register_models(self, register):
            raise RuntimeError("boom in register_models")

    ganzoo_plugin(Exploding(), name="exploding")
    zoo = ganzoo.get_zoo()
    (failure,) = [f for f in zoo.failures if f.plugin == "exploding"]
    assert failure.stage == "register_models" and "boom" in str(failure)
    assert {"gan", "cgan"} <= set(zoo.models.names())


@pytest.fixture
def installed_distribution(tmp_path, monkeypatch):
    """Install a distribution for real (a ``*.dist-info`` with entry points on sys.path,
    what pip writes), then reload the plugins; undone after the test."""

    def install(dist_name: str, module_name: str, source: str, entry_name: str) -> None:
        site = tmp_path / "site-packages"
        site.mkdir(exist_ok=True)
        (site / f"{module_name}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist_name.replace('-', '_')}-1.2.3.dist-info"  # as pip names it
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.2.3\n")
        (info / "entry_points.txt").write_text(f"[ganzoo]\n{entry_name} = {module_name}\n")
        monkeypatch.syspath_prepend(str(site))
        plugins.reload_plugins()

    yield install
    for name in [n for n in sys.modules if n.startswith("third_party_")]:
        del sys.modules[name]
    monkeypatch.undo()
    plugins.reload_plugins()


def test_third_party_entry_point_is_discovered(installed_distribution):
    installed_distribution(
        "ganzoo-extra-loss",
        "third_party_loss",
        """
        import ganzoo
        from ganzoo.losses import MinimaxLoss

        class Extra(MinimaxLoss):
            name = "extra"

        @ganzoo.hookimpl
        def register_losses(register):
            register("extra", Extra, description="from a third-party package")
        """,
        "extra-loss",
    )
    zoo = ganzoo.get_zoo()
    assert zoo.losses.entry("extra").plugin == "extra-loss"
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)["plugins"]}
    assert listed["extra-loss"]["distribution"] == "ganzoo-extra-loss"
    assert listed["extra-loss"]["version"] == "1.2.3"
    assert listed["extra-loss"]["registered"] == {"losses": ["extra"]}


def test_broken_plugin_is_reported_by_name_and_the_rest_loads(installed_distribution):
    installed_distribution("ganzoo-broken", "third_party_broken", "raise ImportError('missing dependency xyz')\n", "broken")
    zoo = ganzoo.get_zoo()
    (failure,) = [f for f in zoo.failures if f.plugin == "broken"]
    assert failure.stage == "import" and "missing dependency xyz" in str(failure), zoo.failures
    assert {"gan", "cgan"} <= set(zoo.models.names())
    result = CliRunner().invoke(cli, ["list", "models"])
    assert result.exit_code == 0
    assert "broken" in result.output and "missing dependency xyz" in result.output  # warned
    assert "gan" in result.output


def test_load_plugins_env_var_narrows_entry_points(monkeypatch):
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "gan,dcgna")
    try:
        plugins.reload_plugins()
        zoo = ganzoo.get_zoo()
        assert zoo.models.names() == ["gan"]
        assert "minimax" in zoo.losses  # built-ins are always there
        # a name that matches no installed plugin is reported, not silently ignored
        (failure,) = [f for f in zoo.failures if f.plugin == "dcgna"]
        assert failure.stage == "GANZOO_LOAD_PLUGINS"
        assert "no installed ganzoo plugin has this name" in str(failure) and "dcgan" in str(failure)
    finally:
        monkeypatch.delenv("GANZOO_LOAD_PLUGINS")
        plugins.reload_plugins()
    assert "cgan" in ganzoo.get_zoo().models


def test_loading_the_zoo_does_not_import_torch():
    # Registrations are cheap and lazy: `ganzoo list`, `plugins` and `--help` stay fast.
    import subprocess

    code = "import sys, ganzoo; zoo = ganzoo.get_zoo(); zoo.models.names(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
