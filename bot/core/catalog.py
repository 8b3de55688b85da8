"""The catalog: what the shop makes, loaded from YAML and checked before anything runs.

A malformed catalog raises CatalogError naming the file, product, option and problem;
nothing else in Bespoke has to guard against a half-valid catalog after that.
"""

from __future__ import annotations

import math
import re
import string
import tokenize
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

import pycountry
import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, root_validator, validator

from bot.core import expressions
from bot.core.units import UnitError, check_unit

IDENTIFIER = r"^[a-z0-9][a-z0-9_]*$"
# Names the bot keeps for itself in expressions and slots.
RESERVED_OPTION_IDS = {"product", "quantity_total", "true", "false", "none"}


class CatalogError(Exception):
    """The catalog cannot be used; the message says where and why."""


class _Model(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False
        anystr_strip_whitespace = True


class ChoiceValue(_Model):
    id: str = Field(..., regex=IDENTIFIER)
    name: str = Field(..., min_length=1)
    price: Decimal = Decimal(0)
    in_stock: bool = True
    synonyms: List[str] = []
    description: str = ""
    # What the value is good for, in the customer's words ("gaming", "video editing"): the
    # bot answers "which is best for ...?" and "is it enough for ...?" from these, never
    # choosing for the customer.
    uses: List[str] = []
    attributes: Dict[str, Any] = {}

    @validator("synonyms", "uses", each_item=True, pre=True)
    def _synonym_is_text(cls, value: Any) -> str:
        return str(value)

    @validator("uses", each_item=True)
    def _use_is_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a use is a word or phrase, not empty")
        return value


class Option(_Model):
    id: str = Field(..., regex=IDENTIFIER)
    name: str = Field(..., min_length=1)
    kind: Literal["choice", "number", "text", "yesno"]
    question: str = ""
    description: str = ""
    # How to measure or choose it, as the bot gives it for "how do I measure my neck?".
    help: str = ""
    optional: bool = False
    synonyms: List[str] = []
    # choice
    values: List[ChoiceValue] = []
    # number
    unit: str = ""
    min: Optional[Decimal] = None
    max: Optional[Decimal] = None
    allowed: List[Decimal] = []
    decimals: int = Field(0, ge=0, le=6)
    accept_units: List[str] = []
    # text
    pattern: str = ""
    transform: Optional[Literal["upper", "lower"]] = None
    example: str = ""
    invalid_message: str = ""
    # text and yesno: added to the price when given / yes
    price: Decimal = Decimal(0)

    @root_validator(skip_on_failure=True)
    def _kind_fields(cls, option: Dict[str, Any]) -> Dict[str, Any]:
        kind = option["kind"]
        if kind == "choice":
            values = option["values"]
            if not values:
                raise ValueError("a choice option needs at least one value")
            ids = [value.id for value in values]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"duplicate value ids: {', '.join(duplicates)}")
            if not any(value.in_stock for value in values):
                raise ValueError("every value is out of stock")
        elif option["values"]:
            raise ValueError(f"'values' is only for choice options, not {kind}")
        if kind == "number":
            if option["allowed"] and (option["min"] is not None or option["max"] is not None):
                raise ValueError("give either allowed values or min/max, not both")
            if not option["allowed"] and (option["min"] is None or option["max"] is None):
                raise ValueError("a number option needs min and max (or allowed values)")
            if option["min"] is not None and option["min"] > option["max"]:
                raise ValueError("min is greater than max")
            for unit in [option["unit"], *option["accept_units"]]:
                if unit:
                    try:
                        check_unit(unit, option["unit"])
                    except UnitError as error:
                        raise ValueError(str(error)) from None
                    except (ArithmeticError, ValueError, tokenize.TokenError, RecursionError):
                        # pint evaluates a unit as an expression: "m/0", "m)" fail inside it
                        raise ValueError(f"'{unit}' is not a unit (like mm, cm, in, kg)") from None
        if kind == "text" and option["pattern"]:
            try:
                re.compile(option["pattern"])
            except re.error as error:
                raise ValueError(f"pattern is not a valid regular expression: {error}") from None
        return option

    def value(self, value_id: str) -> ChoiceValue:
        return next(value for value in self.values if value.id == value_id)

    @property
    def in_stock_values(self) -> List[ChoiceValue]:
        return [value for value in self.values if value.in_stock]

    @property
    def bounds(self) -> Tuple[Decimal, Decimal]:
        """min and max of a number option given by a range (the catalog's check makes sure a
        number option has both, or allowed values)."""
        if self.min is None or self.max is None:
            raise ValueError(f"option '{self.id}' has no min and max")
        return self.min, self.max


