"""Work the page starts and does not wait for (hyperparameter importance), kept by key.

One worker thread: the page's own script runs keep the other core. A job is submitted once per
key and its result (or its error) kept, so asking again, from any rerun or session, never
recomputes it; the page shows it when :meth:`Jobs.peek` says it is done.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from typing import Any


class Jobs:
    """Background jobs by key: submitted once, results kept (the oldest dropped past ``size``)."""

    def __init__(self, size: int = 64) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trials-background")
        self._futures: OrderedDict[Hashable, Future[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self.started = 0  # jobs started so far (a rerun that finds its job started adds none)

    def submit(self, key: Hashable, work: Callable[[], Any]) -> Future[Any]:
        """The job for ``key``: started now unless it was started before (done or not)."""
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                future = self._futures[key] = self._pool.submit(work)
                self.started += 1
                while len(self._futures) > self._size:
                    self._futures.popitem(last=False)
            else:
                self._futures.move_to_end(key)
            return future

    def peek(self, key: Hashable) -> Future[Any] | None:
        with self._lock:
            return self._futures.get(key)

    def wait(self, timeout: float | None = None) -> None:
        """Until every job started so far is done (benchmarks and tests)."""
        with self._lock:
            pending = list(self._futures.values())
        wait_all(pending, timeout=timeout)

    def clear(self) -> None:
        with self._lock:
            self._futures.clear()


JOBS = Jobs()
