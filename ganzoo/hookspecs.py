"""Every hook a ganzoo plugin can implement. The docstrings are the hook reference.

A plugin is any module or object with functions marked ``@ganzoo.hookimpl`` whose names
match the specs below. A package makes its plugin visible to ganzoo by declaring it in
the ``ganzoo`` entry-point group of its ``pyproject.toml``::

    [project.entry-points.ganzoo]
    my-plugin = "my_package.plugin"

The built-in models (``gan``, ``cgan``, ...) are found exactly that way.

*Registration hooks* receive a ``register`` callback and call it once per object they
add: ``register(name, obj, description="")``. ``obj`` may be the object itself or a
lazy ``"package.module:attribute"`` string, imported only when the entry is first used.
Names are lowercase (``[a-z0-9][a-z0-9._-]*``) and unique within a registry: a second
plugin registering the same name makes that name unusable, with an error naming both.

*Lifecycle hooks* are called by the training engine. They run on the process that
writes the run (rank 0 under torchrun), must not block for long, and their return values
are ignored (but for ``make_run_plugins``). A hookimpl may accept a subset of the arguments listed, so new
arguments can be added to a spec without breaking existing plugins.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("ganzoo")
hookimpl = pluggy.HookimplMarker("ganzoo")

Register = Callable[..., None]


# --- registration hooks --------------------------------------------------------------


@hookspec
def register_generators(register: Register) -> None:
    """Add generator architectures.

    ``obj`` is a callable ``build(spec: ganzoo.ArchitectureSpec, **kwargs) -> nn.Module``
    returning the *body* of a generator: a module mapping a ``(N, spec.in_features)``
    tensor (noise, with whatever the conditioning strategy appended) to images of shape
    ``(N, *spec.image_shape)`` in ``[-1, 1]``.
    """


@hookspec
def register_discriminators(register: Register) -> None:
    """Add discriminator architectures.

    ``obj`` is a callable ``build(spec: ganzoo.ArchitectureSpec, **kwargs) -> nn.Module``
    returning the *body* of a discriminator: a module mapping the conditioning strategy's
    output (of shape ``(N, *spec.in_shape)``) to ``(N, F)`` features, with an int attribute
    ``out_features = F``. ``build.input_kind`` says whether the body takes flat vectors
    (``"flat"``, the default) or images (``"image"``). The strategy's head turns the
    features into one logit per sample.
    """


@hookspec
def register_losses(register: Register) -> None:
    """Add adversarial losses: ``obj`` is a :class:`ganzoo.losses.GANLoss` subclass."""


@hookspec
def register_conditioning(register: Register) -> None:
    """Add conditioning strategies: ``obj`` is a :class:`ganzoo.conditioning.Conditioning`
    subclass, which decides how labels reach the generator and the discriminator."""


@hookspec
def register_datasets(register: Register) -> None:
    """Add datasets: ``obj`` is a :class:`ganzoo.data.DatasetSpec`."""


@hookspec
def register_models(register: Register) -> None:
    """Add model recipes: ``obj`` is a :class:`ganzoo.recipes.ModelRecipe`, the named bundle
    of generator, discriminator, loss, conditioning and default hyperparameters that
    ``ganzoo run NAME`` trains."""


@hookspec
def register_feature_extractors(register: Register) -> None:
    """Add feature extractors for ``ganzoo eval``: ``obj`` is a
    :class:`ganzoo.evaluation.extractors.FeatureExtractorSpec`, whose ``build`` returns a
    module mapping generated or real images in ``[-1, 1]`` (``(N, C, H, W)``, on the
    evaluation device) to ``(features (N, D), logits (N, K) or None)``. Features feed FID
    and KID, logits the Inception Score.

    An extractor registered under a dataset's name (``mnist``) whose logits are that
    dataset's classes is the dataset's default extractor and its classifier for the class
    metrics (conditional accuracy, class coverage); ``inception`` is the default for the
    others."""


@hookspec
def register_objectives(register: Register) -> None:
    """Add objectives, what one D update and one G update compute: ``obj`` is a
    :class:`ganzoo.Objective` subclass (a dataclass whose fields are its options), chosen
    with ``--objective NAME[:KEY=VALUE,...]``. The default is ``adversarial``: Algorithm 1
    with ``--loss``."""


@hookspec
def register_regularizers(register: Register) -> None:
    """Add regularizers, terms added to D's or G's loss: ``obj`` is a
    :class:`ganzoo.Regularizer` subclass (a dataclass whose fields are its options), chosen
    with ``--regularizer NAME[:KEY=VALUE,...]`` (repeatable: they stack)."""


@hookspec
def register_augmentations(register: Register) -> None:
    """Add augmentations, differentiable transforms of every image D sees: ``obj`` is a
    :class:`ganzoo.Augmentation` subclass (a dataclass whose fields are its options),
    chosen with ``--augment NAME[:KEY=VALUE],...`` (applied in the order given)."""


@hookspec
def register_optimizers(register: Register) -> None:
    """Add optimizers: ``obj`` is a callable ``build(parameters, *, lr, betas) ->
    torch.optim.Optimizer`` with a bool attribute ``uses_betas``, chosen with
    ``--optimizer NAME`` or a recipe's ``optimizer`` hyperparameter."""


