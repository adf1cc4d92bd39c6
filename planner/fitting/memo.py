"""Values derived from objects a law holds (its bootstrap samples, its calibration table), kept by
the object's identity: such objects are never mutated and may not be hashable (arrays, tables)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ByIdentity(Generic[T]):
    """``get(obj, make)``: ``make(obj)``, computed once per object while it is among the ``size``
    most recently asked. An entry keeps its object alive, so its ``id`` is never another's."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[Any, T]] = OrderedDict()

    def get(self, obj: Any, make: Callable[[Any], T]) -> T:
        key = id(obj)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is obj:
            self._entries.move_to_end(key)
            return hit[1]
        value = make(obj)
        self._entries[key] = (obj, value)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value
