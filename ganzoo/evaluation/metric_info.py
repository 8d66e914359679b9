"""How each value of ``metrics.json`` is labelled and read: the one source of the
explanations that report.md, report.html and ``ganzoo eval``'s table show."""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo.evaluation.memorization import MIFID_EPS
from ganzoo.evaluation.metrics import (
    COVERAGE_FRACTION,
    IS_SPLITS,
    KID_SUBSET_SIZE,
    KID_SUBSETS,
)


@dataclass(frozen=True)
class MetricInfo:
    """How a value in ``metrics.json`` is labelled and read in the reports."""

    label: str
    higher_is_better: bool
    meaning: str


BOOTSTRAP_MEANS = ("± is the std over the bootstrap resamples of the generated samples (drawn with replacement), "
                   "the real images fixed")

# key in metrics.json -> how to read it. A key's spread, ``KEY_std`` (``kid_std`` for
# ``kid_mean``), is shown after it as ``±``.
RESULTS: dict[str, MetricInfo] = {
    "fid": MetricInfo(
        "FID", False,
        "Fréchet distance between Gaussians fitted to the extractor's features of the generated and the "
        "held-out real images: image quality and diversity in one number; 0 for identical statistics. "
        f"{BOOTSTRAP_MEANS}.",
    ),
    "kid_mean": MetricInfo(
        "KID", False,
        f"squared MMD between the same features with a cubic polynomial kernel, mean ± std over {KID_SUBSETS} "
        f"subsets of up to {KID_SUBSET_SIZE} (torchmetrics': the spread of one subset's estimate, wider than the "
        "uncertainty of the mean); unbiased, so about 0 (even slightly negative) for matching "
        "distributions, and fairer than FID for small n.",
    ),
    "is_mean": MetricInfo(
        "IS", True,
        f"Inception Score, exp(E[KL(p(y|x) || p(y))]) of the extractor's class probabilities, mean ± std over "
        f"{IS_SPLITS} splits: high when each sample is clearly one class and all classes appear; at most the "
        "number of classes (10 for the domain classifiers). Compare with the real test images' IS.",
    ),
    "precision": MetricInfo(
        "precision", True,
        "improved precision (Kynkäänniemi et al. 2019, k=3): the share of generated samples inside the real "
        "manifold (the union of balls around real samples reaching to their 3rd nearest real neighbour), on the "
        f"extractor's features: are the samples realistic? 0 to 1; {BOOTSTRAP_MEANS}.",
    ),
    "recall": MetricInfo(
        "recall", True,
        "improved recall (k=3): the share of real samples inside the generated manifold: is the real variety "
        f"reproduced? Low recall with high precision is mode collapse. 0 to 1; {BOOTSTRAP_MEANS}, each sample "
        "keeping its ball.",
    ),
    "density": MetricInfo(
        "density", True,
        "density (Naeem et al. 2020, k=5): how many real samples' balls (to their 5th nearest real neighbour) "
        "hold a generated sample, on average, divided by 5: about 1 when the distributions match, above 1 when "
        f"samples crowd where real data is dense; unlike precision, not fooled by real outliers; {BOOTSTRAP_MEANS}.",
    ),
    "knn_coverage": MetricInfo(
        "k-NN coverage", True,
        "coverage (Naeem et al. 2020, k=5): the share of real samples whose ball holds at least one generated "
        "sample: how much of the real data is reproduced, robust to outliers; about 1 - 2^-5 = 0.97 for two "
        f"samples of equal size from one distribution. Not the class coverage below; {BOOTSTRAP_MEANS}, each sample "
        "keeping its ball.",
    ),
    "icfid": MetricInfo(
        "intra-class FID", False,
        "conditional models only: the FID of each class's samples (the class asked for) against the real test "
        "images of that class (their true labels), averaged over the classes: a class the generator draws badly "
        "shows here even when the overall FID is good. Per class in report.md and metrics.json.",
    ),
    "icfid_worst": MetricInfo(
        "weakest class (its FID)", False,
        "the class with the highest intra-class FID, and that FID.",
    ),
    "memorization_ratio": MetricInfo(
        "memorization ratio", True,
        "the mean Euclidean distance (extractor features) of each sample to its nearest TRAINING image, divided by "
        "the same mean for the real test images: about 1 when the samples are as far from the training set as new "
        "real images are, well below 1 when the generator copies training images (0: exact copies). Above 1 is not "
        "better in itself: samples off the data manifold are far from everything.",
    ),
    "memorization_distance": MetricInfo(
        "memorization distance", True,
        "MiFID's memorization distance: the mean over samples of 1 - |cosine similarity| to the nearest training "
        f"image (features); below {MIFID_EPS:g} it divides the FID (MiFID).",
    ),
    "mifid": MetricInfo(
        "MiFID", False,
        "memorization-informed FID (Bai et al. 2021, torchmetrics' formula on these features): FID / memorization "
        f"distance when that distance is below {MIFID_EPS:g}, else FID itself; a generator that copies the "
        "training set gets a FID multiplied many times.",
    ),
    "cas": MetricInfo(
        "CAS", True,
        "Classification Accuracy Score (Ravuri & Vinyals 2019), conditional models only: the real test accuracy of "
        "a classifier of the domain classifier's architecture trained for a few epochs on the n samples, labelled "
        "with the class asked for. Read it against the next row.",
    ),
    "cas_real": MetricInfo(
        "CAS of n real images", True,
        "the same classifier trained the same way on n real training images: what samples as good as real data "
        "would score.",
    ),
    "classes_covered": MetricInfo(
        "classes covered", True,
        f"classes that receive at least {COVERAGE_FRACTION:g} of their share of the real test images among the "
        "samples, as predicted by the dataset's classifier: a low count is mode collapse.",
    ),
    "class_tv": MetricInfo(
        "class TV", False,
        "total-variation distance between the predicted-class histogram of the samples and that of the real "
        "test images (0 = same class balance, 1 = disjoint).",
    ),
    "conditional_accuracy": MetricInfo(
        "conditional accuracy", True,
        "conditional models only: how often the classifier sees the class that was asked for.",
    ),
}
