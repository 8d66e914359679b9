"""One run's evaluation: the real side's statistics (cached), the samples through the
extractor and the classifier, and the metrics of :class:`~ganzoo.evaluation.metrics.SampleMetrics`,
with CAS and the memorization panel where asked for."""

from __future__ import annotations

import time
from typing import Any, Callable

import torch

from ganzoo.data import DatasetSpec
from ganzoo.errors import describe_os_error
from ganzoo.evaluation import cache
from ganzoo.evaluation.classifier import sha256_file
from ganzoo.evaluation.extractors import FeatureExtractor
from ganzoo.evaluation.metrics import (
    MEMORIZATION_PANEL,
    SampleMetrics,
    inception_score,
)
from ganzoo.evaluation.plan import Extractors, Plan
from ganzoo.evaluation.reference import RealReference
from ganzoo.evaluation.results import REAL_SPLIT, RunEvaluation
from ganzoo.evaluation.sources import (
    dataset_fingerprint,
    generated_batches,
    real_batches,
)
from ganzoo.sampling import LoadedGenerator

# The split memorization compares the samples with.
TRAIN_SPLIT = "train"


@torch.no_grad()
def real_statistics(
    extractor: FeatureExtractor,
    name: str,
    *,
    dataset_name: str,
    spec: DatasetSpec,
    dataset: Any,
    fingerprint: str,
    batch_size: int,
    device: torch.device,
    classifies_dataset: bool,
    seed: int,
    needs_labels: bool = False,
    split: str = REAL_SPLIT,
    say: Callable[[str], None] = lambda message: None,
) -> cache.RealStats:
    """The held-out split through ``extractor``: from the cache, or computed and cached.

    ``classifies_dataset``: the extractor's logits are the dataset's classes, so the entry
    also holds the predicted-class counts (an entry without them is recomputed);
    ``needs_labels``: an entry without the true labels (older ganzoo) is recomputed;
    ``split``: the split ``dataset`` is (``fingerprint`` its content's), the test split unless
    memorization asks for the training one."""
    path = cache.entry_path(dataset_name, split, name, extractor.weights_sha256, fingerprint)
    stats = cache.load(path)
    if (stats is not None and (stats.class_counts is not None or not classifies_dataset)
            and (stats.labels is not None or not needs_labels)):
        return stats
    say(f"real statistics of {dataset_name} {split} through {name!r} (cached afterwards in {path.parent})")
    features, logits, labels = [], [], []
    for images, batch_labels in real_batches(spec, dataset, batch_size=batch_size, device=device):
        batch_features, batch_logits = extractor(images)
        features.append(batch_features.float())
        labels.append(batch_labels.long().cpu())
        if batch_logits is not None:
            logits.append(batch_logits.float())
    all_logits = torch.cat(logits) if logits else None
    counts = None
    if classifies_dataset and all_logits is not None:
        counts = torch.bincount(all_logits.argmax(1), minlength=all_logits.shape[1]).cpu()
    stats = cache.RealStats(
        features=torch.cat(features).cpu(),
        class_counts=counts,
        inception_score=None if all_logits is None else inception_score(all_logits, seed=seed),
        labels=torch.cat(labels),
    )
    try:
        cache.save(path, stats)
    except OSError as error:  # the cache saves time; failing to write it must not cost the result
        say(f"warning: could not cache the real statistics ({describe_os_error(error)}); "
            f"they will be computed again next time (set ${cache.CACHE_ENV} to a writable folder)")
    return stats


