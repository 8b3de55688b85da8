"""The shop's knowledge, the wording half: what an answer is (`Answer`, its kind) and the
lines every answer is built of (a value with its price, stock and uses; "Yes, we make ...";
a product's from-price), with the catalog look-ups they share (the products and values a
question names). Chosen and put together by bot/core/knowledge.py and bot/core/advice.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, List, Optional, Set, Tuple

from bot.core.catalog import Catalog, ChoiceValue, Option, Product
from bot.core.cues import cue_words
from bot.core.knowledge_index import Topic, TopicKind, word_forms
from bot.core.numbers import number_mentions, prepare_numbers
from bot.core.lowest_price import from_price
from bot.core.memo import by_identity
from bot.core.phrases import first_upper, name_list, unit_word
from bot.core.pricing import money
from bot.core.values import match_choice, noun, normalize, number_range
from bot.core.wording import describe_option
from bot.core.products import others_option, product_chooser

class AnswerKind(str, Enum):
    FAQ = "faq"
    MAKES = "makes"  # "Yes, we make ..."
    DOES_NOT_MAKE = "does_not_make"  # "No, we make ..."
    HELP = "help"  # how to measure or choose an option
    VALUE = "value"  # what a value is, costs and is listed for
    FROM_PRICE = "from_price"
    COMPARISON = "comparison"
    ENOUGH = "enough"
    RECOMMENDATION = "recommendation"
    DESCRIBED = "described"  # what the catalog's descriptions say of a quality asked about ("creases")
    UNKNOWN = "unknown"
    # The question is about something the catalog lists, asking a quality it says nothing of
    # ("is the case waterproof?"): what it does list, and that the team was asked. Not known.
    NOT_SAID = "not_said"


@dataclass


class Answer:
    kind: AnswerKind
    text: str
    topics: List[Topic] = field(default_factory=list)
    # With an unknown answer: FAQ questions the customer may have meant (a guess is a
    # question: offered, never answered in their place).
    suggestions: List[str] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.kind not in (AnswerKind.UNKNOWN, AnswerKind.NOT_SAID)


UNKNOWN_TEXT = "I don't know that; I've passed your question to the team, and someone will reply here."


def unknown() -> Answer:
    return Answer(AnswerKind.UNKNOWN, UNKNOWN_TEXT)


def not_said(of: str, listed: str, topics: List[Topic]) -> Answer:
    """"Our catalog doesn't say that of the Compact", then what it does say."""
    return Answer(AnswerKind.NOT_SAID, f"Our catalog doesn't say that of the {of}. {UNKNOWN_TEXT}\n{listed}", topics)


def product_list(catalog: Catalog) -> str:
    return name_list((product.name for product in catalog.products), "and")


def price_text(product: Product, value: ChoiceValue) -> str:
    return money(value.price, product.currency) if value.price else "no extra charge"


def value_line(product: Product, option: Option, value: ChoiceValue) -> str:
    stock = "" if value.in_stock else ", out of stock at the moment"
    detail = f" {value.description}" if value.description else ""
    uses = f" Listed for {name_list(value.uses, 'and')}." if value.uses else ""
    return f"- **{value.name}** ({option.name}, {price_text(product, value)}{stock}).{detail}{uses}"


def help_answer(product: Product, option: Option) -> Answer:
    """How to measure or choose one option."""
    topic = Topic(TopicKind.OPTION, product.id, option.id)
    if option.help:
        return Answer(AnswerKind.HELP, f"{option.name} ({product.name}): {option.help}", [topic])
    return Answer(AnswerKind.HELP, describe_option(product, option), [topic])


def makes_answer(product: Product, text: str) -> Answer:
    """ "Yes, we make the ...", with what the question names of it ("silk shirts": the silk)."""
    reply = f"Yes, we make the {product.name}: {product.description}".rstrip(": ") + _from_clause(product)
    named = [(product.option(option_id), value) for option_id, values in values_named(product, text).items()
             for value in values]
    if named and len(named) <= 3:
        reply += "\n" + "\n".join(value_line(product, option, value) for option, value in named)
    return Answer(AnswerKind.MAKES, reply, [Topic(TopicKind.PRODUCT, product.id)])


def others_option_answer(catalog: Catalog, product: Product, text: str) -> Optional[Answer]:
    """"Which collars do you offer?" in a conveyor order: the conveyor has none; whose option
    it is, and the order's own options. None when the words name no other product's option."""
    found = others_option(catalog, product, text)
    if found is None or products_named(catalog, text):
        return None  # "do you make shirts with french cuffs?" names the other product: asked about it
    other, option = found
    values = f" ({name_list((v.name for v in option.in_stock_values), 'and')})" if option.kind == "choice" else ""
    text = (f"The {product.name} has no {noun(option)} option: that is one of the {other.name}'s{values}. "
            f"The {product.name}'s options are {name_list((o.name for o in product.options), 'and')}.")
    return Answer(AnswerKind.HELP, text, [Topic(TopicKind.OPTION, other.id, option.id)])


def faq_answer(catalog: Catalog, topic: Topic) -> Answer:
    entry = next(e for e in catalog.shop.faq if e.id == topic.key)
    return Answer(AnswerKind.FAQ, entry.answer, [topic])


def _from_clause(product: Product) -> str:
    lowest = from_price(product)
    return f" From {money(lowest, product.currency)}." if lowest is not None else ""


def price_answer(catalog: Catalog, text: str) -> Answer:
    """ "How much is the cheapest PC?" outside an order: the from-price of the product named,
    or of every product."""
    products = products_named(catalog, text) or list(catalog.products)
    lowest = {p.id: price for p in products for price in [from_price(p)] if price is not None}
    priced = sorted((p for p in products if p.id in lowest), key=lambda p: lowest[p.id])
    quoted = [p for p in products if p.id not in lowest]
    rows = [f"the {p.name} from {money(lowest[p.id], p.currency)}" for p in priced]
    rows += [f"the {p.name} priced by our engineers for each order" for p in quoted]
    if len(products) > 1 and priced:  # "what's the cheapest of everything?": the lowest first, the rest by price
        cheapest = priced[0]
        lead = f"The least we charge is for the {cheapest.name}, from {money(lowest[cheapest.id], cheapest.currency)}"
        lead += f"; then {name_list(rows[1:], 'and')}" if rows[1:] else ""
    else:
        lead = "The price depends on what you choose: " + name_list(rows, "and")
    return Answer(AnswerKind.FROM_PRICE, lead + ", VAT included. Tell me what you'd like and I'll show the price as we go.",
                  [Topic(TopicKind.PRODUCT, p.id) for p in priced + quoted])


def products_named(catalog: Catalog, text: str) -> List[Product]:
    matches, certain = match_choice(product_chooser(catalog), text)
    if not matches:
        return []
    return [catalog.product(value.id) for value in matches] if certain or len(matches) > 1 else []


@by_identity(limit=64)
def _phrases_of(product: Product) -> List[Tuple[str, ChoiceValue, List[frozenset], frozenset]]:
    """Per choice value: its option id, the words of each of its names, the words of its name
    (worked out once per product: normalizing every phrase per question took most of a turn)."""
    return [(option.id, value, [frozenset(normalize(p).split()) for p in (value.name, *value.synonyms) if normalize(p)],
             frozenset(normalize(value.name).split()))
            for option in product.options for value in option.values]


def values_named(product: Product, text: str) -> Dict[str, List[ChoiceValue]]:
    """Per choice option, the values whose whole name or a synonym appears in the text; else
    those whose name has a number the text has ("16 or 32?")."""
    words = set(normalize(text).split())
    numbers = {word for word in words if any(ch.isdigit() for ch in word)}
    # A number typed glued to a word is that word's: "ddr5" names DDR5 memory, not the Ryzen 5
    # that "ryzen" elsewhere in the message and its 5 would make.
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    free = set(normalize(re.sub(r"[a-z]{2,}\d+\b", " ", plain)).split())
    glued = set(re.findall(r"([a-z]{2,})(\d+)\b", plain))
    glued_to = {number: {word for word, digits in glued if digits == number} for number in numbers - free}

    def shared(name_words: frozenset) -> Set[str]:
        return {n for n in numbers & name_words if n in free or glued_to.get(n, set()) & name_words}

    def coded(name_words: frozenset) -> bool:  # the name has a code the text typed glued: "ddr5"
        return any(word in name_words and digits in name_words for word, digits in glued)

    found: Dict[str, List[Tuple[ChoiceValue, frozenset]]] = {}
    rows = _phrases_of(product)
    for option_id, value, phrases, _ in rows:
        inside = [phrase for phrase in phrases if phrase <= words and shared(phrase) == numbers & phrase]
        if inside:
            found.setdefault(option_id, []).append((value, frozenset().union(*inside)))
    if found:
        # The widest match wins inside one option: "4070 super" is not also "4070".
        named = {option_id: [value for value, covered in values if not any(covered < other for _, other in values)]
                 for option_id, values in found.items()}
        # Other options' values by a code typed glued ("ddr5 with the ryzen 7": the DDR5 modules
        # too) or a model number of three digits or more ("can the compact case take a 4080?").
        models = {number for number in numbers & free if len(number) >= 3 and number.isdigit()}
        for option_id, value, _, name_words in rows:
            if option_id not in found and (coded(name_words) or models & name_words):
                named.setdefault(option_id, []).append(value)
        return _with_group_words(product, words, named)
    # The longest number named decides: "is the 4080 enough for 4k gaming?" is about the
    # 4080, not the 4 TB SSD its "4k" also shares a number with.
    matched = [(max(len(n) for n in shared(name_words)), option_id, value)
               for option_id, value, _, name_words in rows if shared(name_words)]
    longest = max((size for size, _, _ in matched), default=0)
    by_number: Dict[str, List[ChoiceValue]] = {}
    for size, option_id, value in matched:
        if size == longest:
            by_number.setdefault(option_id, []).append(value)
    return _with_group_words(product, words, by_number)


def _with_group_words(product: Product, words: Set[str], named: Dict[str, List[ChoiceValue]]) -> Dict[str, List[ChoiceValue]]:
    """Beside what is named, the values of another option a word of several of their names
    names as a group: "amd" the three Ryzens, "intel" the two Cores ("does amd need ddr5?").
    A word of every value's name ("gb", "nvme") names the option, not a group."""
    for option in product.options:
        if option.kind != "choice" or option.id in named:
            continue
        by_word: Dict[str, List[ChoiceValue]] = {}
        for value in option.in_stock_values:
            for word in set(normalize(value.name).split()) & words:
                if word.isalpha() and len(word) >= 3:
                    by_word.setdefault(word, []).append(value)
        grouped = {value.id for values in by_word.values() if 1 < len(values) < len(option.in_stock_values)
                   for value in values}  # "amd or intel": both groups
        if grouped:
            named[option.id] = [value for value in option.in_stock_values if value.id in grouped]
    return named


