"""The built-in datasets: MNIST, Fashion-MNIST, CIFAR-10 and an image folder, all read by
torchvision. Registered lazily by :mod:`ganzoo.default_plugins.datasets` (as
``ganzoo.data.builtin:MNIST`` and so on), so torchvision is imported only when a dataset
is opened."""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from ganzoo.data.spec import DatasetSpec
from ganzoo.errors import DatasetUnavailableError, UnreadableImageError

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def _grayscale_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision's MNIST-like datasets already hold ``data`` (N, 28, 28) uint8."""
    return dataset.data.unsqueeze(1).contiguous(), torch.as_tensor(dataset.targets, dtype=torch.long)


def _cifar_tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10's ``data`` is a numpy (N, 32, 32, 3) uint8 array: make it (N, 3, 32, 32)."""
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
    return images, torch.as_tensor(dataset.targets, dtype=torch.long)


def _open_mnist(root: Path, *, train: bool, download: bool):
    from torchvision.datasets import MNIST

    return MNIST(root, train=train, download=download)


# Debian's `apt install dataset-fashion-mnist` puts the original four .gz files here. Their
# content is Zalando's, byte for byte; only the gzip wrapper differs, so torchvision's md5
# check of the downloads would refuse them, and they are read here instead.
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def _open_fashion_mnist(root: Path, *, train: bool, download: bool):
    """torchvision's layout under ``root`` first; else the original .gz files, in ``root``,
    in ``root/fashion-mnist`` (so ``--data-root /usr/share/datasets`` works) or in
    Debian's folder; else torchvision's download."""
    from torchvision.datasets import FashionMNIST

    files = [f"{stem}.gz" for stem in _IDX_FILES]
    in_torchvision_layout = all((root / "FashionMNIST" / "raw" / name).is_file() for name in _IDX_FILES)
    if not in_torchvision_layout:
        for folder in (root, root / "fashion-mnist", DEBIAN_FASHION_MNIST):
            if all((folder / name).is_file() for name in files):
                return _gzip_fashion_mnist_class()(folder, train=train)
    return FashionMNIST(root, train=train, download=download)


@functools.cache
def _gzip_fashion_mnist_class() -> type:
    """Defined on first use: torchvision is imported only when a dataset is opened."""
    from torchvision.datasets import FashionMNIST
    from torchvision.datasets.mnist import read_image_file, read_label_file

    class GzipFashionMNIST(FashionMNIST):
        """FashionMNIST read from a folder of its original ``.gz`` files, without writing
        anywhere (``/usr/share`` is read-only); torchvision's parser reads each file once
        it is decompressed to a temporary file."""

        def __init__(self, folder: Path, *, train: bool) -> None:
            self.gz_folder = Path(folder)
            super().__init__(str(folder), train=train, download=False)

        def _check_exists(self) -> bool:
            return True  # checked by the caller

        def _load_data(self):
            import gzip
            import shutil
            import tempfile

            split = "train" if self.train else "t10k"
            tensors = []
            for stem, read in ((f"{split}-images-idx3-ubyte", read_image_file), (f"{split}-labels-idx1-ubyte", read_label_file)):
                source = self.gz_folder / f"{stem}.gz"
                try:
                    with tempfile.NamedTemporaryFile(suffix=stem) as plain:
                        with gzip.open(source, "rb") as packed:
                            shutil.copyfileobj(packed, plain)
                        plain.flush()
                        tensors.append(read(plain.name))
                except (OSError, EOFError, AssertionError, RuntimeError) as error:  # cut short, not gzip, not IDX
                    raise DatasetUnavailableError(
                        f"cannot read {source} ({type(error).__name__}: {error}); the file is damaged: replace it "
                        "(Debian's copy: apt install --reinstall dataset-fashion-mnist), or put the files in "
                        "torchvision's layout under --data-root (FashionMNIST/raw/), which is read first"
                    ) from None
            return tensors[0], tensors[1]

    return GzipFashionMNIST


