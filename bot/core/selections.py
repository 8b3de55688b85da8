"""What an order's selections decide: the options still to ask, the names expressions see,
and the derived parts that follow from what is filled.

Selections are plain JSON values keyed by option id (what Rasa keeps in a slot).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional

from bot.core.catalog import ChoiceValue, Option, Product
from bot.core.expressions import ChoiceRef, evaluate, format_number, names_in

Selections = Mapping[str, Any]


@dataclass
class DerivedChoice:
    part_id: str
    name: str
    needed: Decimal
    unit: str
    value: Optional[ChoiceValue]  # None when nothing fits

    @property
    def label(self) -> str:
        if self.value:
            return self.value.name
        return f"above {self.name.lower()} range (needs {format_number(self.needed)} {self.unit})"


def missing_options(product: Product, selections: Selections) -> List[Option]:
    return [option for option in product.options if option.id not in selections]


def next_missing_option(product: Product, selections: Selections) -> Optional[Option]:
    return next(iter(missing_options(product, selections)), None)


def _reference(option: Option, value: Any) -> Any:
    if value is None:
        return None
    if option.kind == "choice":
        chosen = option.value(value)
        return ChoiceRef(chosen.id, chosen.name, chosen.price, chosen.attributes)
    if option.kind == "number":
        return Decimal(str(value))
    return value


def namespace(product: Product, selections: Selections) -> Dict[str, Any]:
    """Names for expressions: filled options plus every derived part that can be worked out."""
    names: Dict[str, Any] = {}
    for option in product.options:
        if option.id in selections:
            names[option.id] = _reference(option, selections[option.id])
    for choice in derive(product, selections, names):
        value = choice.value
        if value is None:
            # Nothing fits: rules can still compare the need ("motor.kw > 1.5").
            part = product.derived_part(choice.part_id)
            names[choice.part_id] = ChoiceRef("none_fits", choice.label, None, {part.by: choice.needed})
        else:
            names[choice.part_id] = ChoiceRef(value.id, value.name, value.price, value.attributes)
    return names


def derive(product: Product, selections: Selections, names: Optional[Dict[str, Any]] = None) -> List[DerivedChoice]:
    """Derived parts whose inputs are all filled, each the smallest that fits."""
    names = dict(names) if names is not None else {
        option.id: _reference(option, selections[option.id]) for option in product.options if option.id in selections
    }
    chosen = []
    for part in product.derived:
        if not names_in(part.needed) <= names.keys() or any(names[n] is None for n in names_in(part.needed)):
            continue
        needed = Decimal(evaluate(part.needed, names))
        fit = part.smallest_fit(needed)
        chosen.append(DerivedChoice(part.id, part.name, needed, part.unit, fit))
        names[part.id] = ChoiceRef(fit.id, fit.name, fit.price, fit.attributes) if fit else \
            ChoiceRef("none_fits", part.name, None, {part.by: needed})
    return chosen
