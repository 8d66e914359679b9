"""The ``inception`` extractor: torchmetrics' Inception-v3, i.e. torch-fidelity's port of the
TensorFlow network every published FID uses (2048-d pool features, 1008 logits).

Needs ``torch-fidelity`` (``pip install 'ganzoo[inception]'``): torchmetrics only wraps it.
The weights are torch-fidelity's file, read from torch hub's cache (where torch-fidelity
itself would download it) or from ``--inception-weights PATH``; ganzoo never downloads
them behind the user's back, and a missing file is one line naming the file, the URL and
where to put it.

Images are converted the way the reference implementations expect: ``[-1, 1]`` to uint8 by
``round((x + 1) * 127.5)`` clamped to ``0..255`` (torchmetrics' ``normalize=True``
truncates instead of rounding, and wraps values outside ``[0, 1]`` around), grayscale
repeated to three channels; the network resizes to 299x299 itself.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ganzoo.checkpoint import UnreadableTorchFile, read_torch_file
from ganzoo.errors import CheckpointError, ConfigError, GanzooError, first_line
from ganzoo.evaluation.classifier import sha256_file
from ganzoo.evaluation.interface import FeatureExtractor

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{WEIGHTS_FILE}"


def default_weights_path() -> Path:
    """Where torch hub (and so torch-fidelity) keeps the file: ``$TORCH_HOME/hub/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def resolve_weights(path: Path | str | None) -> Path:
    """The weights file to use; a one-line error naming the file and the URL if it is missing."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise ConfigError(f"--inception-weights {path}: no such file (the file to give is {WEIGHTS_URL})")
        return path
    path = default_weights_path()
    if not path.is_file():
        raise CheckpointError(
            f"the Inception-v3 weights are not in {path} and ganzoo does not download them: download "
            f"{WEIGHTS_URL} to that path, or pass --inception-weights PATH"
        )
    return path


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """``[-1, 1]`` floats to ``0..255`` uint8, rounding to nearest and clamping."""
    return ((images.float() + 1.0) * 127.5).round_().clamp_(0, 255).to(torch.uint8)


class InceptionExtractor(FeatureExtractor):
    """Inception-v3 through torchmetrics' ``NoTrainInceptionV3`` (default resizing)."""

    num_features = 2048
    num_classes = 1008

    def __init__(self, weights: Path | str | None = None) -> None:
        super().__init__()
        try:
            from torchmetrics.image.fid import NoTrainInceptionV3
            from torchmetrics.utilities.imports import _TORCH_FIDELITY_AVAILABLE
        except ImportError as error:  # pragma: no cover - torchmetrics is a dependency
            raise GanzooError(f"the inception extractor needs torchmetrics: {error}") from error
        if not _TORCH_FIDELITY_AVAILABLE:
            raise GanzooError("the inception extractor needs torch-fidelity: pip install 'ganzoo[inception]'")
        path = resolve_weights(weights)
        # torch-fidelity reads the file with weights_only=False; read it safely first, so a
        # foreign or corrupted file is refused before any of it is unpickled freely.
        try:
            state = read_torch_file(path)
        except UnreadableTorchFile as error:
            raise CheckpointError(f"cannot read Inception-v3 weights {path} ({error.reason})") from error
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise CheckpointError(f"{path} is not an Inception-v3 state dict ({WEIGHTS_URL})")
        del state
        try:
            self.net = NoTrainInceptionV3(
                name="inception-v3-compat", features_list=[str(self.num_features)],
                feature_extractor_weights_path=str(path),
            )
        except RuntimeError as error:  # load_state_dict: missing, unexpected or misshaped tensors
            raise CheckpointError(f"{path} does not fit Inception-v3 ({first_line(error)}); the file to give is {WEIGHTS_URL}") from error
        self.weights_path = path
        self.weights_sha256 = sha256_file(path)

    def check_input(self, image_shape: tuple[int, ...]) -> None:
        if image_shape[0] not in (1, 3):
            raise ConfigError(f"feature extractor 'inception' takes 1- or 3-channel images, got {image_shape[0]} channels")

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = to_uint8(images)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        features = self.net(x)
        # "logits_unbiased", what torchmetrics' InceptionScore uses by default: the fc layer
        # without its bias, computed from the same forward pass.
        logits = features @ self.net.fc.weight.T
        return features, logits
