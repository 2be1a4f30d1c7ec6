"""Extraction in worker processes for `ingest --workers N` (issue 14): the parent reads, looks up and stores;
the workers only turn sources into passages (spaCy, dates, the ONNX sentence encoder), which is where ingest
spends its CPU.

Workers are started with 'forkserver' (else 'spawn'), never plain 'fork': the parent has a writer thread and may
hold an Elasticsearch client, and forking a process that runs threads (or has created an ONNX session) can
deadlock the child. Each worker loads spaCy and the encoder once, in the pool initializer, with the encoder's
intra-op threads set so that workers x threads <= cores. Workers ignore Ctrl-C: the parent decides what happens
(it stops them); a worker whose parent is gone (kill -9) ends itself within a second. A worker that dies (killed,
out of memory) breaks the pool: the batches then in it are reported as failed, a new pool is started and ingest
goes on; a pool that keeps dying stops the ingest.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Optional

WORKER_LOST = ("extraction failed: an extraction worker process ended unexpectedly; not stored (re-run the "
               "ingest to store it)")
PARENT_CHECK_SECONDS = 1.0
STOP_SECONDS = 5.0  # how long a stop waits for each killed worker, and for the executor's manager thread
MAX_BROKEN_POOLS = 3  # pools in a row that died before finishing a batch: something kills every worker


class PoolFailed(Exception):
    """The extraction workers keep dying: the ingest cannot go on."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _alive(pid: int) -> bool:
    """True while process `pid` runs (a zombie, killed and not yet reaped, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True


def _watch_parent(parent_pid: int) -> None:
    """End this worker when the ingesting process is gone (kill -9, a crash): the worker's parent is the fork
    server, and it would otherwise wait on the task queue for ever, holding its models in memory."""
    while _alive(parent_pid):
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _start_worker(environ: dict[str, str], encoder_threads: int, parent_pid: int) -> None:
    """Pool initializer: the parent's FACTCHECK_* settings (as they are now, not when the fork server started),
    encoder threads for this share of the cores, and the models loaded once for every batch to come."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()
    for name in [name for name in os.environ if name.startswith("FACTCHECK_")]:
        del os.environ[name]
    os.environ.update(environ)
    os.environ.setdefault("FACTCHECK_ENCODER_THREADS", str(encoder_threads))
    try:
        from .extract import claims, encoder, nlp

        nlp.get_nlp()
        encoder.available()
        claims.model()
    except Exception:  # noqa: BLE001 - as in-process: the same error then fails each source that needs it
        pass


def _extract(sources: list) -> list:
    """Worker side of one batch: `extract.extract_sources` (one encoder call for the batch)."""
    from . import extract

    return extract.extract_sources(sources)


class ExtractionPool:
    """`workers` processes extracting batches of sources; results are taken in the order batches were given."""

    def __init__(self, workers: int):
        self.workers = workers
        self.in_flight = workers + 1  # batches submitted and not yet stored: one queued per worker, plus one
        self.encoder_threads = max(1, available_cores() // workers)
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.executor: Optional[ProcessPoolExecutor] = None
        self.broken_in_a_row = 0
        self.failed = PoolFailed  # what `submit` raises when the workers keep dying

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            environ = {name: value for name, value in os.environ.items() if name.startswith("FACTCHECK_")}
            self.executor = ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=_start_worker,
                                                initargs=(environ, self.encoder_threads, os.getpid()))
        return self.executor

    def submit(self, sources: list) -> Future:
        """Queue one batch's extraction; a broken pool is replaced first (PoolFailed when they keep breaking)."""
        try:
            return self._executor().submit(_extract, sources)
        except BrokenProcessPool:
            self._replace()
            return self._executor().submit(_extract, sources)

    def result(self, future: Future) -> tuple[Optional[list], Optional[str]]:
        """(the batch's `Extracted` list, None), or (None, the reason every source of the batch failed)."""
        try:
            extracted = self._wait(future)
        except BrokenProcessPool:
            return None, WORKER_LOST
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be sent back: this batch only
            return None, f"extraction failed: {type(exc).__name__}: {exc}"
        self.broken_in_a_row = 0
        return extracted, None

    def _wait(self, future: Future) -> list:
        """future.result(); but a pool with a worker dead for STOP_SECONDS is stopped, which fails its batches. The
        executor sees a dead worker at once, unless it died while sending its result: it then waits for the rest
        of that result for ever."""
        dead_since = None
        while True:
            try:
                return future.result(timeout=PARENT_CHECK_SECONDS)
            except TimeoutError:
                if future.done():  # the batch itself raised TimeoutError
                    raise
            processes = list((getattr(self.executor, "_processes", None) or {}).values())
            if all(process.is_alive() for process in processes):
                dead_since = None
            elif dead_since is None:
                dead_since = time.monotonic()
            elif time.monotonic() - dead_since >= STOP_SECONDS:
                self.broken_in_a_row += 1
                self._stop(kill=True)
                if not future.done():
                    raise BrokenProcessPool("the pool was stopped")
                return future.result()

    def _replace(self) -> None:
        self.broken_in_a_row += 1
        self._stop(kill=True)
        if self.broken_in_a_row >= MAX_BROKEN_POOLS:
            raise PoolFailed(f"the extraction workers ended unexpectedly {self.broken_in_a_row} times in a row "
                             "without finishing a batch")

    def _stop(self, kill: bool) -> None:
        executor, self.executor = self.executor, None
        if executor is None:
            return
        if not kill:
            executor.shutdown(wait=True)
            return
        # Ctrl-C, an error, a broken pool: do not wait for the batches being extracted. The executor offers no
        # way to stop running tasks before Python 3.14 (terminate_workers), so its workers are killed here.
        processes = list((getattr(executor, "_processes", None) or {}).values())
        results = getattr(executor, "_result_queue", None)
        manager = getattr(executor, "_executor_manager_thread", None)
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(STOP_SECONDS)
        # A worker killed while sending its result leaves part of it in the result pipe, and the executor's
        # manager thread waits for the rest for ever; Python's exit joins that thread, so the process would
        # hang after Ctrl-C. With the workers gone, closing this process's end for writing ends that read
        # (end of file: the executor takes the pool as broken and cleans up).
        if results is not None:
            results._writer.close()
        if manager is not None:
            manager.join(STOP_SECONDS)

    def close(self, kill: bool = False) -> None:
        """Stop the workers: after the last batch (kill=False), or at once (Ctrl-C, an error)."""
        self._stop(kill)
