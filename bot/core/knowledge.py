"""The shop's knowledge, answered by meaning: what a customer asks besides the order.

Everything comes from the catalog: the shop's FAQ entries, its products, each option's
help ("how do I measure my neck?") and each value's description and uses ("which is best
for video editing?"). Questions are matched against those texts by TF-IDF over character
n-grams (scikit-learn): misspellings, plurals and other word forms still match, and a new
entry is matched as soon as the catalog has it, with nothing to train. The thresholds and
the figures behind them are measured on labelled questions in tests/core/test_knowledge.py
(a set they were chosen on and a held-out one); a question just below the threshold gets
the FAQ entry offered as a question, never answered in its place.

What a question is after (the cheapest, a comparison, "is it enough for", "do you make")
is read the same way, against a few general example questions of each kind.

Split by concern: bot/core/knowledge_index.py matches (the TF-IDF indexes and the
thresholds), knowledge_answers.py holds what an answer is and the lines it is made of,
advice.py the prices, comparisons and uses; this module chooses which answer a question gets.

Answers only: nothing here chooses a value for the customer. A question nothing covers
gets `Answer.known = False`: the caller says it does not know and flags the conversation.
"""

from __future__ import annotations

from typing import Optional

from bot.core import knowledge_index
from bot.core.advice import (
    ADVICE_KINDS, advice_answer, beside_rules, described_answer, figure_answer, figures_compared, said_uses,
    unmentioned_quality, unsaid_quality,
)
from bot.core.catalog import Catalog, Option, Product
from bot.core.knowledge_answers import (
    UNKNOWN_TEXT, Answer, AnswerKind, faq_answer, help_answer, how_many_answer, limits_answer, makes_answer, mixed_answer,
    not_said, others_option_answer, price_answer,
    product_list,
    products_asked, products_named, unknown, value_line, values_named,
)
from bot.core.knowledge_index import (
    SUGGEST_THRESHOLD, Knowledge, QuestionKind, TopicKind, knowledge_of,
)
from bot.core.lowest_price import from_price
from bot.core.phrases import name_list
from bot.core.selections import Selections
from bot.core.values import noun

# The public face of the shop's knowledge; its parts live in knowledge_index (matching),
# knowledge_answers (what an answer is and its lines) and advice (prices, comparisons, uses).
__all__ = [
    "UNKNOWN_TEXT", "Answer", "AnswerKind", "QuestionKind", "advice_answer", "answer", "help_answer", "knowledge_of",
    "others_option_answer", "prepare", "price_answer", "shop_answer", "unknown",
]

# "No, we make ..." only when the question is this much nearer "do you make" than any FAQ entry.
MAKES_LEAD = 0.15

# An FAQ entry above the threshold is answered when it is this close to the best hit.
FAQ_LEAD = 0.15




def prepare(catalog: Catalog) -> None:
    """Builds what the first question would otherwise wait for (scikit-learn's import, about
    3 s, the indexes and each product's lowest total): for a server's start."""
    knowledge_of(catalog)
    for product in catalog.products:
        from_price(product)


