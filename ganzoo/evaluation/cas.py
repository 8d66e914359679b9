"""Classification Accuracy Score (Ravuri & Vinyals 2019) for conditional models.

A classifier of the shipped domain classifier's architecture (:class:`~ganzoo.evaluation.
classifier.DomainClassifier`) is trained, with the shipped recipe (:func:`~ganzoo.evaluation.
train_classifier.fit_classifier`: Adam, cosine-decayed learning rate, batch 128) for
:data:`CAS_EPOCHS` epochs, on the ``n`` generated samples labelled with the class each was
asked for, and tested on the real test split. Beside it, the same architecture trained the
same way on ``n`` real training images (a fixed random subset): the score a generator whose
samples were as good as real data would get. CAS falls when samples of a class do not look
like that class, or lack its variety, to a classifier; FID does not see the labels.
"""

from __future__ import annotations

import torch

from ganzoo.evaluation.train_classifier import accuracy, fit_classifier

CAS_EPOCHS = 3


def classification_accuracy(
    images: torch.Tensor,
    labels: torch.Tensor,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    *,
    num_classes: int,
    seed: int,
    epochs: int = CAS_EPOCHS,
) -> float:
    """Test accuracy on (``test_images`` uint8, ``test_labels``) of a classifier trained on
    (``images``, ``labels``), also under ``torch.no_grad``; the caller's RNG state is left untouched."""
    with torch.random.fork_rng(devices=[]), torch.enable_grad():  # the evaluation runs under no_grad
        model = fit_classifier(images, labels.long(), num_classes=num_classes, epochs=epochs, seed=seed)
        return accuracy(model, test_images.to(images.device), test_labels.long().to(images.device))


def real_subset(images: torch.Tensor, labels: torch.Tensor, n: int, *, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` training images (all when there are no more), a random subset fixed by ``seed``."""
    if n >= len(images):
        return images, labels
    index = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    return images[index], labels[index]