@torch.no_grad()
def evaluate_one(
    plan: Plan,
    *,
    n: int,
    selected: list[str],
    seed: int,
    batch_size: int | None,
    extractors: Extractors,
    bootstrap: int,
    references: dict[tuple[str, str], RealReference],
    say: Callable[[str], None],
    panels: dict[int, bytes] | None = None,
    index: int = 0,
) -> RunEvaluation:
    """Measure ``plan``'s generator: ``n`` samples through its extractor (and classifier).

    Metrics that cannot apply (conditional ones for an unconditional model, class metrics
    without a classifier, IS without logits) go to ``not_computed`` with the reason instead
    of failing the evaluation. ``references`` shares the real side between runs measured on
    the same data with the same extractor; ``panels[index]`` receives the memorization
    panel when that metric is asked for."""
    start = time.perf_counter()
    loaded, name, extractor, classifier = plan.loaded, plan.name, plan.extractor, plan.classifier
    not_computed: dict[str, str] = {}
    wanted = set(selected)
    for metric in ("accuracy", "icfid", "cas"):
        if metric in wanted and not loaded.conditional:
            wanted.discard(metric)
            not_computed[metric] = f"model {loaded.config.model!r} is not conditional"
    if classifier is None:
        for metric in ("coverage", "accuracy"):
            if metric in wanted:
                wanted.discard(metric)
                not_computed[metric] = f"no feature extractor classifies {plan.dataset_name!r}"
    if "cas" in wanted and (plan.spec.to_tensors is None or not plan.spec.num_classes):
        wanted.discard("cas")
        not_computed["cas"] = f"dataset {plan.dataset_name!r} has no in-memory labelled form to train a classifier on"
    if "is" in wanted and extractor.num_classes is None:
        wanted.discard("is")
        not_computed["is"] = f"feature extractor {name!r} gives no logits"

    fingerprint = plan.fingerprint
    common = dict(dataset_name=plan.dataset_name, spec=plan.spec, dataset=plan.real_dataset,
                  fingerprint=fingerprint, device=loaded.device, seed=seed,
                  say=lambda message: say(f"{plan.path}: {message}"))
    real_start = time.perf_counter()
    real = real_statistics(extractor, name, batch_size=batch_size or extractors.batch_size(name),
                           classifies_dataset=extractors.registry.get(name).classes_of == plan.dataset_name,
                           needs_labels="icfid" in wanted, **common)
    class_real = real
    if classifier is not None and plan.classifier_name != name:
        class_real = real_statistics(classifier, plan.classifier_name, classifies_dataset=True,
                                     batch_size=batch_size or extractors.batch_size(plan.classifier_name), **common)
    train = None
    if "memorization" in wanted:
        train = real_statistics(extractor, name, batch_size=batch_size or extractors.batch_size(name),
                                classifies_dataset=False, split=TRAIN_SPLIT,
                                **{**common, "dataset": plan.train_dataset,
                                   "fingerprint": dataset_fingerprint(plan.spec, plan.train_dataset)})
    real_seconds = (0.0 if real.cached and class_real.cached and (train is None or train.cached)
                    else time.perf_counter() - real_start)

    say(f"{plan.path}: {n} samples through {name!r}")
    key = (f"{name} {extractor.weights_sha256}", f"{plan.dataset_name} {fingerprint}")
    if key not in references:
        references[key] = RealReference(real.features, loaded.device, labels=real.labels)
    elif references[key].labels is None and real.labels is not None:  # an earlier run did not need them
        references[key].labels = real.labels.to(references[key].device)
    if train is not None and references[key].train is None:
        references[key].train = train.features.to(references[key].device)
    # the samples the memorization panel shows: spread over the n (conditional ones come sorted by class)
    shown = (torch.linspace(0, n - 1, min(MEMORIZATION_PANEL, n)).round().long().tolist()
             if train is not None else [])
    shown_images: list[torch.Tensor] = []
    drawn = 0
    cas_images: list[torch.Tensor] = []
    cas_labels: list[torch.Tensor] = []
    metric_set = SampleMetrics(
        wanted, real=references[key], real_classes=class_real.class_counts if classifier is not None else None,
        n=n, device=loaded.device, seed=seed, bootstrap=bootstrap,
    )
    for images, labels in generated_batches(loaded, n, seed=seed, batch_size=batch_size or extractors.batch_size(name)):
        features, logits = extractor(images)
        class_logits = None
        if classifier is not None:
            class_logits = logits if classifier is extractor else classifier(images)[1]
        metric_set.update(features, logits, class_logits, labels)
        shown_images += [images[i - drawn].cpu() for i in shown if drawn <= i < drawn + len(images)]
        if "cas" in wanted and labels is not None:
            cas_images.append(images)  # trained on where they are (the evaluation device)
            cas_labels.append(labels)
        drawn += len(images)
    values, histograms = metric_set.compute()
    if cas_images:
        cas_start = time.perf_counter()
        values.update(_cas(plan, torch.cat(cas_images), torch.cat(cas_labels), seed=seed,
                           cache=references[key].cas_real))
        metric_set.seconds["cas"] = round(time.perf_counter() - cas_start, 3)
    memorization: dict[str, Any] = {}
    if metric_set.nearest is not None:
        nearest, distance = metric_set.nearest
        memorization = {"samples": shown, "nearest_train": [int(nearest[i]) for i in shown],
                        "distance": [round(float(distance[i]), 5) for i in shown],
                        "test_nearest_mean": round(references[key].test_nearest()[0], 5),
                        "test_memorization_distance": round(references[key].test_nearest()[1], 5)}
        if panels is not None and shown_images:
            panels[index] = memorization_panel(torch.stack(shown_images),
                                               training_images(plan.spec, plan.train_dataset,
                                                               memorization["nearest_train"]))
    return RunEvaluation(
        run=str(plan.path),
        checkpoint=loaded.checkpoint,
        checkpoint_sha256=sha256_file(loaded.checkpoint),
        model=loaded.config.model,
        dataset=plan.dataset_name,
        epoch=loaded.epoch,
        conditional=loaded.conditional,
        ema=loaded.ema,
        features=name,
        features_sha256=extractor.weights_sha256,
        classifier=plan.classifier_name if classifier is not None else None,
        classifier_sha256=classifier.weights_sha256 if classifier is not None else None,
        real_n=real.n,
        real_fingerprint=fingerprint,
        knn_n=metric_set.knn_n() if {"pr", "dc"} & wanted else None,
        real_cached=real.cached and class_real.cached,
        real_inception_score=real.inception_score,
        metrics=values,
        not_computed=not_computed,
        class_histograms=histograms,
        seconds=time.perf_counter() - start,
        real_seconds=real_seconds,
        metric_seconds=metric_set.seconds,
        config=loaded.config.to_dict(),
        class_fids=_class_fids(metric_set.class_fids, loaded),
        memorization=memorization,
    )


