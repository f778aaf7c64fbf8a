"""A small in-process cache of loaded trials, and the store stamps a script run asks for once.

Entries are keyed by (loader tag, store, sweep, last-update stamp, ...), so a rerun that finds the
store unchanged reuses what was loaded, and a store that changed loads afresh. No Streamlit here:
the page draws its progress bars inside the ``make`` functions it hands to the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from core.trials.load import last_update

T = TypeVar("T")


class _Cache:
    """Loaded trials by (store, sweep, last-update stamp): shared by sessions, never mutated.

    Not ``st.cache_data``: the loaders report progress to a bar on the page, and a cached
    function may not draw into an element created outside it."""

    def __init__(self, size: int = 24) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                # every key starts with a tag naming its loader, so a hit holds what ``make`` returns
                return cast(T, self._items[key])
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def peek(self, key: tuple[Any, ...]) -> Any:
        """What ``key`` holds, or None (the last load a refresh starts from)."""
        with self._lock:
            return self._items.get(key)

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = _Cache()

_RUN = threading.local()  # per script run (each session's script runs in its own thread)


def begin_run(fragment: bool = False) -> None:
    """Start a script run, or a fragment's own rerun: forget the stamps the previous run asked
    for (a fragment called within a full run keeps that run's)."""
    if fragment and getattr(_RUN, "full_run", False):
        _RUN.full_run = False
        return
    _RUN.stamps = {}
    _RUN.full_run = not fragment


def stamp_of(uri: str, experiment_id: str) -> str:
    """The store's last-update stamp, asked once per run (a run needs it several times)."""
    stamps: dict[tuple[str, str], str] | None = getattr(_RUN, "stamps", None)
    if stamps is not None and (uri, experiment_id) in stamps:
        return stamps[(uri, experiment_id)]
    stamp = last_update(uri, experiment_id)
    if stamps is not None:
        stamps[(uri, experiment_id)] = stamp
    return stamp
