"""The domain classifiers: small CNNs that ganzoo trains and ships for 28x28 grayscale data.

Why not Inception-v3 for MNIST-like data: Inception was trained on ImageNet photographs, so
on a 28x28 digit upsampled to 299x299 its features say little about whether the digit is
well formed, and it costs about 6 GFLOPs per image (minutes on a CPU for 10k samples). A
classifier trained on the dataset itself is the established practice for these datasets
(TF-GAN's ``mnist_score`` and ``mnist_frechet_distance``; the FID authors' advice for MNIST):
its penultimate features feed FID and KID, its logits the Inception Score and the class
metrics, and it costs about 4 MFLOPs per image.

The weights ship inside the package (``weights/*.pt``, fp16, about 0.4 MB each), and
their sha256 is recorded here and checked before the file is read: a FID computed with
other weights would silently not be comparable with any other.
``python -m ganzoo.evaluation.train_classifier`` reproduces them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ganzoo.checkpoint import UnreadableTorchFile, read_torch_file
from ganzoo.errors import CheckpointError, first_line

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ShippedWeights:
    """One classifier shipped with ganzoo: its file, its sha256 and how good it is."""

    dataset: str
    file: str
    sha256: str
    test_accuracy: float  # on the dataset's 10k test images, measured by train_classifier

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / self.file

    def retrain_command(self) -> str:
        return (
            f"python -m ganzoo.evaluation.train_classifier --dataset {self.dataset} "
            f"--data-root DATA_ROOT --out {self.path}"
        )


SHIPPED: dict[str, ShippedWeights] = {
    "mnist": ShippedWeights(
        "mnist", "mnist-classifier.pt", "fc9961d53bf54648e659dc754ca522177592fde897941074b72ed3171d9e4a6d", 0.9913
    ),
    "fashion-mnist": ShippedWeights(
        "fashion-mnist", "fashion-mnist-classifier.pt", "7907163c6c2a7802f62e186dbb0ffcd15bf54647dd622e00704648ddaf4bac19",
        0.8851,
    ),
}


class DomainClassifier(nn.Module):
    """conv 32 5x5 -> max-pool -> conv 64 5x5 -> max-pool -> fc 128 -> fc classes.

    Takes images in ``[-1, 1]`` (what generators produce, so samples need no conversion)
    and returns ``(features, logits)``: the 128-d penultimate activations (after ReLU) and
    the class logits. Unpadded convolutions keep it about three times cheaper than padded
    ones at the same accuracy: 10k images take a few seconds on one CPU thread.
    """

    num_features = 128

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> None:
        super().__init__()
        side = ((image_size - 4) // 2 - 4) // 2
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 32, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * side * side, self.num_features),
            nn.ReLU(),
        )
        self.dropout = nn.Dropout(0.5)  # training only: an identity in eval mode
        self.head = nn.Linear(self.num_features, num_classes)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.image_size = image_size

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(images)
        return features, self.head(self.dropout(features))


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (weights files can be 100 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_classifier(model: DomainClassifier, path: Path | str, **metadata: object) -> str:
    """Write the weights in fp16 with the architecture's sizes (plain data, loadable with
    ``weights_only=True``); returns the file's sha256, the value to record in
    :data:`SHIPPED`."""
    import io

    from ganzoo.checkpoint import atomic_write_bytes

    state = {
        "format_version": 1,
        "architecture": {"in_channels": model.in_channels, "num_classes": model.num_classes, "image_size": model.image_size},
        "state_dict": {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()},
        "metadata": dict(metadata),
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())
    os.chmod(path, 0o644)  # shipped in the package: readable by every user, not 0600 like a temp file
    return sha256_file(path)


def load_classifier(dataset: str, path: Path | str | None = None, sha256: str | None = None) -> tuple[DomainClassifier, str]:
    """The shipped classifier of ``dataset`` (or the file ``path`` with the expected
    ``sha256``), in eval mode on the CPU, and the sha256 of its weights.

    The hash is checked before the file is read: a mismatch is a :class:`CheckpointError`
    that says how to get the right file back."""
    shipped = SHIPPED[dataset]
    path = Path(path) if path is not None else shipped.path
    expected = sha256 or shipped.sha256
    if not path.is_file():
        raise CheckpointError(
            f"the {dataset} classifier's weights {path} are missing; reinstall ganzoo or retrain them: "
            f"{shipped.retrain_command()}"
        )
    actual = sha256_file(path)
    if actual != expected:
        raise CheckpointError(
            f"the {dataset} classifier's weights {path} have sha256 {actual}, expected {expected}: the file is "
            f"corrupted or was replaced, and metrics computed with it would not be comparable; reinstall ganzoo "
            f"(or retrain and record the new hash in ganzoo/evaluation/classifier.py: {shipped.retrain_command()})"
        )
    try:
        state = read_torch_file(path)
        model = DomainClassifier(**state["architecture"])
        model.load_state_dict({k: v.float() for k, v in state["state_dict"].items()})
    except UnreadableTorchFile as error:
        raise CheckpointError(f"{path} is not a ganzoo classifier file ({error.reason})") from error
    except (KeyError, TypeError, RuntimeError) as error:
        raise CheckpointError(f"{path} is not a ganzoo classifier file ({first_line(error)})") from error
    return model.eval().requires_grad_(False), actual
