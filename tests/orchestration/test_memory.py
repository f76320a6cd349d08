"""Memory handed back between a run's steps (orchestration.memory)."""

from __future__ import annotations

import psutil

from orchestration.memory import (
    release_memory,
    release_memory_hook,
    release_memory_if_grown,
    resident_bytes,
)
from orchestration.ml import model_retraining_job
from orchestration.schedules import (
    daily_pipeline_job,
    full_pipeline_job,
    spark_daily_pipeline_job,
    spark_full_pipeline_job,
)


def test_freed_heap_pages_go_back_to_the_system() -> None:
    process = psutil.Process()
    # 64 KiB blocks come from the C heap (below malloc's mmap threshold); every eighth stays
    # alive, so the freed ones sit between live blocks, where the heap never shrinks by itself.
    blocks = [bytearray(b"x" * 65536) for _ in range(6000)]
    kept = blocks[::8]
    del blocks
    held = process.memory_info().rss
    assert release_memory() is True  # glibc, as on every machine the project runs on
    released = held - process.memory_info().rss
    assert released > 150 * 1024 * 1024, f"only {released / 2**20:.0f} MiB handed back"
    assert len(kept) == 750


def test_a_step_that_left_the_process_no_larger_does_not_release() -> None:
    release_memory_if_grown(threshold=0)  # a release now: the baseline is this size
    assert release_memory_if_grown(threshold=256 << 20) is False
    # A step that held 400 MiB and dropped it: the freed pages stay mapped until released.
    blocks = [bytearray(b"x" * 65536) for _ in range(6400)]
    kept = blocks[::8]
    del blocks
    held = resident_bytes()
    assert release_memory_if_grown(threshold=256 << 20) is True
    assert held - resident_bytes() > 150 * 1024 * 1024
    assert release_memory_if_grown(threshold=256 << 20) is False  # nothing grew since
    assert len(kept) == 800


def test_every_pipeline_job_releases_memory_after_its_steps() -> None:
    jobs = (
        daily_pipeline_job,
        full_pipeline_job,
        spark_daily_pipeline_job,
        spark_full_pipeline_job,
        model_retraining_job,
    )
    for job in jobs:
        assert release_memory_hook in job.hooks, job.name
