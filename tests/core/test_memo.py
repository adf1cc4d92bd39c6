"""planner.fitting.memo: values kept by their object's identity."""

from __future__ import annotations

from planner.fitting.memo import ByIdentity


def test_by_identity_computes_once_per_object_and_forgets_the_oldest() -> None:
    made = []
    cache: ByIdentity[int] = ByIdentity(2)
    a, b, c = {"x": 1}, {"x": 1}, {"x": 2}  # a and b are equal, not the same object

    def make(obj: dict) -> int:
        made.append(obj)
        return obj["x"] * 10

    assert cache.get(a, make) == 10 and cache.get(a, make) == 10
    assert cache.get(b, make) == 10  # another object: computed again
    assert [m is a for m in made] == [True, False]
    cache.get(c, make)  # a, the least recently asked, is dropped
    cache.get(a, make)
    assert len(made) == 4 and made[-1] is a
