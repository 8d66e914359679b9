"""Train a domain classifier of ``ganzoo eval``: the command that produced the shipped weights.

    python -m ganzoo.evaluation.train_classifier --dataset mnist --data-root DATA \\
        --out ganzoo/evaluation/weights/mnist-classifier.pt

Seeded (parameters, data order and dropout): the defaults reproduce the shipped weights'
accuracy; bit-identical weights need the same platform, PyTorch and thread count, so after
retraining record the printed sha256 and accuracy in
:data:`ganzoo.evaluation.classifier.SHIPPED`. Recipe: Adam with a cosine-decayed learning
rate, 3 epochs, batch 128, dropout 0.5 before the last layer, on the 60k training images
in ``[-1, 1]``; the test accuracy is measured on the 10k test images.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import torch
import torch.nn.functional as F

from ganzoo import plugins
from ganzoo.data import open_split
from ganzoo.device import select_device
from ganzoo.errors import ConfigError, GanzooError
from ganzoo.evaluation.classifier import SHIPPED, DomainClassifier, save_classifier


def load_split(dataset: str, data_root: Path, *, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as ``(uint8 images (N, 1, H, W), int64 labels)``, read by ganzoo's dataset spec."""
    spec = plugins.get_zoo().datasets.get(dataset)
    if spec.to_tensors is None or spec.num_classes is None:
        raise ConfigError(f"dataset {dataset!r} has no in-memory labelled form; a domain classifier needs one")
    return spec.to_tensors(open_split(spec, data_root, train=train, download=False))


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range generators produce."""
    return images.float().div_(127.5).sub_(1.0)


@torch.no_grad()
def accuracy(model: DomainClassifier, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model`` (put in eval mode) on uint8 ``images``."""
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=labels.device)
    for start in range(0, len(images), batch_size):
        _, logits = model(to_unit_range(images[start : start + batch_size]))
        correct += (logits.argmax(1) == labels[start : start + batch_size]).sum()
    return correct.item() / len(images)


def to_input(images: torch.Tensor) -> torch.Tensor:
    """A batch as the classifier takes it: uint8 images to ``[-1, 1]``, float ones (samples) as they are."""
    return to_unit_range(images) if images.dtype == torch.uint8 else images.float()


def fit_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    log: Callable[[DomainClassifier, int, float, float], None] | None = None,
) -> DomainClassifier:
    """A :class:`DomainClassifier` trained on ``images`` (uint8, or float in ``[-1, 1]``: generated
    samples) and ``labels`` on their device with the shipped recipe; returned in train mode.
    ``log(model, epoch, mean loss, seconds)`` after each epoch. Seeds the global RNG (parameters, dropout)."""
    target = images.device
    torch.manual_seed(seed)
    model = DomainClassifier(in_channels=images.shape[1], num_classes=num_classes, image_size=images.shape[-1])
    model.to(target)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = max(1, len(images) // batch_size)
    # Cosine decay to zero over the run: the last steps settle instead of bouncing around.
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
    order_rng = torch.Generator(device="cpu").manual_seed(seed)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(images), generator=order_rng).to(target)
        total = torch.zeros((), device=target)
        for step in range(steps):
            index = order[step * batch_size : (step + 1) * batch_size]
            _, logits = model(to_input(images[index]))
            loss = F.cross_entropy(logits, labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.detach()
        if log is not None:
            log(model, epoch, total.item() / steps, time.perf_counter() - start)
    return model


def train_classifier(
    dataset: str,
    data_root: Path,
    *,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    device: str = "cpu",
    log: bool = True,
) -> tuple[DomainClassifier, float]:
    """Train the classifier of ``dataset``; returns it (eval mode, CPU) and its test accuracy."""
    target = select_device(device)
    images, labels = (t.to(target) for t in load_split(dataset, data_root, train=True))
    test_images, test_labels = (t.to(target) for t in load_split(dataset, data_root, train=False))

    def report(model: DomainClassifier, epoch: int, loss: float, seconds: float) -> None:
        test_accuracy = accuracy(model, test_images, test_labels)
        print(f"epoch {epoch}/{epochs}: train loss {loss:.4f}, test accuracy {test_accuracy:.4f} ({seconds:.1f}s)",
              file=sys.stderr)

    model = fit_classifier(images, labels, num_classes=int(labels.max()) + 1, epochs=epochs, batch_size=batch_size,
                           lr=lr, seed=seed, log=report if log else None)
    test_accuracy = accuracy(model, test_images, test_labels)
    return model.cpu().eval(), test_accuracy


@click.command()
@click.option("--dataset", type=click.Choice(sorted(SHIPPED)), required=True, help="Dataset whose classifier to train.")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder holding the dataset in torchvision's layout.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Weights file to write.")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True,
              help="cpu reproduces the shipped weights; cuda is faster but not bit-identical.")
def main(dataset: str, data_root: Path, out: Path, epochs: int, batch_size: int, lr: float, seed: int, device: str) -> None:
    """Train the domain classifier of DATASET for `ganzoo eval` and write its weights."""
    start = time.perf_counter()
    try:
        model, test_accuracy = train_classifier(dataset, data_root, epochs=epochs, batch_size=batch_size, lr=lr,
                                                seed=seed, device=device)
    except GanzooError as error:
        raise click.ClickException(str(error)) from error
    sha256 = save_classifier(
        model, out, dataset=dataset, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
        test_accuracy=test_accuracy, torch_version=str(torch.__version__),
    )
    # The fp16 copy is what ships: report the accuracy of exactly those weights.
    from ganzoo.evaluation.classifier import load_classifier

    shipped, _ = load_classifier(dataset, out, sha256)
    test_images, test_labels = load_split(dataset, data_root, train=False)
    shipped_accuracy = accuracy(shipped, test_images, test_labels)
    click.echo(f"wrote {out} in {time.perf_counter() - start:.0f}s")
    click.echo(f"test accuracy: {test_accuracy:.4f} (fp32), {shipped_accuracy:.4f} (fp16 weights as saved)")
    click.echo(f"sha256: {sha256}")
    click.echo(f"record in ganzoo/evaluation/classifier.py SHIPPED[{dataset!r}]: sha256={sha256!r}, "
               f"test_accuracy={shipped_accuracy:.4f}")


if __name__ == "__main__":
    main()