def _open_cifar10(root: Path, *, train: bool, download: bool):
    from torchvision.datasets import CIFAR10

    return CIFAR10(root, train=train, download=download)


IMAGE_FOLDER_SIZE = 32


def _open_image_folder(root: Path, *, train: bool, download: bool):
    """``root/<class name>/<image>``; every image resized and centre-cropped to 32x32 RGB.

    Every file's header is read before training (27 microseconds a file here with the
    files in the page cache, 2.7 s per 100k; more from a cold disk), so a
    file that is not an image is refused by name before anything is written, rather
    than stopping the run when a batch first reaches it.
    """
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    expected = f"image-folder reads {root}/<class>/<image> (png, jpg, ...)"
    if not root.is_dir():
        raise DatasetUnavailableError(f"no folder {root}: {expected}")
    transform = transforms.Compose(
        [
            transforms.Resize(IMAGE_FOLDER_SIZE),
            transforms.CenterCrop(IMAGE_FOLDER_SIZE),
            transforms.ToTensor(),
            transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
        ]
    )
    try:
        dataset = ImageFolder(root, transform=transform, loader=load_rgb_image)
    except FileNotFoundError as error:  # no class folder, or no image in any of them
        raise DatasetUnavailableError(f"{str(error).rstrip('.')}; {expected}") from error
    unreadable = [path for path, _ in dataset.samples if not _is_image(path)]
    if unreadable:
        raise DatasetUnavailableError(
            f"{len(unreadable)} of the {len(dataset.samples)} images in {root} cannot be read as images "
            f"(first: {unreadable[0]}); remove or replace them"
        )
    return dataset


def _is_image(path: str) -> bool:
    """Whether PIL recognises the file's header (it does not decode the pixels)."""
    from PIL import Image

    try:
        with Image.open(path):
            return True
    except OSError:  # UnidentifiedImageError included
        return False


def load_rgb_image(path: str):
    """Decode one image as RGB; a file that fails here (cut short after a valid header)
    raises :class:`UnreadableImageError` naming it."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except OSError as error:
        raise UnreadableImageError(
            f"cannot read image {path} ({error}); remove or replace it"
        ) from None


MNIST = DatasetSpec(
    name="mnist",
    image_shape=(1, 28, 28),
    num_classes=10,
    open=_open_mnist,
    to_tensors=_grayscale_tensors,
    class_names=tuple(str(d) for d in range(10)),
    expected_files=tuple(f"MNIST/raw/{f}" for f in _IDX_FILES),
    description="handwritten digits, 60k train / 10k test, 28x28 grayscale",
)

FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    image_shape=(1, 28, 28),
    num_classes=10,
    open=_open_fashion_mnist,
    to_tensors=_grayscale_tensors,
    class_names=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    expected_files=tuple(f"FashionMNIST/raw/{f}" for f in _IDX_FILES),
    description="Zalando clothing, 60k train / 10k test, 28x28 grayscale",
)

CIFAR10 = DatasetSpec(
    name="cifar10",
    image_shape=(3, 32, 32),
    num_classes=10,
    open=_open_cifar10,
    to_tensors=_cifar_tensors,
    class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    expected_files=tuple(
        f"cifar-10-batches-py/{f}"
        for f in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta")
    ),
    description="natural images in 10 classes, 50k train / 10k test, 32x32 RGB",
)

IMAGE_FOLDER = DatasetSpec(
    name="image-folder",
    image_shape=(3, IMAGE_FOLDER_SIZE, IMAGE_FOLDER_SIZE),
    num_classes=None,  # known once the folder is read: one class per sub-folder
    open=_open_image_folder,
    to_tensors=None,
    expected_files=("<class>/<image>.png",),
    description="your own images: --data-root FOLDER with one sub-folder per class, resized to 32x32 RGB",
    fit_in_memory=False,
)
