"""Multi-process data-parallel training on PyTorch's own engine (torchrun + DDP).

``torchrun --nproc-per-node N -m ganzoo run ...`` starts N copies of ganzoo; each finds
its rank in the environment torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``...) and joins the process group: NCCL on CUDA (one GPU per process,
``cuda:LOCAL_RANK``), gloo on CPU. Nothing else changes for the user.

How the work is split, so that N processes with ``--batch-size B`` learn what one
process with batch ``N * B`` learns:

* every process draws the same epoch order and the same global batch of noise (shared
  seeds) and takes its own slice of both; gradients are averaged by DDP, which is the
  gradient of the global batch's mean loss;
* the global RNG (dropout masks) is seeded per rank, from the run seed;
* only rank 0 writes the run directory (config, log, grids, checkpoints) and calls the
  lifecycle hooks; logged metrics are averaged over the ranks;
* BatchNorm in G uses the statistics of the global batch (SyncBatchNorm) on CUDA; gloo
  has no SyncBatchNorm on CPU, so there each process normalises over its own slice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Distributed:
    """Where this process stands in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def all_reduce_mean(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
            tensor /= self.world_size
        return tensor

    def any(self, flag: bool, device: torch.device) -> bool:
        """True on every rank if ``flag`` is true on at least one (e.g. a stop request)."""
        if not self.enabled:
            return flag
        value = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item())

    def all_gather_objects(self, obj: object) -> list[object]:
        if not self.enabled:
            return [obj]
        gathered: list[object] = [None] * self.world_size
        dist.all_gather_object(gathered, obj)
        return gathered


SINGLE = Distributed()
_joined_here = False  # whether ganzoo created the process group (and so destroys it)


def from_environment(device_type: str) -> Distributed:
    """Join the process group torchrun describes in the environment (once), or run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return SINGLE
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        global _joined_here
        backend = "nccl" if device_type == "cuda" else "gloo"
        if device_type == "cuda":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
        _joined_here = True
    return Distributed(rank=rank, world_size=world_size, local_rank=local_rank)


def shutdown() -> None:
    """Leave the process group if ganzoo joined it (a user's own group is left alone)."""
    global _joined_here
    if _joined_here and dist.is_initialized():
        dist.destroy_process_group()
        _joined_here = False