def shop_answer(catalog: Catalog, text: str, product: Optional[Product] = None) -> Answer:
    """A question about the shop: its FAQ, whether it makes something, how to measure.

    `product`: the order in progress, whose options come first for "how do I measure ...".
    """
    knowledge = knowledge_of(catalog)
    hits = knowledge.match(text)
    if product is not None:  # the order's own options and values before other products' of the same name
        hits.sort(key=lambda hit: (-round(hit.score, 2), hit.topic.product_id not in ("", product.id)))
        if not products_named(catalog, text):
            # "would 64 be too long?" at the sleeve is about the shirt, not the conveyor's length
            # (a word of another product's option is said so by others_option_answer, before)
            hits = [hit for hit in hits if hit.topic.kind not in (TopicKind.OPTION, TopicKind.VALUE)
                    or hit.topic.product_id == product.id]
    hit = hits[0] if hits else None
    if hit is not None and hit.topic.kind == TopicKind.FAQ:
        return faq_answer(catalog, hit.topic)
    if hit is not None and hit.topic.kind == TopicKind.PRODUCT:
        return makes_answer(catalog.product(hit.topic.product_id), text)
    if hit is not None and hit.topic.kind == TopicKind.OPTION:
        found = catalog.product(hit.topic.product_id)
        return help_answer(found, found.option(hit.topic.option_id))
    if hit is not None and hit.topic.kind == TopicKind.VALUE:
        found = catalog.product(hit.topic.product_id)
        option = found.option(hit.topic.option_id)
        value = option.value(hit.topic.key)
        if unsaid_quality(catalog, text, value):  # "is the compact case quiet?"
            return not_said(value.name, value_line(found, option, value), [hit.topic])
        if value.in_stock and knowledge.kind(text) not in (QuestionKind.MAKES, QuestionKind.OFFERS):
            # "does the twill wrinkle?" is not "do you have twill?": what the catalog says of it, no "Yes"
            return Answer(AnswerKind.VALUE, value_line(found, option, value).lstrip("- "), [hit.topic])
        yes = "Yes: " if value.in_stock else "We list it, but it is out of stock at the moment: "
        return Answer(AnswerKind.VALUE, f"{yes}the {found.name} can have\n{value_line(found, option, value)}", [hit.topic])
    kind = knowledge.kind(text)
    if kind in (QuestionKind.MAKES, QuestionKind.OFFERS):
        named = products_named(catalog, text)  # the order's own product matcher: "pcs" is the PC
        if len(named) == 1:
            return makes_answer(named[0], text)
        if kind == QuestionKind.OFFERS:  # "do you offer gift wrapping?": a service nothing here covers
            return unknown()
        makes = knowledge.kinds.scores(text)[0][1]
        near_faq = max((score for topic, score in knowledge.topics.scores(text) if topic.kind == TopicKind.FAQ), default=0.0)
        if makes - near_faq < MAKES_LEAD:  # "how do I pay for my order?" is nearer the FAQ than "do you make"
            return unknown()
        return Answer(AnswerKind.DOES_NOT_MAKE, f"No, we make {product_list(catalog)}, each to order.")
    return unknown()


