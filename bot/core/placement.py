"""The last check before an order is stored: everything it is sent, checked again against
the catalog, whoever sent it.

The order form checks each answer as it comes; the placement cannot rely on that: the
action server places whatever tracker it is sent (a forged call, a slot set by hand, an
old conversation after a catalog edit). `check_order` checks a product's selections as
data, from the catalog alone: every option known, each value of its kind, an existing
and in-stock choice, a number within min/max or one of the allowed values with at most
the catalog's decimals, text matching its pattern, the rules and derived parts, a
quantity the price is multiplied by of at least 1 and a total that is not negative; and
the contact details present and storable. Each problem says what is wrong as data
(PlacementProblem) with an English sentence for the log and the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from bot.core.catalog import Option, Product
from bot.core.limits import clean_text
from bot.core.pricing import quote
from bot.core.rules import violations
from bot.core.values import display_value, parse_answer

MAX_TEXT_CHARS = 200  # a text option's answer (the order form takes at most this)
MAX_CONTACT_CHARS = 320  # the longest email address; names and addresses are shorter


class PlacementReason(str, Enum):
    """Why an order cannot be stored."""

    NO_PRODUCT = "no_product"
    UNKNOWN_OPTION = "unknown_option"
    MISSING = "missing"
    WRONG_KIND = "wrong_kind"  # a number for a choice, text for a yes/no ...
    UNKNOWN_VALUE = "unknown_value"
    OUT_OF_STOCK = "out_of_stock"
    OUT_OF_RANGE = "out_of_range"
    NOT_ALLOWED = "not_allowed"
    TOO_MANY_DECIMALS = "too_many_decimals"
    PATTERN = "pattern"
    RULE = "rule"  # a rule broken, or a derived part nothing fits
    QUANTITY = "quantity"
    NEGATIVE_TOTAL = "negative_total"
    CONTACT = "contact"


@dataclass(frozen=True)
class PlacementProblem:
    reason: PlacementReason
    option_id: str  # the option (or contact detail) concerned; "" for the whole order
    message: str  # what is wrong, in English


def check_order(product: Optional[Product], selections: Any) -> List[PlacementProblem]:
    """Every reason the product with these selections cannot be stored; [] when it can."""
    if product is None:
        return [PlacementProblem(PlacementReason.NO_PRODUCT, "", "no product was chosen")]
    if not isinstance(selections, Mapping):
        return [PlacementProblem(PlacementReason.WRONG_KIND, "", "the selections are not a set of options")]
    known = {option.id for option in product.options}
    problems = [PlacementProblem(PlacementReason.UNKNOWN_OPTION, str(key), f"{product.name} has no option {key!r}")
                for key in selections if key not in known]
    for option in product.options:
        if option.id not in selections:
            problems.append(PlacementProblem(PlacementReason.MISSING, option.id, f"the {option.name} is not given"))
            continue
        problem = check_value(option, selections[option.id])
        if problem is not None:
            problems.append(problem)
    if problems:
        return problems  # rules and prices only mean something for valid values
    for violation in violations(product, selections, ""):
        problems.append(PlacementProblem(PlacementReason.RULE, violation.option_id, violation.message))
    multiply_by = product.pricing.multiply_by
    if multiply_by and selections.get(multiply_by) is not None and Decimal(str(selections[multiply_by])) < 1:
        option = product.option(multiply_by)
        problems.append(PlacementProblem(PlacementReason.QUANTITY, multiply_by, f"the {option.name} must be at least 1"))
    if not problems:
        total = quote(product, selections).total  # None: a quote request, priced by staff
        if total is not None and total < 0:
            problems.append(PlacementProblem(PlacementReason.NEGATIVE_TOTAL, "", f"the total would be {total}"))
    return problems


def check_value(option: Option, value: Any) -> Optional[PlacementProblem]:
    """Why `value` is not a valid stored answer to `option` (None when it is)."""

    def problem(reason: PlacementReason, why: str) -> PlacementProblem:
        return PlacementProblem(reason, option.id, f"{option.name}: {why}")

    if value is None:
        return None if option.optional else problem(PlacementReason.MISSING, "not given")
    if option.kind == "choice":
        if not isinstance(value, str):
            return problem(PlacementReason.WRONG_KIND, f"{value!r} is not one of the choices")
        chosen = next((choice for choice in option.values if choice.id == value), None)
        if chosen is None:
            return problem(PlacementReason.UNKNOWN_VALUE, f"{value!r} is not one of the choices")
        if not chosen.in_stock:
            return problem(PlacementReason.OUT_OF_STOCK, f"{chosen.name} is out of stock")
        return None
    if option.kind == "yesno":
        return None if isinstance(value, bool) else problem(PlacementReason.WRONG_KIND, f"{value!r} is not yes or no")
    if option.kind == "text":
        return _check_text(option, value, problem)
    return _check_number(option, value, problem)


def _check_text(option: Option, value: Any, problem: Any) -> Optional[PlacementProblem]:
    if not isinstance(value, str) or not value.strip():
        return problem(PlacementReason.WRONG_KIND, f"{value!r} is not text")
    if len(value) > MAX_TEXT_CHARS or clean_text(value) != value:
        return problem(PlacementReason.PATTERN, "the text is too long or holds characters that cannot be stored")
    transformed = value.upper() if option.transform == "upper" else value.lower() if option.transform == "lower" \
        else value
    if transformed != value or (option.pattern and not re.fullmatch(option.pattern, value)):
        return problem(PlacementReason.PATTERN, f"{value!r} is not a valid {option.name.lower()}")
    return None


def _check_number(option: Option, value: Any, problem: Any) -> Optional[PlacementProblem]:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return problem(PlacementReason.WRONG_KIND, f"{value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return problem(PlacementReason.WRONG_KIND, f"{value!r} is not a number")
    if not number.is_finite():
        return problem(PlacementReason.WRONG_KIND, f"{value!r} is not a number")
    if isinstance(value, str):
        return problem(PlacementReason.WRONG_KIND, f"{value!r} is text, not a number")
    if option.allowed:
        if number not in option.allowed:
            return problem(PlacementReason.NOT_ALLOWED, f"{display_value(option, value)} is not one of the sizes made")
        return None
    low, high = option.bounds
    if not low <= number <= high:
        return problem(PlacementReason.OUT_OF_RANGE,
                       f"{display_value(option, value)} is outside {display_value(option, _plain(low))} to "
                       f"{display_value(option, _plain(high))}")
    if number != number.quantize(Decimal(1).scaleb(-option.decimals)):
        places = f"more than {option.decimals} decimal{'s' if option.decimals != 1 else ''}"
        return problem(PlacementReason.TOO_MANY_DECIMALS,
                       f"{value} is not a whole number" if option.decimals == 0 else f"{value} has {places}")
    return None


def _plain(number: Decimal) -> Any:
    number = number.normalize()
    return int(number) if number == number.to_integral_value() else float(number)


def typed_figures(product: Product, selections: Mapping[str, Any], typed: Any) -> Dict[str, str]:
    """The customer's figures as typed ("15.5 in") that are kept with the order: only those
    that read again as the very value selected (a figure sent with a forged tracker, or
    left over from an earlier answer, is dropped, never shown to staff as the customer's)."""
    if not isinstance(typed, Mapping):
        return {}
    kept = {}
    for option in product.options:
        text = typed.get(option.id)
        if option.kind != "number" or not isinstance(text, str) or len(text) > MAX_TEXT_CHARS or clean_text(text) != text:
            continue
        parsed = parse_answer(option, text)
        if parsed.ok and parsed.value == selections.get(option.id):
            kept[option.id] = text
    return kept


def check_contact(name: Any, email: Any, address: Any) -> List[PlacementProblem]:
    """The contact details an order needs: each given, as text that can be stored."""
    problems = []
    for detail, value in (("customer_name", name), ("customer_email", email), ("customer_address", address)):
        if not isinstance(value, str) or not value.strip():
            problems.append(PlacementProblem(PlacementReason.CONTACT, detail, f"the {_said(detail)} is missing"))
        elif len(value) > MAX_CONTACT_CHARS or clean_text(value) != value:
            problems.append(PlacementProblem(PlacementReason.CONTACT, detail,
                                             f"the {_said(detail)} holds characters that cannot be stored"))
    return problems


def _said(detail: str) -> str:
    return detail.removeprefix("customer_").replace("address", "delivery address")
