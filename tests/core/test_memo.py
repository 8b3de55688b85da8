"""bot/core/memo.by_identity: once per object, a new object (a reloaded catalog) worked out
again, and the cache bounded."""

from __future__ import annotations

from bot.core.memo import by_identity


class Model:  # like the catalog's pydantic models: compared by value, not hashable
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and other.name == self.name


def test_worked_out_once_per_object_and_again_for_an_equal_new_one():
    calls = []

    @by_identity(limit=4)
    def words(model: Model, other: Model) -> str:
        calls.append(model.name)
        return model.name + other.name

    first, second = Model("a"), Model("b")
    assert words(first, second) == words(first, second) == "ab" and calls == ["a"]
    again = Model("a")  # equal, but another object: a reloaded catalog
    assert words(again, second) == "ab" and calls == ["a", "a"]


def test_the_cache_starts_again_at_its_limit():
    calls = []

    @by_identity(limit=2)
    def name(model: Model) -> str:
        calls.append(model.name)
        return model.name

    models = [Model(str(n)) for n in range(3)]
    for model in models:
        name(model)
    name(models[0])  # the third entry cleared the first two
    assert calls == ["0", "1", "2", "0"]
