"""The search behind the `gan` recipe's defaults (docs/models.md, "How the gan recipe was chosen").

Each candidate is the `gan` model (an MLP generator and discriminator) with other widths,
normalisation, loss or regulariser; each is trained with several seeds, ``--parallel`` runs at
a time on one CPU thread each, then evaluated with ``ganzoo eval``'s pipeline (10,000
samples, the dataset's classifier). Prints one row per candidate: FID, KID, precision,
recall, classes covered, class TV as mean ± std over the seeds, and training time.

    python benchmarks/gan_recipe_search.py --data-root ../shared/datasets --epochs 20 --seeds 0,1,2

The candidates are registered as recipes named ``search-NAME`` by a plugin object in this
process, and trained in forked worker processes that inherit it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import ganzoo
from ganzoo.recipes import ModelRecipe

# Every candidate names its G and D in full, so that the table stays reproducible when the
# `gan` recipe changes. SMALL: the 0.1 and 0.2 recipes' 256-256 MLPs; BIG: the 0.3 default.
SMALL_G = {"hidden": [256, 256], "activation": "leaky_relu", "batch_norm": True}
SMALL_D = {"hidden": [256, 256], "dropout": 0.0}
SMALL_D_MBSTD = {**SMALL_D, "minibatch_std": True}
BIG_G = {"hidden": [128, 256, 512, 1024], "activation": "leaky_relu", "batch_norm": True}
BIG_D = {"hidden": [512, 512, 512], "dropout": 0.4, "minibatch_std": True}
WIDE_G = {"hidden": [256, 512, 1024], "activation": "leaky_relu", "batch_norm": True}
WIDE_D = {"hidden": [1024, 512, 256], "dropout": 0.3}


def _nets(generator: dict, discriminator: dict, **fields) -> dict:
    return {"generator_kwargs": generator, "discriminator_kwargs": discriminator, **fields}


# name -> (recipe fields, hyperparameters beyond the gan recipe's)
CANDIDATES: dict[str, tuple[dict, dict]] = {
    "base": (_nets(SMALL_G, SMALL_D), {}),
    "mbstd": (_nets(SMALL_G, SMALL_D_MBSTD), {}),
    "mbstd-r1": (_nets(SMALL_G, SMALL_D_MBSTD), {"regularizers": ["r1"]}),
    "mbstd-r2": (_nets(SMALL_G, SMALL_D_MBSTD), {"regularizers": ["r2"]}),
    "mbstd-dropout": (_nets(SMALL_G, {**SMALL_D_MBSTD, "dropout": 0.3}), {}),
    "big": (_nets(BIG_G, BIG_D), {}),
    "big-eps0.8": (_nets({**BIG_G, "batch_norm_eps": 0.8}, BIG_D), {}),
    "big-b128": (_nets(BIG_G, BIG_D), {"batch_size": 128}),
    "big-b128-lr3": (_nets(BIG_G, BIG_D), {"batch_size": 128, "lr": 3e-4}),
    "big-b128-lr4": (_nets(BIG_G, BIG_D), {"batch_size": 128, "lr": 4e-4}),
    "big-g-mid-d": (_nets(BIG_G, {**BIG_D, "hidden": [512, 256]}), {}),
    "mid-g-mid-d": (_nets({**BIG_G, "hidden": [256, 512]}, {**BIG_D, "hidden": [512, 256]}), {}),
    "wide": (_nets(WIDE_G, WIDE_D), {}),
    "wide-mbstd": (_nets(WIDE_G, {**WIDE_D, "minibatch_std": True}), {}),
    "wide-sn": (_nets(WIDE_G, {**WIDE_D, "spectral_norm": True}), {}),
    "wide-sn-hinge": (_nets(WIDE_G, {**WIDE_D, "spectral_norm": True}, loss="hinge"), {}),
    "wide-ttur": (_nets(WIDE_G, WIDE_D), {"lr_d": 4e-4, "lr_g": 1e-4}),
}


class SearchRecipes:
    """Registers every candidate as the recipe ``search-NAME``."""

    @ganzoo.hookimpl
    def register_models(self, register):
        from ganzoo_gan import GAN

        for name, (fields, hyperparameters) in CANDIDATES.items():
            recipe = ModelRecipe(
                name=f"search-{name}", generator=GAN.generator, discriminator=GAN.discriminator,
                loss=fields.get("loss", GAN.loss), conditioning=GAN.conditioning,
                hyperparameters={**GAN.hyperparameters, **hyperparameters},
                generator_kwargs=fields["generator_kwargs"], discriminator_kwargs=fields["discriminator_kwargs"],
            )
            register(f"search-{name}", recipe)


def train_one(job: tuple[str, int, str, int, str]) -> tuple[str, int, float, str]:
    name, seed, root, epochs, out = job
    import torch

    torch.set_num_threads(1)
    run_dir = Path(out) / f"{name}-s{seed}"
    if (run_dir / "checkpoints" / f"epoch-{epochs:04d}.pt").exists():
        return name, seed, json.loads((run_dir / "train_seconds.json").read_text())["seconds"], "skipped"
    start = time.perf_counter()
    try:
        ganzoo.train(f"search-{name}", "mnist", out=run_dir, overwrite=True, seed=seed, epochs=epochs, data_root=root,
                     device="cpu")
    except Exception as error:  # noqa: BLE001 - reported in the table, the others go on
        return name, seed, 0.0, f"failed: {error}"
    seconds = time.perf_counter() - start
    (run_dir / "train_seconds.json").write_text(json.dumps({"seconds": seconds}))
    return name, seed, seconds, "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--n", type=int, default=10000, help="samples per run for the evaluation")
    parser.add_argument("--out", default="runs/gan-search")
    args = parser.parse_args()
    names = [c for c in args.candidates.split(",") if c]
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        sys.exit(f"error: unknown candidate(s) {', '.join(unknown)}; known: {', '.join(CANDIDATES)}")
    seeds = [int(s) for s in args.seeds.split(",")]
    ganzoo.register_plugin(SearchRecipes(), name="gan-recipe-search")
    jobs = [(name, seed, args.data_root, args.epochs, args.out) for name in names for seed in seeds]
    with multiprocessing.get_context("fork").Pool(args.parallel) as pool:
        results = pool.map(train_one, jobs, chunksize=1)
    from ganzoo.evaluation.pipeline import evaluate

    table = {}
    for name, seed, seconds, status in results:
        if status.startswith("failed"):
            print(f"{name} seed {seed}: {status}", file=sys.stderr)
            continue
        run_dir = Path(args.out) / f"{name}-s{seed}"
        report = evaluate([run_dir], n=args.n, device="cpu", write=False)
        metrics = report.runs[0].metrics
        row = table.setdefault(name, {"seconds": []})
        row["seconds"].append(seconds)
        for key in ("fid", "kid_mean", "precision", "recall", "classes_covered", "class_tv"):
            if key in metrics:
                row.setdefault(key, []).append(float(metrics[key]))
    print(f"gan recipe candidates, MNIST, {args.epochs} epochs, seeds {args.seeds}, {args.n} samples each; "
          "mean ± std over seeds")
    keys = ["fid", "kid_mean", "precision", "recall", "classes_covered", "class_tv", "seconds"]
    print("| candidate | " + " | ".join(keys) + " |")
    print("| --- | " + " | ".join("---:" for _ in keys) + " |")
    for name in names:
        row = table.get(name, {})
        cells = []
        for key in keys:
            values = row.get(key, [])
            if not values:
                cells.append("-")
                continue
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            digits = 3 if key in ("precision", "recall", "class_tv") else 1
            cells.append(f"{statistics.fmean(values):.{digits}f} ± {spread:.{digits}f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    (Path(args.out) / "search.json").write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
