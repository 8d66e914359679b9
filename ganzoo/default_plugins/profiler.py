"""``--profile``: where a training iteration's time goes, with ``torch.profiler``.

Profiles iterations 11 to 30 of the run (the first ten are warm-up: allocator, kernel
selection, lazy initialisation), then writes ``RUN_DIR/profile/summary.txt`` (operators
sorted by their own time, the table ``torch.profiler`` prints) and
``RUN_DIR/profile/trace.json`` (open it in https://ui.perfetto.dev or chrome://tracing).
Training goes on unprofiled afterwards. Works for any model, built-in or plugin.
"""

from __future__ import annotations

import warnings
from typing import Any

from ganzoo.hookspecs import hookimpl
from ganzoo.options import Option

WAIT, WARMUP, ACTIVE = 5, 5, 20


@hookimpl
def register_options(register):
    register("profile", Option(
        bool, False, "Profile iterations 11-30 with torch.profiler into RUN_DIR/profile/ (summary.txt, trace.json).",
        resumable=True,
    ))


@hookimpl
def make_run_plugins(run):
    return Profiler() if run.options["profile"] else None


class Profiler:
    """One run's torch.profiler, running from ``on_train_start`` to the end of its window."""

    profiler: Any = None

    @hookimpl
    def on_train_start(self, run):
        from torch.profiler import ProfilerActivity, profile, schedule

        activities = [ProfilerActivity.CPU]
        if run.device.type == "cuda":
            activities.append(ProfilerActivity.CUDA)
        out = run.run_dir / "profile"
        sort_key = "self_cuda_time_total" if run.device.type == "cuda" else "self_cpu_time_total"

        def write(prof: Any) -> None:
            table = prof.key_averages().table(sort_by=sort_key, row_limit=25)
            try:
                out.mkdir(parents=True, exist_ok=True)
                (out / "summary.txt").write_text(
                    f"torch.profiler: {ACTIVE} training iterations of {run.config.model} "
                    f"(batch {run.config.batch_size}, device {run.device}), after {WAIT + WARMUP} unprofiled\n\n{table}\n"
                )
                prof.export_chrome_trace(str(out / "trace.json"))
            except OSError as error:  # a full disk must not hide the run's own error, nor stop training
                warnings.warn(f"--profile: could not write {out}: {error}", stacklevel=1)

        self.profiler = profile(
            activities=activities,
            schedule=schedule(wait=WAIT, warmup=WARMUP, active=ACTIVE, repeat=1),
            on_trace_ready=write,
            record_shapes=True,
        )
        self.profiler.start()

    @hookimpl
    def on_step_end(self):
        if self.profiler is None:
            return
        self.profiler.step()
        if self.profiler.step_num >= WAIT + WARMUP + ACTIVE:
            self.profiler.stop()
            self.profiler = None

    @hookimpl
    def on_train_end(self):
        if self.profiler is not None:  # the run stopped inside the profiling window
            self.profiler.stop()  # never leave it running: the interpreter would crash at exit
            self.profiler = None
