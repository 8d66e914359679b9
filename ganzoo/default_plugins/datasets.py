"""Registers the built-in datasets (defined in :mod:`ganzoo.data.builtin`, imported on first use)."""

from ganzoo.hookspecs import hookimpl

DATASETS = {
    "mnist": ("MNIST", "handwritten digits, 60k train / 10k test, 28x28 grayscale"),
    "fashion-mnist": ("FASHION_MNIST", "Zalando clothing, 60k train / 10k test, 28x28 grayscale"),
    "cifar10": ("CIFAR10", "natural images in 10 classes, 50k train / 10k test, 32x32 RGB"),
    "image-folder": ("IMAGE_FOLDER", "your own images: --data-root FOLDER with one sub-folder per class, 32x32 RGB"),
}


@hookimpl
def register_datasets(register):
    for name, (attribute, description) in DATASETS.items():
        register(name, f"ganzoo.data.builtin:{attribute}", description=description)