class Rule(_Model):
    id: str = Field(..., regex=IDENTIFIER)
    kind: Literal["requires", "excludes", "limit"]
    if_: str = Field("", alias="if")
    then: str = ""
    check: str = ""
    message: str = Field(..., min_length=1)

    class Config:
        allow_population_by_field_name = True

    @root_validator(skip_on_failure=True)
    def _kind_fields(cls, rule: Dict[str, Any]) -> Dict[str, Any]:
        if rule["kind"] == "limit":
            if not rule["check"] or rule["if_"] or rule["then"]:
                raise ValueError("a limit rule has 'check' only")
        elif not rule["if_"] or not rule["then"] or rule["check"]:
            raise ValueError(f"a {rule['kind']} rule has 'if' and 'then'")
        return rule

    @property
    def expressions(self) -> List[str]:
        return [text for text in (self.if_, self.then, self.check) if text]


class DerivedPart(_Model):
    id: str = Field(..., regex=IDENTIFIER)
    name: str = Field(..., min_length=1)
    needed: str
    unit: str = ""
    by: str
    values: List[ChoiceValue] = Field(..., min_items=1)
    when_none_fits: Literal["reject", "quote_request"] = "reject"
    none_fits_message: str = Field(..., min_length=1)

    @root_validator(skip_on_failure=True)
    def _values_have_measure(cls, part: Dict[str, Any]) -> Dict[str, Any]:
        for value in part["values"]:
            measure = value.attributes.get(part["by"])
            # true/false are not measures, nor .nan or .inf (which compare with nothing)
            if isinstance(measure, bool) or not isinstance(measure, (int, float)) or not math.isfinite(measure):
                raise ValueError(f"value '{value.id}' needs a number attribute '{part['by']}'")
        return part

    def smallest_fit(self, needed: Decimal) -> Optional[ChoiceValue]:
        fitting = [v for v in self.values if Decimal(str(v.attributes[self.by])) >= needed]
        return min(fitting, key=lambda v: Decimal(str(v.attributes[self.by])), default=None)


class PriceLine(_Model):
    label: str = Field(..., min_length=1)
    amount: str = Field(..., min_length=1)


class Pricing(_Model):
    multiply_by: str = ""
    lines: List[PriceLine] = []


class Product(_Model):
    id: str = Field(..., regex=IDENTIFIER)
    name: str = Field(..., min_length=1)
    description: str = ""
    synonyms: List[str] = []
    lead_time_days: int = Field(..., ge=0, le=3650)  # more than ten years is a typo
    currency: str = Field(..., regex=r"^[A-Z]{3}$")
    base_price: Decimal = Decimal(0)
    base_price_label: str = "Base price"
    options: List[Option] = Field(..., min_items=1)
    rules: List[Rule] = []
    derived: List[DerivedPart] = []
    pricing: Pricing = Pricing()
    # Priced by staff, never instantly: every order of it is a quote request (issue 14);
    # the price lines are still worked out and shown to staff as a guide.
    quote_only: bool = False

    def option(self, option_id: str) -> Option:
        return next(option for option in self.options if option.id == option_id)

    def derived_part(self, part_id: str) -> DerivedPart:
        return next(part for part in self.derived if part.id == part_id)

    @property
    def option_ids(self) -> List[str]:
        return [option.id for option in self.options]


class FaqEntry(_Model):
    """One thing customers ask the shop: the ways they ask it and the shop's answer. The
    questions are matched by meaning, so a few different phrasings help more than one."""

    id: str = Field(..., regex=IDENTIFIER)
    questions: List[str] = Field(..., min_items=1)
    answer: str = Field(..., min_length=1)

    @validator("questions", each_item=True)
    def _question_is_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a question is a sentence, not empty")
        return value


