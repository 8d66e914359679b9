"""Is speed traded for quality? ganzoo's fast training path against the straightforward one.

Run from the repository root (MNIST in torchvision's layout under --data-root):

    python benchmarks/quality_paths.py --data-root ../shared/datasets --epochs 10 --seeds 0 1

Trains the same recipe (``gan`` by default) for the same epochs, once per seed on each path,
then evaluates every run the same way (``ganzoo eval``'s pipeline: 10,000 samples, the
dataset's classifier as feature extractor) and prints the metrics side by side:

* **fast**: ``ganzoo run`` as it is: the training split kept as one uint8 tensor on the
  device and sliced per step, real and fake through D in one pass when D allows it, fused
  Adam, ``ganzoo.layers``' Tanh and Dropout, losses copied to the host every ``--log-every`` iterations;
* **straightforward**: the same engine and recipe, but the data through a torchvision
  ``DataLoader`` with ``ToTensor`` + ``Normalize`` per image, D on the real and the fake
  batch in two passes, ``foreach`` Adam, ``torch.nn``'s ``Tanh`` and ``Dropout`` instead
  of ``ganzoo.layers``', and the losses copied to the host every step.

Both paths see the same epoch order and the same noise (same seeds), so they differ only
by floating-point rounding, which GAN training amplifies into different samples. The
question is whether the gap between the paths is within the gap between two seeds of the
same path (run-to-run noise). This is a benchmark, not a test: it trains for minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

import ganzoo
from ganzoo import layers
from ganzoo.config import resolve_config
from ganzoo.data import LoaderBatches
from ganzoo.training import Trainer
from ganzoo.evaluation.pipeline import evaluate
from ganzoo.rundir import prepare_new_run_dir, write_config


class StraightforwardTrainer(Trainer):
    """The textbook loop on ganzoo's engine: what the fast path is compared with. Built
    as the fast one, then its data path, D's passes, layers and optimizers are swapped."""

    def __init__(self, config, run_dir, **kwargs) -> None:
        super().__init__(config, run_dir, **kwargs)
        from torchvision import datasets, transforms

        parts = self.parts
        folder = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[config.dataset]
        per_image = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
        dataset = folder(config.data_root, train=True, transform=per_image, download=False)
        parts.data.batches = LoaderBatches(dataset, config.batch_size, self.device, num_workers=0)
        parts.joint_forward = False  # two passes of D
        use_torch_layers(parts.generator)
        use_torch_layers(parts.discriminator)
        options = dict(lr=config.lr, betas=tuple(config.betas), foreach=True)
        parts.optimizer_g = torch.optim.Adam(parts.generator.parameters(), **options)
        parts.optimizer_d = torch.optim.Adam(parts.discriminator.parameters(), **options)

    def train_iteration(self, batches):
        metrics = super().train_iteration(batches)
        metrics["loss_d"].item(), metrics["loss_g"].item()  # a host sync every step
        return metrics


def use_torch_layers(module: torch.nn.Module) -> None:
    """Swap ``ganzoo.layers``' Tanh and Dropout back for ``torch.nn``'s, in place."""
    for name, child in module.named_children():
        if isinstance(child, layers.Tanh):
            setattr(module, name, torch.nn.Tanh())
        elif isinstance(child, layers.Dropout):
            setattr(module, name, torch.nn.Dropout(child.p))
        else:
            use_torch_layers(child)


def train(path: str, model: str, dataset: str, seed: int, epochs: int, root: str, out: Path,
          preset: str | None = None) -> tuple[Path, float]:
    config = resolve_config(ganzoo.get_zoo(), model, dataset, preset=preset, seed=seed, epochs=epochs, data_root=root,
                            device="cpu")
    run_dir = out / f"{path}-seed{seed}"
    trainer = (Trainer if path == "fast" else StraightforwardTrainer)(config, run_dir)
    prepare_new_run_dir(run_dir, overwrite=True)
    write_config(run_dir, config.to_dict())
    start = time.perf_counter()
    trainer.fit()
    return run_dir, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=os.environ.get("GANZOO_DATA_ROOT", "../shared/datasets"))
    parser.add_argument("--model", default="gan")
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", type=Path, default=None, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--paths", nargs="+", default=["fast", "straightforward"], choices=["fast", "straightforward"])
    args = parser.parse_args()
    root = str(Path(args.data_root).resolve())

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        rows = []
        for path in args.paths:
            for seed in args.seeds:
                run_dir, seconds = train(path, args.model, args.dataset, seed, args.epochs, root, out)
                report = evaluate(run_dir, device="cpu", write=False)
                metrics = report.runs[0].metrics
                rows.append((path, seed, seconds, metrics))
                print(f"{path:16s} seed {seed}: {seconds:7.1f} s  FID {metrics['fid']:8.2f}  IS {metrics['is_mean']:5.2f}  "
                      f"classes {metrics['classes_covered']}/10  class TV {metrics['class_tv']:.3f}", flush=True)

    fid = {(p, s): m["fid"] for p, s, _, m in rows}
    for path in args.paths:
        values = [fid[path, s] for s in args.seeds]
        if len(values) > 1:
            print(f"run-to-run spread of FID on the {path} path: {min(values):.2f} .. {max(values):.2f}")
    if len(args.paths) == 2:
        for seed in args.seeds:
            print(f"seed {seed}: FID fast {fid['fast', seed]:.2f} vs straightforward {fid['straightforward', seed]:.2f}")


if __name__ == "__main__":
    sys.exit(main())
