"""What is worked out once per catalog object: a product's words, an option's cue words, the
knowledge index. The catalog's pydantic models are not hashable, so functools' caches cannot
key on them; this one keys on their identity and keeps the objects, so an id is never reused
for another object while its entry stands. A reloaded catalog is new objects, so new entries."""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Tuple, TypeVar

Result = TypeVar("Result")


def by_identity(limit: int) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Caches a function of positional objects by their identity; at `limit` entries the cache
    starts again (catalogs are few: a limit only bounds what reloads leave behind)."""

    def decorate(function: Callable[..., Result]) -> Callable[..., Result]:
        cache: Dict[Tuple[int, ...], Tuple[Tuple[Any, ...], Result]] = {}

        @functools.wraps(function)
        def cached(*args: Any) -> Result:
            key = tuple(id(arg) for arg in args)
            found = cache.get(key)
            if found is None or any(kept is not arg for kept, arg in zip(found[0], args, strict=True)):
                if len(cache) >= limit:
                    cache.clear()
                found = cache[key] = (args, function(*args))
            return found[1]

        return cached

    return decorate