class Shop(_Model):
    name: str = "Bespoke"
    currency: str = Field(default="EUR", regex=r"^[A-Z]{3}$")
    # What the bot says when asked about delivery and shipping.
    delivery: str = "Delivery is arranged with your order confirmation; ask to talk to a person for details."
    # Where the shop delivers: ISO 3166 country codes (alpha-2; alpha-3 is read as its
    # alpha-2). Empty: anywhere. delivery_area names them all in the bot's replies ("the EU").
    delivery_countries: Tuple[str, ...] = ()
    delivery_area: Optional[str] = None
    # The shop's answers to what customers ask besides the order (payment, warranty, VAT,
    # returns, ...): matched by meaning (bot/core/knowledge.py).
    faq: List[FaqEntry] = []

    @validator("faq")
    def _unique_faq_ids(cls, entries: List[FaqEntry]) -> List[FaqEntry]:
        ids = [entry.id for entry in entries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate faq ids: {', '.join(duplicates)}")
        return entries

    @validator("delivery_countries", pre=True)
    def _known_countries(cls, codes: Any) -> Tuple[str, ...]:
        if not isinstance(codes, (list, tuple)):
            raise ValueError("must be a list of ISO 3166 country codes, e.g. [DE, AT, FR]")
        known = []
        for code in codes:
            text = str(code).strip().upper()
            country = pycountry.countries.get(alpha_2=text) if len(text) == 2 else (
                pycountry.countries.get(alpha_3=text) if len(text) == 3 else None)
            if country is None:
                raise ValueError(f"{code!r} is not an ISO 3166 country code (two letters, e.g. DE, AT, FR)")
            known.append(country.alpha_2)
        return tuple(dict.fromkeys(known))


class Catalog(_Model):
    shop: Shop = Shop()
    products: List[Product] = Field(..., min_items=1)

    def product(self, product_id: str) -> Product:
        return next(product for product in self.products if product.id == product_id)

    def find_product(self, product_id: Optional[str]) -> Optional[Product]:
        return next((p for p in self.products if p.id == product_id), None)


def load_catalog(path: Union[str, Path]) -> Catalog:
    """Read and check a catalog file; CatalogError says what is wrong and where."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as file:
            raw = yaml.safe_load(file)  # from the file, so YAML errors name it
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the catalog: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: not UTF-8 text: {error}") from None
    except (ValueError, OverflowError) as error:  # a date such as 2026-13-45 read as a timestamp
        raise CatalogError(f"{path}: not valid YAML: {error}") from None
    except RecursionError:
        raise CatalogError(f"{path}: not valid YAML: nested too deeply") from None
    if not isinstance(raw, dict) or "products" not in raw:
        raise CatalogError(f"{path}: the catalog needs a 'products' list (see the comments in catalog.yml)")
    odd_key = _key_not_text(raw)
    if odd_key is not None:  # "? \nproducts:" has a null key; pydantic raised TypeError on it
        raise CatalogError(f"{path}: every key must be a name, not {odd_key!r}")
    if isinstance(raw.get("products"), list):
        # Products may leave the currency to the shop's default.
        shop = raw.get("shop")
        shop_currency = shop.get("currency", "EUR") if isinstance(shop, dict) else "EUR"
        for product in raw["products"]:
            if isinstance(product, dict):
                product.setdefault("currency", shop_currency)
    try:
        catalog = Catalog.parse_obj(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise CatalogError(f"{path}: {_where(raw, first['loc'])}: {first['msg']}") from None
    except RecursionError:
        raise CatalogError(f"{path}: the catalog is nested too deeply") from None
    for product in catalog.products:
        _check_product(path, product)
    ids = [product.id for product in catalog.products]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"{path}: duplicate product ids: {', '.join(duplicates)}")
    return catalog


def _key_not_text(raw: Any) -> Any:
    """The first mapping key anywhere in the YAML that is not a string (None for none)."""
    todo = [raw]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str):
                    return key if key is not None else "null"
                todo.append(value)
        elif isinstance(item, list):
            todo.extend(item)
    return None


def _where(raw: Any, loc: tuple) -> str:
    """Turn a pydantic error location into 'product 'x', option 'y', field'."""
    parts: List[str] = []
    node = raw
    fields: List[str] = []
    for index, key in enumerate(loc):
        parent_key = loc[index - 1] if index else None
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            fields.append(str(key))
            continue
        if isinstance(key, int) and isinstance(node, dict) and "id" in node:
            label = {"products": "product", "options": "option", "values": "value",
                     "rules": "rule", "derived": "derived part", "faq": "faq entry"}.get(str(parent_key), "item")
            parts.append(f"{label} '{node['id']}'")
        elif key == "shop" and index == 0 and index < len(loc) - 1:
            parts.append("shop")
        elif isinstance(key, int):
            fields.append(f"{parent_key}[{key}]" if not fields else f"[{key}]")
        elif key not in ("products", "options", "values", "rules", "derived", "faq") or index == len(loc) - 1:
            fields.append(str(key))
    if fields and fields[0] == "__root__":
        fields = fields[1:]
    where = ", ".join(parts) or "catalog"
    return where + (f", {'.'.join(fields)}" if fields else "")


def _check_product(path: Path, product: Product) -> None:
    """Cross-references a schema cannot see: ids, names used in expressions."""

    def fail(problem: str, option: str = "") -> None:
        where = f"product '{product.id}'" + (f", {option}" if option else "")
        raise CatalogError(f"{path}: {where}: {problem}")

    names = product.option_ids + [part.id for part in product.derived]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        fail(f"duplicate option or derived part ids: {', '.join(duplicates)}")
    for option in product.options:
        if option.id in RESERVED_OPTION_IDS:
            fail(f"'{option.id}' is a reserved name, pick another id", f"option '{option.id}'")
    known = set(names)

    def check_expression(text: str, where: str, allowed: set) -> None:
        try:
            used = expressions.names_in(text)
        except expressions.ExpressionError as error:
            fail(f"{error}", where)
        except (ValueError, RecursionError, MemoryError):  # a NUL character; nested thousands deep
            fail(f"'{text[:80]}' is not a valid expression", where)
        unknown = sorted(used - allowed)
        if unknown:
            fail(f"'{text}' uses unknown names: {', '.join(unknown)}", where)

    def check_references(text: str, where: str) -> None:
        """Attributes and value ids an expression names must exist in the catalog."""
        for name, attribute in expressions.attributes_used(text):
            values = _values_named(product, name)
            if values is None:
                continue
            common = {"id", "name", "price"}
            missing = [v.id for v in values if attribute not in common and attribute not in v.attributes]
            if len(missing) == len(values):
                known = sorted({key for v in values for key in v.attributes} | common)
                fail(f"'{text}' uses {name}.{attribute}, but no value of '{name}' has an attribute "
                     f"'{attribute}' (known: {', '.join(known)})", where)
            if missing:
                fail(f"'{text}' uses {name}.{attribute}, which these values of '{name}' lack: {', '.join(missing)}", where)
        for name, literal in expressions.literals_compared(text):
            values = _values_named(product, name)
            if values is not None and literal not in {v.id for v in values}:
                ids = ", ".join(v.id for v in values)
                fail(f"'{text}' compares {name} with '{literal}', which is not one of its value ids ({ids})", where)

    for rule in product.rules:
        for text in rule.expressions:
            check_expression(text, f"rule '{rule.id}'", known)
            check_references(text, f"rule '{rule.id}'")
    for index, part in enumerate(product.derived):
        # A derived part may use options and the derived parts before it.
        earlier = set(product.option_ids) | {p.id for p in product.derived[:index]}
        check_expression(part.needed, f"derived part '{part.id}'", earlier)
        check_references(part.needed, f"derived part '{part.id}'")
    if product.pricing.multiply_by:
        if product.pricing.multiply_by not in product.option_ids:
            fail(f"pricing.multiply_by names unknown option '{product.pricing.multiply_by}'")
        if product.option(product.pricing.multiply_by).kind != "number":
            fail("pricing.multiply_by must name a number option")
    for line in product.pricing.lines:
        check_expression(line.amount, f"price line '{line.label}'", known)
        check_references(line.amount, f"price line '{line.label}'")
        try:
            template_names = expressions.names_in_template(line.label)
        except expressions.ExpressionError as error:
            fail(str(error), f"price line '{line.label}'")
        problem = _label_problem(line.label)
        if problem:
            fail(problem, f"price line '{line.label}'")
        unknown = sorted(template_names - known)
        if unknown:
            fail(f"label uses unknown names: {', '.join(unknown)}", f"price line '{line.label}'")


def _label_problem(label: str) -> Optional[str]:
    """What makes a price line's label unusable although its names are known: '{}' names
    nothing, '{length!z}' is no conversion, '{length:{x}}' nests a field."""
    for _, field, spec, conversion in string.Formatter().parse(label):
        if field is None:
            continue
        if not field:
            return "'{}' in a label must name an option, like {length}"
        if conversion not in (None, "r", "s", "a"):
            return f"'!{conversion}' in a label is not a conversion (use !s or none)"
        if spec and ("{" in spec or "}" in spec):
            return "a label's format may not hold another field"
    return None


def _values_named(product: Product, name: str) -> Optional[List[ChoiceValue]]:
    """The values behind a name in an expression: a choice option's or a derived part's."""
    if name in product.option_ids:
        option = product.option(name)
        return option.values if option.kind == "choice" else None
    part = next((p for p in product.derived if p.id == name), None)
    return part.values if part else None


class CatalogFile:
    """A catalog file for a long-running process: read on first use, and again whenever the
    file changes, so an edited catalog.yml is used without a restart (a read takes ~150 ms)."""

    def __init__(self, path: Union[str, Path]):
        self.path = Path(path)
        self._read: Optional[Tuple[int, Catalog]] = None  # (modification time, catalog)

    def catalog(self) -> Catalog:
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError as error:
            raise CatalogError(f"{self.path}: cannot read the catalog: {error.strerror}") from None
        if self._read is None or self._read[0] != mtime:
            self._read = (mtime, load_catalog(self.path))
        return self._read[1]