@hookspec
def register_options(register: Register) -> None:
    """Add run options: ``obj`` is a :class:`ganzoo.Option` (type, default, help). The name
    is a Python identifier (``ema_decay``); the option becomes ``--ema-decay`` on
    ``ganzoo run`` (``--NAME/--no-NAME`` for a bool), a keyword of ``ganzoo.train``, a key
    of recipes' ``hyperparameters``, and ``run.options["ema_decay"]`` in lifecycle hooks.
    Values are validated before anything is written, saved in ``config.json`` and in
    checkpoints, and restored on ``--resume``."""


# --- lifecycle hooks -----------------------------------------------------------------


@hookspec
def make_run_plugins(run: Any) -> Any:
    """Called once per run, on the process that writes the run (rank 0), when training
    starts: the run directory exists and ``run.run_dir`` is final; before ``on_train_start``. Return an object, or a list of objects, whose ``@hookimpl``
    methods receive this run's lifecycle hooks, and only this run's: pluggy's
    class-instance plugins, registered for the run and dropped when it ends. This is where
    per-run state lives (an average of G's weights, an open log writer), on ``self``;
    return ``None`` when the run does not need the plugin (an option is off).
    ``run`` is the :class:`ganzoo.Run` described in ``on_train_start``."""


@hookspec
def on_train_start(run: Any, trainer: Any, checkpoint: dict[str, Any] | None) -> None:
    """Called once before the first step, with the :class:`ganzoo.Run`: models,
    optimizers and run directory are ready. On ``--resume``, ``checkpoint`` is the
    checkpoint dictionary being resumed from (where a plugin finds what it added in
    ``on_checkpoint``); ``None`` for a new run. ``trainer`` is the same object under its
    older name.

    ``run`` gives ``run_dir``, ``config``, ``options`` (plugin options by name), ``epoch``
    (epochs completed: 0 before the first, 1 after it), ``step`` (iterations completed over
    the whole run), ``iteration_in_epoch``, ``generator``, ``discriminator``,
    ``optimizer_g``, ``optimizer_d``, ``device``, ``rank``, ``world_size``,
    ``image_shape``, ``num_classes``, ``class_names``, ``metric_specs`` and
    ``checkpoint_path``. A plugin may set ``run.sampling_generator`` to a module with the
    generator's interface (an exponential moving average of its weights, say): the epoch
    grids, and ``ganzoo sample``, then use it."""


@hookspec
def on_step_end(run: Any, trainer: Any, step: int, metrics: dict[str, Any]) -> None:
    """Called after every training iteration (``d_steps`` discriminator updates then
    ``g_steps`` generator updates); ``step`` counts from 1. ``metrics`` holds 0-d tensors
    still on the training device: calling ``.item()`` here forces a device synchronisation
    every step."""


@hookspec
def on_log(run: Any, trainer: Any, records: list[dict[str, Any]]) -> None:
    """Called every ``log_every`` iterations (and at each epoch end) with the per-iteration
    records just appended to ``metrics.jsonl``: dicts of ``step``, ``epoch`` (counting from
    1: the epoch the step belongs to) and plain floats: ``loss_d``, ``loss_g`` and what the
    objective, loss and regularizers declare (``run.metric_specs``). The place for logger
    plugins: the values are already on the host, so this costs no extra synchronisation."""


@hookspec
def on_epoch_end(run: Any, trainer: Any, epoch: int) -> None:
    """Called at the end of every epoch (``epoch`` counts from 1), after the sample grid
    and before the checkpoint."""


@hookspec
def on_checkpoint(run: Any, trainer: Any, checkpoint: dict[str, Any]) -> None:
    """Called with the checkpoint dictionary just before it is written. A plugin may add
    entries (tensors and plain Python values only: checkpoints load with
    ``weights_only=True``)."""


@hookspec
def on_train_end(run: Any, trainer: Any) -> None:
    """Called once when training stops: after the last epoch's checkpoint has been
    written, and also when the run is interrupted (a signal, ``KeyboardInterrupt``) or
    fails (a non-finite loss, a full disk, another plugin's ``on_train_start``), while the
    error propagates. Release what the plugin holds here (files, writers, a running
    profiler), without assuming that this plugin's ``on_train_start`` ran;
    ``run.epoch`` and ``run.step`` tell how far the run got."""


def reference_markdown() -> str:
    """The hook reference of ``docs/plugins.md``, generated from the docstrings above
    ``tests/test_docs.py`` checks that the docs hold exactly this, and rewrites the
    section when run with ``GANZOO_UPDATE_DOCS=1``."""
    import inspect
    import sys

    module = sys.modules[__name__]
    parts = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if not hasattr(function, "ganzoo_spec"):
            continue
        signature = str(inspect.signature(function)).replace("'", "")
        doc = inspect.cleandoc(function.__doc__ or "")
        parts.append((inspect.getsourcelines(function)[1], f"### `{name}{signature}`\n\n{doc}\n"))
    return "\n".join(text for _, text in sorted(parts))