def products_asked(catalog: Catalog, text: str, product: Optional[Product] = None) -> List[Product]:
    """The products a question is about: the order's, else those it names, else every one."""
    return [product] if product is not None else (products_named(catalog, text) or list(catalog.products))


def options_named_in_any_form(product: Product, text: str) -> List[Option]:
    """options_named with the words compared by their stems: "fabrics", "collars"."""
    forms = set(word_forms(text))
    return [option for option in product.options
            if any(set(word_forms(name)) <= forms for name in (option.name, *option.synonyms) if word_forms(name))]


def options_named(product: Product, text: str) -> List[Option]:
    """Options whose whole name or a synonym is in the text ("graphics card" names Graphics)."""
    words = set(normalize(text).split())
    return [option for option in product.options
            if any(set(normalize(name).split()) <= words for name in (option.name, *option.synonyms) if normalize(name))]


def how_many_answer(catalog: Catalog, text: str, product: Optional[Product] = None) -> Optional[Answer]:
    """"How many can I order at once?": the count each product's order may hold, from its
    count option (the one its price is multiplied by); one per order for a product without.
    None when the question is about an option or a value ("how many cores has the ryzen 9?")."""
    products = products_asked(catalog, text, product)
    if any(values_named(p, text) or [o for o in options_named(p, text) if o.id != p.pricing.multiply_by]
           for p in products):
        return None
    rows = []
    for p in products:
        count = p.option(p.pricing.multiply_by) if p.pricing.multiply_by in p.option_ids else None
        if count is not None and count.kind == "number":
            rows.append((p, f"{number_range(count)} in one order, all made to the same specification"))
        else:
            rows.append((p, "one per order"))
    if len(rows) == 1:
        p, said = rows[0]
        text = f"One {p.name} per order." if said == "one per order" else f"{first_upper(said)}."
    else:
        text = "\n".join(f"- {p.name}: {said}" for p, said in rows)
    if any(said == "one per order" for _, said in rows):
        text += (" " if len(rows) == 1 else "\n") + "Once an order is placed I can take the next one as another order."
    return Answer(AnswerKind.HELP, text, [Topic(TopicKind.PRODUCT, p.id) for p in products])


