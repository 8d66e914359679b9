"""``--profile``: where a training iteration's time goes, with ``torch.profiler``.

Profiles iterations 11 to 30 of the run (the first ten are warm-up: allocator, kernel
selection, lazy initialisation), then writes ``RUN_DIR/profile/summary.txt`` (operators
sorted by their own time, the table ``torch.profiler`` prints) and
``RUN_DIR/profile/trace.json`` (open it in https://ui.perfetto.dev or chrome://tracing).
Training goes on unprofiled afterwards. Works for any model, built-in or plugin.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

from ganzoo.hookspecs import hookimpl

WAIT, WARMUP, ACTIVE = 5, 5, 20
_profilers: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


@hookimpl
def on_train_start(trainer):
    if not trainer.config.profile:
        return
    from torch.profiler import ProfilerActivity, profile, schedule

    activities = [ProfilerActivity.CPU]
    if trainer.device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    out = trainer.run_dir / "profile"
    sort_key = "self_cuda_time_total" if trainer.device.type == "cuda" else "self_cpu_time_total"

    def write(prof: Any) -> None:
        table = prof.key_averages().table(sort_by=sort_key, row_limit=25)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "summary.txt").write_text(
                f"torch.profiler: {ACTIVE} training iterations of {trainer.config.model} "
                f"(batch {trainer.config.batch_size}, device {trainer.device}), after {WAIT + WARMUP} unprofiled\n\n{table}\n"
            )
            prof.export_chrome_trace(str(out / "trace.json"))
        except OSError as error:  # a full disk must not hide the run's own error, nor stop training
            warnings.warn(f"--profile: could not write {out}: {error}", stacklevel=1)

    profiler = profile(
        activities=activities,
        schedule=schedule(wait=WAIT, warmup=WARMUP, active=ACTIVE, repeat=1),
        on_trace_ready=write,
        record_shapes=True,
    )
    profiler.start()
    _profilers[trainer] = profiler


@hookimpl
def on_step_end(trainer):
    profiler = _profilers.get(trainer)
    if profiler is None:
        return
    profiler.step()
    if profiler.step_num >= WAIT + WARMUP + ACTIVE:
        profiler.stop()
        del _profilers[trainer]


@hookimpl
def on_train_end(trainer):
    profiler = _profilers.pop(trainer, None)
    if profiler is not None:  # the run stopped inside the profiling window
        profiler.stop()  # never leave it running: the interpreter would crash at exit