def answer(catalog: Catalog, text: str, product: Optional[Product] = None, advice_first: bool = False,
           focus: Optional[Option] = None, chosen: Optional[Selections] = None) -> Answer:
    """Any question the shop's knowledge may cover: advice when the question is after a
    price, a comparison or a use (or the caller's intent says so), else the FAQ, products,
    options and values; what neither covers is `unknown()`. `chosen`: the order's choices
    so far, of `product`."""
    knowledge = knowledge_of(catalog)
    # "how many can I order at once?" is nearer "can I change my order?" than any other topic,
    # "what's the longest conveyor you build?" nearer "do you install the conveyor?"
    kind = knowledge.kind(text)
    # A superlative of a number option's own word is after its range whatever the rest ("the
    # longest conveyor you build" reads as "do you build"); not the cheapest of something.
    counted = how_many_answer(catalog, text, product) if kind == QuestionKind.HOW_MANY else \
        mixed_answer(catalog, text, product) if kind == QuestionKind.MIXED else \
        limits_answer(catalog, text, product, asked=kind == QuestionKind.LIMITS) \
        if kind not in (QuestionKind.CHEAPEST, QuestionKind.COMPARE) else None
    if counted is not None:
        return counted
    hits = knowledge.match(text)
    faq = next((hit for hit in hits if hit.topic.kind == TopicKind.FAQ), None)
    makes = hits and hits[0].topic.kind in (TopicKind.PRODUCT, TopicKind.VALUE) \
        and knowledge.kind(text) in (QuestionKind.MAKES, QuestionKind.OFFERS)
    if faq is not None and faq.score >= hits[0].score - FAQ_LEAD and not makes:
        # The shop's own answer first: "how many years of warranty on a gaming pc" is about the
        # warranty, though "gaming pc" alone matches the product better; but "do you make
        # conveyors?" is about the product, not "do you install the conveyor?".
        return faq_answer(catalog, faq.topic)
    elsewhere = others_option_answer(catalog, product, text) if product is not None else None
    if elsewhere is not None:
        return elsewhere
    if product is not None and (kind in (None, QuestionKind.ENOUGH, QuestionKind.LIMITS, QuestionKind.OFFERS)
                                or kind == QuestionKind.RECOMMEND and not said_uses(catalog, text)):
        # "would 64 be too long?" at the sleeve, "is 12 m possible?" (read as "is it possible to get")
        figure = figure_answer(product, text, focus, chosen or {}, named_only=kind == QuestionKind.OFFERS)
        if figure is not None:
            return figure
    if product is not None and kind in (None, QuestionKind.COMPARE, QuestionKind.CHEAPEST):
        # "how much extra is 1000 vs 800 mm?", whatever kind its words read as
        figures = figures_compared(product, text, focus, chosen or {})
        if figures is not None:
            return figures
    products = products_asked(catalog, text, product)
    compares = any(len(values) >= 2 for p in products for values in values_named(p, text).values())
    tries = [advice_answer, shop_answer]
    # "is the rtx 4060 ok for video editing?" is after a use, whatever its wording's kind
    if not advice_first and not compares and knowledge.kind(text) not in ADVICE_KINDS and not said_uses(catalog, text):
        tries.reverse()
    for attempt in tries:
        found = attempt(catalog, text, product, asked=advice_first, focus=focus, chosen=chosen) \
            if attempt is advice_answer else \
            attempt(catalog, text, product)
        if found.known or found.kind == AnswerKind.NOT_SAID:
            return beside_rules(catalog, text, _narrowed(catalog, text, product, found), chosen)
    described = described_answer(catalog, text, product)
    return described if described.known else _unknown_with_suggestions(catalog, knowledge, text)


def _narrowed(catalog: Catalog, text: str, product: Optional[Product], found: Answer) -> Answer:
    """"Which fabric is least likely to crease?" matches the fabric option, whose help lists
    every fabric: the values whose descriptions speak of creasing answer it instead."""
    if found.kind != AnswerKind.HELP or not found.topics:
        return found
    topic = found.topics[0]
    option = catalog.product(topic.product_id).option(topic.option_id)
    if option.kind != "choice":
        return found
    described = described_answer(catalog, text, catalog.product(topic.product_id), [option])
    if described.known:
        return described
    # "is the case waterproof?": a quality no description speaks of. The list alone would
    # look like an answer; the honest one is that the catalog does not say (flagged).
    if unmentioned_quality(catalog, text, option.values):
        return not_said(f"{noun(option)} options", found.text, found.topics)
    return found


def _unknown_with_suggestions(catalog: Catalog, knowledge: Knowledge, text: str) -> Answer:
    # "do you have a showroom?": what is asked about is "a showroom"; the "do you have" it
    # shares with FAQ questions like "do you have a warranty?" says nothing of the topic.
    # Without its frame the text may match an entry above the threshold: still only offered.
    content = knowledge.without_frame(text)
    ceiling = knowledge_index.MATCH_THRESHOLD if content == text else 1.0
    near = [topic for topic, score in knowledge.topics.scores(content)
            if topic.kind == TopicKind.FAQ and SUGGEST_THRESHOLD <= score < ceiling][:2]
    questions = [next(e for e in catalog.shop.faq if e.id == topic.key).questions[0] for topic in near]
    if not questions:
        return unknown()
    offer = name_list((f"“{question}”" for question in questions), "or")
    return Answer(AnswerKind.UNKNOWN, f"{UNKNOWN_TEXT} If you meant {offer}, I can answer that now.",
                  near, questions)