def limits_answer(catalog: Catalog, text: str, product: Optional[Product] = None,
                  asked: bool = True) -> Optional[Answer]:
    """"What's the longest conveyor you build?", "how long can the sleeves be?": the range of
    the number option the question names, by its name or a synonym, or by the superlative of
    one of its own words ("longest" for a length asked "how long ..."). None when it names
    none: "how long does it take?" is not about a length. `asked`: the question reads as one
    after a range; otherwise only a superlative counts ("the heaviest load it can carry")."""
    if product is not None and list(number_mentions(prepare_numbers(text))):
        return None  # "what about 7 m long?": about that figure (advice.figure_answer), not the range
    products = products_asked(catalog, text, product)
    words = normalize(text).split()
    if not {"can", "could", "max", "maximum", "min", "minimum"} & set(words):
        # "how long does it take?" asks a time: "how long" names the length only as "how long can it be?"
        text = " ".join(word for index, word in enumerate(words) if index == 0 or words[index - 1] != "how")
    superlatives = {stem for word in words if word.endswith("est") and len(word) > 5
                    for stem in (word[:-3], word[:-2], word[:-4], word[:-4] + "y")}  # longest, widest, biggest, heaviest
    found = []
    for p in products:
        numbers = [option for option in p.options if option.kind == "number" and option.id != p.pricing.multiply_by]
        named = [option for option in options_named(p, text) if option in numbers] if asked or superlatives else []
        named = named or [option for option in numbers if superlatives & set(cue_words(option, p))]
        found += [(p, option) for option in named]
    if not found:
        return None
    rows = [f"{option.name}" + (f" ({p.name})" if product is None else "") + f": {number_range(option)}"
            for p, option in found]
    return Answer(AnswerKind.HELP, ("\n".join(f"- {row}" for row in rows) if len(rows) > 1 else rows[0]) + ".",
                  [Topic(TopicKind.OPTION, p.id, option.id) for p, option in found])


