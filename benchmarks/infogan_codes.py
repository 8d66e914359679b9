"""Does InfoGAN's categorical code end up meaning the digit? Measured with the shipped classifier.

For each value c of a trained run's categorical code, draws ``--n`` samples with that code
(the continuous codes and the noise drawn as in training), classifies them with the
dataset's shipped classifier, and prints the code -> class table. Two summaries:

* purity: the share of samples whose class is the most frequent class of their code;
* one-to-one accuracy: the share of samples whose class is the class matched to their
  code by the best one-to-one assignment of codes to classes (the usual "unsupervised
  classification accuracy"; Chen et al. 2016 report 5% error, i.e. 95%, on MNIST).

    python benchmarks/infogan_codes.py runs/infogan-mnist --n 1000
"""

from __future__ import annotations

import argparse
import itertools
import sys

import torch

import ganzoo
from ganzoo.evaluation.classifier import load_classifier


def best_assignment(counts: torch.Tensor) -> tuple[list[int], int]:
    """The code -> class assignment (a permutation) with the most samples on the diagonal:
    Hungarian through scipy when installed, else an exhaustive search for up to 8 codes."""
    try:
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(-counts.numpy())
        return [int(c) for _, c in sorted(zip(rows, cols))], int(counts[rows, cols].sum())
    except ImportError:
        if counts.shape[0] > 8:
            sys.exit("error: more than 8 codes need scipy for the assignment (pip install scipy)")
        best = max(itertools.permutations(range(counts.shape[1]), counts.shape[0]),
                   key=lambda p: sum(int(counts[i, c]) for i, c in enumerate(p)))
        return list(best), sum(int(counts[i, c]) for i, c in enumerate(best))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--n", type=int, default=1000, help="samples per code value")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    loaded = ganzoo.load_generator(args.run, device="cpu")
    objective = loaded.objective
    if not hasattr(objective, "codes") or not getattr(objective, "categorical", 0):
        sys.exit(f"error: {args.run} is not a run with a categorical code (its objective is {loaded.config.objective!r})")
    classifier, _ = load_classifier(loaded.config.dataset)
    rng = torch.Generator().manual_seed(args.seed)
    counts = torch.zeros(objective.categorical, classifier.num_classes, dtype=torch.long)
    with torch.no_grad():
        for code in range(objective.categorical):
            z = torch.randn(args.n, loaded.config.z_dim, generator=rng)
            _, continuous = objective.codes(args.n, rng, z.device)
            images = loaded.generator(objective.with_codes(z, torch.full((args.n,), code), continuous), None)
            predicted = classifier(images.float())[1].argmax(1)
            counts[code] = torch.bincount(predicted, minlength=classifier.num_classes)
    total = int(counts.sum())
    purity = int(counts.max(1).values.sum()) / total
    assignment, matched = best_assignment(counts)
    print(f"{args.run}: {objective.categorical} code values x {args.n} samples, classified by the {loaded.config.dataset} "
          "classifier")
    print("| code | " + " | ".join(str(c) for c in range(classifier.num_classes)) + " | matched class |")
    print("| --- | " + " | ".join("---:" for _ in range(classifier.num_classes)) + " | ---: |")
    for code in range(objective.categorical):
        print(f"| {code} | " + " | ".join(str(int(v)) for v in counts[code]) + f" | {assignment[code]} |")
    print(f"purity {purity:.3f}; one-to-one accuracy {matched / total:.3f}; classes matched by no code: "
          f"{sorted(set(range(classifier.num_classes)) - set(assignment)) or 'none'}")


if __name__ == "__main__":
    main()
