"""Shared fixtures: datasets on disk in torchvision's layout, and an isolated plugin state.

Tests that need MNIST use the real files when they are present (``../shared/datasets``
beside the checkout, or ``$GANZOO_TEST_DATA``) and otherwise write a small synthetic IDX
set that goes through the same torchvision reader.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"

IDX_NAMES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_idx(raw: Path, images: torch.Tensor, labels: torch.Tensor, train: bool) -> None:
    """Write uint8 images (N, 28, 28) and labels (N,) as IDX files, as torchvision expects."""
    raw.mkdir(parents=True, exist_ok=True)
    image_file, label_file = IDX_NAMES[train]
    n, rows, cols = images.shape
    (raw / image_file).write_bytes(struct.pack(">IIII", 0x803, n, rows, cols) + images.to(torch.uint8).numpy().tobytes())
    (raw / label_file).write_bytes(struct.pack(">II", 0x801, n) + labels.to(torch.uint8).numpy().tobytes())


def synthetic_digits(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Ten easily told-apart classes: class k is a bright bar at a class-specific place."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.zeros(n, 28, 28)
    for k in range(10):
        idx = labels == k
        images[idx, 2 + 2 * k : 5 + 2 * k, 4:24] = 1.0
    images = (images + 0.1 * torch.rand(n, 28, 28, generator=g)).clamp(0, 1)
    return (images * 255).round().to(torch.uint8), labels


def write_synthetic_mnist(root: Path, folder: str = "MNIST", n_train: int = 640, n_test: int = 200) -> Path:
    for train, n in ((True, n_train), (False, n_test)):
        images, labels = synthetic_digits(n, seed=int(train))
        write_idx(root / folder / "raw", images, labels, train)
    return root


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory) -> Path:
    """A data root with small synthetic MNIST and Fashion-MNIST sets."""
    root = tmp_path_factory.mktemp("synthetic-data")
    write_synthetic_mnist(root, "MNIST")
    write_synthetic_mnist(root, "FashionMNIST")
    return root


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory) -> Path:
    """Real MNIST when available (``$GANZOO_TEST_DATA`` or ``../shared/datasets``), else a
    synthetic set big enough for a short training run (``GANZOO_TEST_DATA=synthetic``
    forces it)."""
    wanted = os.environ.get("GANZOO_TEST_DATA")
    if wanted != "synthetic":
        for candidate in (wanted, SHARED_DATASETS):
            if candidate and (Path(candidate) / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
                return Path(candidate)
    return write_synthetic_mnist(tmp_path_factory.mktemp("synthetic-mnist"), "MNIST", n_train=8192, n_test=2000)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Every test runs in its own folder, with no dataset download and no user cache."""
    import ganzoo.data.builtin

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANZOO_DATA_ROOT", str(tmp_path / "no-data-here"))
    # A machine with Debian's dataset-fashion-mnist installed must not change what tests see.
    monkeypatch.setattr(ganzoo.data.builtin, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-package")
    monkeypatch.delenv("GANZOO_LOAD_PLUGINS", raising=False)