# Words that count items without a figure: "one ... the other", "each", "both"
_COUNTING_WORDS = frozenset({"each", "every", "both", "other", "others", "all", "them", "some"})


def mixed_answer(catalog: Catalog, text: str, product: Optional[Product] = None) -> Optional[Answer]:
    """"Can I get 2 shirts in different fabrics?": one order holds one configuration; the
    others can be another order. None when the question counts nothing ("is the twill
    different from the poplin?" compares two values)."""
    if not (set(normalize(text).split()) & _COUNTING_WORDS or list(number_mentions(prepare_numbers(text)))):
        return None
    products = [product] if product is not None else products_named(catalog, text)
    if len(products) != 1:
        return None
    p = products[0]
    valued = set(values_named(p, text))  # "one in linen and the other in poplin": the fabric
    options = [option for option in p.options if option.id != p.pricing.multiply_by
               and (option.id in valued or option in options_named_in_any_form(p, text))]
    count = p.option(p.pricing.multiply_by) if p.pricing.multiply_by in p.option_ids else None
    differing = name_list((noun(option) for option in options), "or") or "specification"
    if count is not None:
        text = (f"One order holds one configuration: all the {unit_word(count.unit) or 'items'} in it are made the "
                f"same, {differing} included. Let's finish this one; once it's placed I can take the others, with "
                f"their own {differing}, as another order.")
    else:
        text = (f"One order is for one {p.name}; once it's placed I can take the next, with its own {differing}, "
                "as another order.")
    return Answer(AnswerKind.HELP, text, [Topic(TopicKind.PRODUCT, p.id)])
