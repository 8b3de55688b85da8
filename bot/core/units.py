"""Unit conversion for number options, through pint."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pint


class UnitError(ValueError):
    """A unit the catalog names is unknown or cannot be converted."""


@lru_cache(maxsize=1)
def registry() -> "pint.UnitRegistry":
    # Imported here: pint takes about 2 s to import, which `bespoke run` need not wait for.
    import pint

    # Decimal keeps conversions exact (15.5 in -> 39.37 cm, not 39.370000000000005).
    return pint.UnitRegistry(non_int_type=Decimal)


@lru_cache(maxsize=1024)  # a catalog has a handful of units, asked about for every figure
def is_physical(unit: str) -> bool:
    """False for counting units such as 'shirts' that pint does not know. (A unit pint
    cannot evaluate, 'm/0' or 'm)', raises: the catalog refuses those at load.)"""
    import pint

    try:
        registry().Unit(unit)
    except (pint.errors.UndefinedUnitError, ValueError, AttributeError, TypeError, AssertionError):
        return False
    return True


def check_unit(unit: str, target: str) -> None:
    """Raise UnitError unless `unit` converts to `target` (or is the same word)."""
    if unit == target:
        return
    if not is_physical(unit):
        raise UnitError(f"unknown unit '{unit}'")
    if not is_physical(target):
        raise UnitError(f"'{unit}' cannot be converted to '{target}'")
    if _unit(unit).dimensionality != _unit(target).dimensionality:
        raise UnitError(f"'{unit}' cannot be converted to '{target}'")


@lru_cache(maxsize=1024)  # parsing a unit's name was 3 % of the action server's turn
def _unit(name: str) -> "pint.Unit":
    return registry().Unit(name)


def convert(value: Decimal, unit: str, target: str) -> Decimal:
    if unit == target:
        return value
    check_unit(unit, target)
    quantity = registry().Quantity(value, _unit(unit)).to(_unit(target))
    return Decimal(str(quantity.magnitude))