def _cas(plan: Plan, images: torch.Tensor, labels: torch.Tensor, *, seed: int,
         cache: dict[tuple[str, int], float]) -> dict[str, float]:
    """CAS of the samples, and of as many real training images (computed once per evaluation)."""
    from ganzoo.evaluation.cas import classification_accuracy, real_subset

    test_images, test_labels = plan.spec.to_tensors(plan.real_dataset)
    classes = int(plan.spec.num_classes)
    values = {"cas": classification_accuracy(images, labels, test_images, test_labels, num_classes=classes, seed=seed)}
    key = (dataset_fingerprint(plan.spec, plan.train_dataset), len(images))
    if key not in cache:
        train_images, train_labels = plan.spec.to_tensors(plan.train_dataset)
        real, real_labels = real_subset(train_images, train_labels, len(images), seed=seed)
        cache[key] = classification_accuracy(real.to(images.device), real_labels.to(images.device), test_images,
                                             test_labels, num_classes=classes, seed=seed)
    values["cas_real"] = cache[key]
    return values


def training_images(spec: DatasetSpec, dataset: Any, indices: list[int]) -> torch.Tensor:
    """The training images at ``indices``, in ``[-1, 1]`` (as :func:`real_batches` yields them)."""
    if spec.to_tensors is not None and spec.fit_in_memory:
        images, _ = spec.to_tensors(dataset)
        return images[torch.tensor(indices)].float().div(127.5).sub(1.0)
    return torch.stack([torch.as_tensor(dataset[i][0]).float() for i in indices])


def memorization_panel(samples: torch.Tensor, nearest: torch.Tensor) -> bytes:
    """PNG: the samples on the top row, each one's nearest training image below it."""
    from ganzoo.sampling import grid_png

    return grid_png(torch.cat([samples.float(), nearest.float().reshape(samples.shape)]), nrow=len(samples))


def _class_fids(fids: list[float | None] | None, loaded: LoadedGenerator) -> dict[str, Any]:
    """Intra-class FID per class for ``metrics.json`` and the reports, with the weakest class."""
    if not fids:
        return {}
    names = [str(name) for name in loaded.class_names] or [str(k) for k in range(len(fids))]
    names += [str(k) for k in range(len(names), len(fids))]
    known = [(value, names[k]) for k, value in enumerate(fids) if value is not None]
    return {"classes": names[: len(fids)], "fid": fids, "weakest": max(known)[1] if known else None}
