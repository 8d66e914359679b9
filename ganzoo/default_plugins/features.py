"""Registers the built-in feature extractors of ``ganzoo eval`` (imported on first use).

``mnist`` and ``fashion-mnist`` are small CNN classifiers trained by ganzoo and shipped
with it: named after their datasets, they are those datasets' default extractors and
their classifiers for the class metrics. ``inception`` is the standard Inception-v3 (the
default for every other dataset).
"""

from ganzoo.hookspecs import hookimpl

FEATURE_EXTRACTORS = {
    "mnist": ("MNIST", "CNN classifier trained on MNIST: 128-d penultimate features, 10 logits"),
    "fashion-mnist": ("FASHION_MNIST", "CNN classifier trained on Fashion-MNIST: 128-d penultimate features, 10 logits"),
    "inception": ("INCEPTION", "Inception-v3 of torch-fidelity via torchmetrics: 2048-d pool features, 1008 logits"),
}


@hookimpl
def register_feature_extractors(register):
    for name, (attribute, description) in FEATURE_EXTRACTORS.items():
        register(name, f"ganzoo.evaluation.extractors:{attribute}", description=description)
