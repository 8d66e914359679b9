"""What ``ganzoo eval`` costs, end to end and metric by metric, and whether its ± is honest.

Run from the repository root (MNIST in torchvision's layout under --data-root):

    OMP_NUM_THREADS=1 python benchmarks/bench_eval.py --data-root ../shared/datasets
    OMP_NUM_THREADS=1 python benchmarks/bench_eval.py --data-root ../shared/datasets --run runs/gan-mnist --calibrate

1. **Time** (target: under 60 s on a CPU, real statistics cached). Without ``--run`` a
   2-epoch ``gan`` on MNIST is trained first (about 15 s). Then ``ganzoo eval RUN --n N
   --device cpu`` runs as a subprocess, as a user runs it: once with a cold real-statistics
   cache (a fresh ``$GANZOO_CACHE_DIR``), then ``--rounds`` times with it warm, all default
   metrics; then once with ``--bootstrap 0`` and once with ``--metrics fid,kid,is,coverage,accuracy``
   (what ``ganzoo eval`` computed before precision/recall, density/coverage and the ±). Each
   line gives the wall time of the whole command (Python start and imports included) and
   the seconds of each metric's final computation from ``metrics.json``.
2. **Calibration** (``--calibrate``): the ± of FID and the k-NN metrics is the std over
   bootstrap resamples of one generated set. Is it the spread one would see drawing the
   samples again? Sets of ``--calibration-n`` (2000) images are compared, as ``ganzoo
   eval --n 2000`` would, with the test images (all of them for FID, 2000 of them for the
   k-NN metrics): ``--draws`` (20) disjoint sets of MNIST training images, as many of the
   classes 0-6 only (a "generator" that drops three modes), and, with ``--run``, that
   many fresh draws of the run's generator (seeds 0, 1, ...). The std of each metric over
   the sets is printed beside the mean bootstrap std of one set. A std over 20 sets is
   itself uncertain by about ±30% (95%): read the ratios as "same order", not to two digits.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = ("fid", "kid_mean", "is_mean", "precision", "recall", "density", "knn_coverage", "icfid", "classes_covered")
TIMED = ("fid", "fid_bootstrap", "kid", "is", "pr_dc", "icfid")


def eval_once(run: Path, out: Path, n: int, cache: Path, *extra: str) -> tuple[float, dict]:
    env = dict(os.environ, GANZOO_CACHE_DIR=str(cache))
    command = [sys.executable, "-c", "from ganzoo.cli import main; main()", "eval", str(run), "--n", str(n), "--device", "cpu",
               "--out", str(out), "--overwrite", *extra]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return seconds, json.loads((out / "metrics.json").read_text())["runs"][0]


def timing(args: argparse.Namespace, folder: Path) -> None:
    run = Path(args.run) if args.run else None
    if run is None:
        import ganzoo

        print("training a 2-epoch gan on MNIST for the benchmark ...", flush=True)
        run = ganzoo.train("gan", "mnist", data_root=args.data_root, epochs=2, out=folder / "gan", device="cpu").run_dir
    cache = folder / "cache"
    print(f"ganzoo eval {run} --n {args.n} --device cpu  (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})")
    header = f"{'case':44} {'wall s':>7} {'eval s':>7} " + " ".join(f"{k:>13}" for k in TIMED)
    print(header)

    def line(case: str, seconds: float, result: dict) -> None:
        timed = result.get("metric_seconds", {})
        print(f"{case:44} {seconds:7.1f} {result['seconds']:7.1f} "
              + " ".join(f"{timed[k]:13.2f}" if k in timed else f"{'-':>13}" for k in TIMED), flush=True)

    seconds, result = eval_once(run, folder / "out", args.n, cache)
    line("all default metrics, cold cache", seconds, result)
    walls = []
    for round_ in range(args.rounds):
        seconds, result = eval_once(run, folder / "out", args.n, cache)
        walls.append(seconds)
        line(f"all default metrics, cached ({round_ + 1})", seconds, result)
    seconds, plain = eval_once(run, folder / "out", args.n, cache, "--bootstrap", "0")
    line("--bootstrap 0", seconds, plain)
    seconds, before = eval_once(run, folder / "out", args.n, cache, "--metrics", "fid,kid,is,coverage,accuracy",
                                "--bootstrap", "0")
    line("--metrics fid,kid,is,coverage,accuracy -b 0", seconds, before)
    print(f"median wall time, all default metrics, cached: {statistics.median(walls):.1f} s (target: < 60 s)")
    metrics = result["metrics"]

    def value(key: str) -> str:
        std = metrics.get(key[: -len("_mean")] + "_std" if key.endswith("_mean") else key + "_std")
        return f"{key} {metrics[key]:.4g}" + ("" if std is None else f" ± {std:.2g}")

    print("values: " + ", ".join(value(k) for k in KEYS if k in metrics))


def calibrate(args: argparse.Namespace) -> None:
    import torch
    from torchvision.datasets import MNIST

    from ganzoo.evaluation.extractors import ClassifierExtractor
    from ganzoo.evaluation.frechet import Moments, bootstrap_fid, frechet_distance
    from ganzoo.evaluation.manifold import manifold_metrics
    from ganzoo.evaluation.reference import RealReference

    extractor = ClassifierExtractor("mnist").eval()

    @torch.no_grad()
    def features(images: torch.Tensor) -> torch.Tensor:
        return torch.cat([extractor(images[i : i + 1000].float().div(127.5).sub(1).unsqueeze(1))[0]
                          for i in range(0, len(images), 1000)])

    test, train = MNIST(args.data_root, train=False), MNIST(args.data_root, train=True)
    reference = RealReference(features(test.data), torch.device("cpu"))
    size, draws = args.calibration_n, args.draws
    real, radii = reference.knn_subset(size)
    order = torch.randperm(len(train.data), generator=torch.Generator().manual_seed(0))
    pool, labels = features(train.data)[order], train.targets[order]
    names = ("fid", "precision", "recall", "density", "coverage")
    if pool[labels < 7].shape[0] < draws * size:
        raise SystemExit(f"--draws {draws} x --calibration-n {size} is more than the training images of classes 0-6")
    cases = [(f"MNIST train, {draws} disjoint sets", [pool[i * size : (i + 1) * size] for i in range(draws)]),
             (f"MNIST train 0-6, {draws} disjoint", [pool[labels < 7][i * size : (i + 1) * size] for i in range(draws)])]
    if args.run:
        import ganzoo
        from ganzoo.evaluation.sources import generated_batches

        loaded = ganzoo.load_generator(args.run, device="cpu")
        with torch.no_grad():
            fresh = [torch.cat([extractor(images)[0] for images, _ in generated_batches(loaded, size, seed=seed,
                                                                                          batch_size=1000)])
                     for seed in range(draws)]
        cases.append((f"{Path(args.run).name}, {draws} fresh draws", fresh))
    print(f"{'generated sets':34} {'metric':>10} {'mean':>9} {'std over sets':>14} {'bootstrap std':>14} {'ratio':>6}")
    for case, sets in cases:
        rows = []
        for index, fake in enumerate(sets):
            moments = Moments.of(fake)
            knn = manifold_metrics(real, fake, real_radii=radii, resamples=20, seed=index)
            boot = bootstrap_fid(reference.moments(), fake, resamples=20, seed=index)
            rows.append({"fid": (frechet_distance(reference.moments(), moments.mean, moments.cov), statistics.stdev(boot)),
                         **{name: (getattr(knn, name), knn.std(name)) for name in names[1:]}})
        for name in names:
            values = [row[name][0] for row in rows]
            spread, boot = statistics.stdev(values), statistics.mean(row[name][1] for row in rows)
            print(f"{case:34} {name:>10} {statistics.mean(values):9.4g} {spread:14.3g} {boot:14.3g} "
                  f"{boot / spread if spread else float('nan'):6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--run", help="a run to evaluate [default: train a 2-epoch gan on MNIST]")
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3, help="timed evaluations with the cache warm")
    parser.add_argument("--calibrate", action="store_true", help="also check the ± against fresh sets (MNIST)")
    parser.add_argument("--no-timing", action="store_true", help="only --calibrate")
    parser.add_argument("--draws", type=int, default=20, help="--calibrate: sets of each kind")
    parser.add_argument("--calibration-n", type=int, default=2000, help="--calibrate: samples per set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-eval-") as folder:
        if not args.no_timing:
            timing(args, Path(folder))
        if args.calibrate:
            calibrate(args)


if __name__ == "__main__":
    main()
