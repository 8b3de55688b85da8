"""Changing an order after it was placed (issue 14): what a message would change, said back
line by line with the new total and the difference, and the order as it would be stored,
checked and priced again from the catalog alone.

The same rules, derived parts and prices as during the order: a message is read with
`find_values` and taken with `take_answers` (bot/core/answers.py, bot/core/changes.py), so
"make it 3 shirts" after the order reads as it would at the summary. What the order may
still become depends on its status (`amend_mode`): changed at once while received, a request
for staff once confirmed, nothing once delivered or cancelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, Dict, List, Mapping, Optional

from bot.core.answers import take_answers
from bot.core.catalog import Product
from bot.core.extract import find_values
from bot.core.life import OrderKind, OrderStatus, known_status
from bot.core.placement import PlacementProblem, check_order, typed_figures
from bot.core.pricing import money, price_change, quote
from bot.core.values import display_value
from bot.core.wording import signed


class AmendMode(str, Enum):
    """What a change to an order in a given status becomes."""

    DIRECT = "direct"  # received: changed once the customer says yes
    REQUEST = "request"  # confirmed or later: a request staff accept or refuse
    CLOSED = "closed"  # delivered or cancelled: no change

    def __str__(self) -> str:
        return self.value


_MODES: Dict[OrderStatus, AmendMode] = {
    OrderStatus.RECEIVED: AmendMode.DIRECT,
    OrderStatus.CONFIRMED: AmendMode.REQUEST,
    OrderStatus.IN_PRODUCTION: AmendMode.REQUEST,
    OrderStatus.SHIPPED: AmendMode.REQUEST,
    OrderStatus.DELIVERED: AmendMode.CLOSED,
    OrderStatus.CANCELLED: AmendMode.CLOSED,
}


def amend_mode(status: str) -> AmendMode:
    known = known_status(status)
    return AmendMode.CLOSED if known is None else _MODES[known]


# After the order, a message asks to change it only with one of these (or its number):
# "I'd like a PC with 64 GB" is a new order; "change the memory to 64 GB" and "make it 3
# shirts" change the one placed.
_CHANGE_CUE = re.compile(
    r"\b(change|changing|switch|swap|modify|amend|edit|update|replace|instead|make (it|that|them|the)|"
    r"should (be|have)|rather|upgrade|downgrade|increase|reduce)\b", re.IGNORECASE)
# A new order, not a change of the one placed.
_NEW_ORDER_CUE = re.compile(r"\b(another|new|second|also order|one more|cancel\w*)\b", re.IGNORECASE)
# The customer's answer to a staff price, in the words the bot offers ("accept the quote").
_ACCEPT = re.compile(r"\b(accept|take|go ahead with|order it at)\b", re.IGNORECASE)
_DECLINE = re.compile(r"\b(decline|reject|refuse|turn down|don'?t want)\b", re.IGNORECASE)
_QUOTE_WORD = re.compile(r"\b(quote|offer|price|quotation)\b", re.IGNORECASE)


def asks_to_change(text: str) -> bool:
    """Whether a message outside an order asks to change one placed."""
    return bool(_CHANGE_CUE.search(text or "")) and not _NEW_ORDER_CUE.search(text or "")


def quote_answer(text: str) -> Optional[bool]:
    """"accept the quote" True, "decline the offer" False, anything else None."""
    text = text or ""
    if not _QUOTE_WORD.search(text):
        return None
    if _DECLINE.search(text):
        return False
    return True if _ACCEPT.search(text) else None


class ProposalStep(str, Enum):
    """How far a message got towards a change of the order."""

    NOTHING = "nothing"  # no value of this product in it
    SAME = "same"  # only values the order already has
    REFUSED = "refused"  # a value or a rule refused it: nothing would change
    INCOMPLETE = "incomplete"  # a change that clears another answer: it must be given too
    PROPOSED = "proposed"  # a whole order, checked and priced: ask the customer to confirm


@dataclass
class Proposal:
    step: ProposalStep
    reply: str  # what the customer is told (the change lines, the total, the difference)
    after: Dict[str, Any] = field(default_factory=dict)  # the whole selection after the change
    changes: List[Dict[str, Any]] = field(default_factory=list)  # change_lines()
    old_total: Optional[Decimal] = None
    new_total: Optional[Decimal] = None


@dataclass(frozen=True)
class Revised:
    """The stored fields of an order after a change, worked out from the catalog."""

    kind: str  # an OrderKind: a change can make an order a quote request or back
    options: Dict[str, Any]
    option_details: List[Dict[str, Any]]
    derived_parts: List[Dict[str, Any]]
    price_lines: List[Dict[str, Any]]
    total: Optional[Decimal]
    currency: str
    lead_time_days: int


def order_fields(product: Product, selections: Mapping[str, Any], typed: Any = None) -> Revised:
    """The order row's fields for these selections, as action_place_order stores them
    (the same labels, parts and price lines). The caller checked them (`revise`)."""
    priced = quote(product, selections)
    kept = typed_figures(product, selections, typed)
    return Revised(
        kind=(OrderKind.QUOTE_REQUEST if priced.is_quote_request else OrderKind.ORDER).value,
        options={option.id: selections.get(option.id) for option in product.options},
        option_details=[
            {"id": o.id, "name": o.name, "value": selections.get(o.id),
             "label": display_value(o, selections.get(o.id), kept.get(o.id)), "unit": o.unit,
             **({"typed": kept[o.id]} if o.id in kept else {})}
            for o in product.options
        ],
        derived_parts=[
            {"id": c.part_id, "name": c.name, "value": c.value.id if c.value else None,
             "label": c.label, "price": str(c.value.price) if c.value else None}
            for c in priced.derived
        ],
        price_lines=priced.stored_lines(),
        total=priced.total,
        currency=priced.currency,
        lead_time_days=product.lead_time_days,
    )


def revise(product: Optional[Product], selections: Any) -> "tuple[Optional[Revised], List[PlacementProblem]]":
    """The order after a change, checked again as at placement (nothing trusted from a
    tracker or a stored request): (fields, []) or (None, the problems)."""
    problems = check_order(product, selections)
    if problems or product is None:
        return None, problems
    return order_fields(product, selections), []


def change_lines(product: Product, before: Mapping[str, Any], after: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """What a change does, as data: one line per option whose value moved and per derived
    part that moved, each with its part of the price difference (None without a price)."""
    costs = price_change(product, before, after)
    lines: List[Dict[str, Any]] = []
    for option in product.options:
        old, new = before.get(option.id), after.get(option.id)
        if old == new:
            continue
        amount = costs.options.get(option.id) if costs.priced else None
        lines.append({"kind": "option", "id": option.id, "name": option.name, "old": old, "new": new,
                      "old_label": display_value(option, old), "new_label": display_value(option, new),
                      "amount": None if amount is None else str(amount)})
    for part in costs.derived:
        lines.append({"kind": "part", "id": part.part_id, "name": part.name,
                      "old_label": part.old.label if part.old else None, "new_label": part.new.label if part.new else None,
                      "amount": str(part.amount) if costs.priced else None})
    return lines


def propose(product: Product, order: Mapping[str, Any], text: str) -> Proposal:
    """What `text` would change in the stored `order` (order_as_dict) of `product`."""
    before = {option.id: order["options"].get(option.id) for option in product.options if option.id in order["options"]}
    found = find_values(product, text, None)
    if not found.values and not found.problems:
        return Proposal(ProposalStep.NOTHING, "")
    taken = take_answers(product, before, found, None)
    applied = taken.applied
    if not applied.changes:
        step = ProposalStep.REFUSED if (found.problems or applied.refused) else ProposalStep.SAME
        reply = taken.reply if step is ProposalStep.REFUSED else "Your order already has that."
        return Proposal(step, reply)
    if applied.cleared:
        # The order form would ask the cleared answers again; a placed order is changed whole or not at all.
        changed = "; ".join(f"{c.option.name}: {display_value(c.option, c.new)}" for c in applied.changes)
        lines = [f"{c.option.name} {display_value(c.option, c.old)} would no longer fit ({changed})"
                 + (f": {c.reason}" if c.reason else ".") for c in applied.cleared]
        names = " and ".join(change.option.name for change in applied.cleared)
        lines.append(f"So nothing is changed yet: tell me the change and the new {names} together.")
        return Proposal(ProposalStep.INCOMPLETE, "\n".join(lines))
    revised, problems = revise(product, applied.selections)
    if revised is None:
        return Proposal(ProposalStep.REFUSED, "; ".join(problem.message for problem in problems))
    old_total = None if order.get("total") is None else Decimal(str(order["total"]))
    lines = [taken.reply]
    if revised.total is not None and old_total is not None:
        difference = revised.total - old_total
        lines.append(f"Difference: {signed(difference, product.currency) if difference else 'none'} "
                     f"(was {money(old_total, product.currency)}).")
    return Proposal(ProposalStep.PROPOSED, "\n".join(line for line in lines if line), dict(applied.selections),
                    change_lines(product, before, applied.selections), old_total, revised.total)


def describe_lines(lines: List[Mapping[str, Any]], currency: str) -> List[str]:
    """Stored change lines in words: "Memory: 32 GB DDR5 -> 64 GB DDR5, +100 EUR"."""
    said = []
    for line in lines:
        text = f"{line['name']}: {line.get('old_label') or 'none'} -> {line.get('new_label') or 'none'}"
        amount = line.get("amount")
        if amount is not None and Decimal(amount):
            text += f", {signed(Decimal(amount), currency)}"
        said.append(text)
    return said
