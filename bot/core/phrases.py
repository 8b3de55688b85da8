"""Words every reply shares: an amount with its unit in the right number ("1 shirt",
"2 shirts", "39.5 cm") and a list of names that cannot be misread when the names have
commas of their own ("Oxford cotton, white; Poplin, light blue; or Linen, natural")."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Optional, Tuple, Union

from bot.core.expressions import format_number
from bot.core.units import is_physical

if TYPE_CHECKING:
    import inflect

Number = Union[int, float, Decimal]


@lru_cache(maxsize=1)
def _engine() -> "inflect.engine":
    import inflect  # made on first use: nothing runs when the core is imported

    return inflect.engine()


@lru_cache(maxsize=256)
def _noun_forms(unit: str) -> Optional[Tuple[str, str]]:
    """(singular, plural) of a counting unit such as "shirts"; None for a unit of measure
    ("cm", "kg/m", "W"), which has one form."""
    if not unit or is_physical(unit) or not unit.replace(" ", "").isalpha():
        return None
    engine = _engine()
    words = unit.split()
    last = words[-1]
    singular = engine.singular_noun(last) or last  # False when it is singular already
    plural = engine.plural_noun(singular)
    return " ".join(words[:-1] + [singular]), " ".join(words[:-1] + [plural])


def unit_word(unit: str, number: Number = 2) -> str:
    """The unit as it goes with `number`: "shirt" for 1, "shirts" otherwise; units of
    measure ("cm", "m", "kg/m") as they are."""
    forms = _noun_forms(unit or "")
    if forms is None:
        return unit or ""
    return forms[0] if Decimal(str(number)) == 1 else forms[1]


def singular(unit: str) -> str:
    """ "shirt" for "shirts": what one of the unit is called ("price per shirt")."""
    return unit_word(unit, 1)


def amount(number: Number, unit: str) -> str:
    """A number with its unit: "1 shirt", "3 shirts", "39.5 cm", "12" (no unit)."""
    return f"{format_number(Decimal(str(number)))} {unit_word(unit, number)}".strip()


def name_list(names: Iterable[str], conjunction: str = "and") -> str:
    """Names joined for a sentence: "A and B", "A, B and C"; when a name has a comma of its
    own, the names are parted by semicolons ("A, x; B, y; or C, z") so none is misread.
    `conjunction` is "and", "or" or "" (a plain enumeration)."""
    items = [name for name in names if name]
    if not items:
        return ""
    separator = "; " if any("," in name for name in items) else ", "
    if len(items) == 1:
        return items[0]
    if not conjunction:
        return separator.join(items)
    last = f" {conjunction} " if separator == ", " else f"; {conjunction} "
    if len(items) == 2 and separator == ", ":
        return f"{items[0]} {conjunction} {items[1]}"
    return separator.join(items[:-1]) + last + items[-1]


def first_upper(text: str) -> str:
    """A sentence's opening: "with your AMD Ryzen 7" -> "With your AMD Ryzen 7" (the rest as written)."""
    return text[:1].upper() + text[1:]

