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

Answers only: nothing here chooses a value for the customer. A question nothing covers
gets `Answer.known = False`: the caller says it does not know and flags the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.core.catalog import Catalog, ChoiceValue, Option, Product
from bot.core.lowest_price import from_price
from bot.core.phrases import name_list
from bot.core.pricing import money
from bot.core.rules import valid_values, violations
from bot.core.values import match_choice, normalize
from bot.core.wording import describe_option

# Cosine similarity a question needs with a catalog text to count as about it (measured:
# tests/core/test_knowledge.py reports precision and recall around it).
MATCH_THRESHOLD = 0.50
# ... with a kind's example questions to count as of that kind.
KIND_THRESHOLD = 0.50
# ... with a use ("video editing") named in the catalog.
USE_THRESHOLD = 0.45
# Below the threshold but above this, an FAQ entry is offered as what the customer may have
# meant, beside the honest "I don't know" (measured in tests/core/test_knowledge.py).
SUGGEST_THRESHOLD = 0.35
# "No, we make ..." only when the question is this much nearer "do you make" than any FAQ entry.
MAKES_LEAD = 0.15
# An FAQ entry above the threshold is answered when it is this close to the best hit.
FAQ_LEAD = 0.15


class TopicKind(str, Enum):
    FAQ = "faq"
    PRODUCT = "product"
    OPTION = "option"
    VALUE = "value"


@dataclass(frozen=True)
class Topic:
    """What in the catalog a question is about."""

    kind: TopicKind
    product_id: str = ""
    option_id: str = ""
    key: str = ""  # the FAQ entry's id or the value's id


@dataclass(frozen=True)
class Hit:
    topic: Topic
    score: float


class QuestionKind(str, Enum):
    """What a question is after, beside what it is about."""

    MAKES = "makes"  # "do you make tables?"
    CHEAPEST = "cheapest"  # "what's the cheapest PC?"
    COMPARE = "compare"  # "what's the difference between A and B?"
    ENOUGH = "enough"  # "is A enough for B?"
    RECOMMEND = "recommend"  # "which is best for B?", "what do you recommend for B?"


# General English questions of each kind: no product, option or value in them (those come
# from the catalog), so they hold for any shop.
KIND_EXAMPLES: Dict[QuestionKind, Tuple[str, ...]] = {
    QuestionKind.MAKES: (
        "do you make", "do you sell", "do you do", "do you offer", "can you make me one", "do you build",
        "do you have any", "can I order one from you", "can I buy one", "is that something you make",
        "do you also make", "do you produce",
    ),
    QuestionKind.CHEAPEST: (
        "what is the cheapest", "how much is the cheapest one", "lowest price", "least expensive",
        "what does the most basic one cost", "starting price", "what is the minimum price", "prices start from",
        "how much at least", "the budget option", "the least I can spend",
    ),
    QuestionKind.COMPARE: (
        "what is the difference between", "compare", "versus", "vs", "which is better, this or that",
        "how do they differ", "is it better than", "what do I get for the extra money",
    ),
    QuestionKind.ENOUGH: (
        "is it enough for", "is it good enough for", "can it handle", "will it be fine for", "is it suitable for",
        "will it run", "is it powerful enough for", "can I use it for", "does it work for",
    ),
    QuestionKind.RECOMMEND: (
        "what do you recommend for", "which is best for", "what should I get for", "which one for",
        "what would you suggest for", "best choice for", "most powerful", "the best you have", "top of the range",
        "what is good for", "I need it for",
    ),
}


class TextIndex:
    """TF-IDF of short texts, each with a label; a query's score for a label is its best
    cosine with that label's texts. By default over character n-grams (2 to 4 letters,
    within words), so misspellings and other forms of a word still share most of them."""

    def __init__(self, documents: Sequence[Tuple[Any, str]], analyzer: str = "char_wb",
                 ngram_range: Tuple[int, int] = (2, 4)):
        from sklearn.feature_extraction.text import TfidfVectorizer  # 4 s to import: only when built

        self.labels = [label for label, _ in documents]
        self._cache: Dict[str, List[Tuple[Any, float]]] = {}  # a turn asks about one text several times
        self._vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True,
                                           preprocessor=normalize, token_pattern=r"(?u)\b\w+\b")
        self._matrix = self._vectorizer.fit_transform([text for _, text in documents]) if documents else None

    def scores(self, text: str) -> List[Tuple[Any, float]]:
        """Labels with their best score, best first (only those above zero)."""
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) > 32:
                self._cache.clear()
            cached = self._cache[text] = self._scores(text)
        return list(cached)

    def _scores(self, text: str) -> List[Tuple[Any, float]]:
        if self._matrix is None or not normalize(text):
            return []
        similarities = (self._matrix @ self._vectorizer.transform([text]).T).toarray().ravel()
        best: Dict[Any, float] = {}
        for label, score in zip(self.labels, similarities, strict=True):
            if score > best.get(label, 0.0):
                best[label] = float(score)
        return sorted(best.items(), key=lambda item: -item[1])


def _topic_documents(catalog: Catalog) -> List[Tuple[Topic, str]]:
    documents: List[Tuple[Topic, str]] = []
    for entry in catalog.shop.faq:
        topic = Topic(TopicKind.FAQ, key=entry.id)
        documents += [(topic, question) for question in entry.questions]
    for product in catalog.products:
        topic = Topic(TopicKind.PRODUCT, product.id)
        documents += [(topic, text) for text in (product.name, *product.synonyms)]
        for option in product.options:
            topic = Topic(TopicKind.OPTION, product.id, option.id)
            texts = [option.name, *option.synonyms, option.question]
            if option.help:
                texts += [f"how do I measure the {name}" for name in (option.name, *option.synonyms)]
            documents += [(topic, text) for text in texts if text]
            for value in option.values:
                topic = Topic(TopicKind.VALUE, product.id, option.id, value.id)
                documents += [(topic, text) for text in (value.name, *value.synonyms)]
    return documents


class Knowledge:
    """The matchers of one catalog, built once when the catalog is read."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.topics = TextIndex(_topic_documents(catalog))
        self.kinds = TextIndex([(kind, text) for kind, texts in KIND_EXAMPLES.items() for text in texts],
                               ngram_range=(3, 5))  # measured: longer n-grams tell the kinds apart better
        uses = sorted({use for product in catalog.products for option in product.options
                       for value in option.values for use in value.uses})
        self.uses = TextIndex([(use, use) for use in uses])

    def match(self, text: str) -> List[Hit]:
        """Topics the question is about, best first, above the threshold."""
        return [Hit(topic, score) for topic, score in self.topics.scores(text) if score >= MATCH_THRESHOLD]

    def best(self, text: str, kinds: Iterable[TopicKind] = tuple(TopicKind)) -> Optional[Hit]:
        wanted = set(kinds)
        return next((hit for hit in self.match(text) if hit.topic.kind in wanted), None)

    def kind(self, text: str) -> Optional[QuestionKind]:
        scored = self.kinds.scores(text)
        if scored and scored[0][1] >= KIND_THRESHOLD:
            return scored[0][0]
        return None

    def uses_named(self, text: str) -> List[str]:
        """The catalog's uses the text names ("for editing videos" -> "video editing"), best first."""
        scored = self.uses.scores(text)
        if not scored or scored[0][1] < USE_THRESHOLD:
            return []
        top = scored[0][1]
        return [use for use, score in scored if score >= max(USE_THRESHOLD, top - 0.1)]


_built: Dict[int, Tuple[Catalog, Knowledge]] = {}


def knowledge_of(catalog: Catalog) -> Knowledge:
    """The catalog's Knowledge, built on first use (about 0.1 s) and kept while the catalog
    is the one in use (a changed catalog file is a new Catalog object and so a new index)."""
    found = _built.get(id(catalog))
    if found is None or found[0] is not catalog:
        _built.clear()
        found = (catalog, Knowledge(catalog))
        _built[id(catalog)] = found
    return found[1]


def prepare(catalog: Catalog) -> None:
    """Builds what the first question would otherwise wait for (scikit-learn's import, about
    3 s, the indexes and each product's lowest total): for a server's start."""
    knowledge_of(catalog)
    for product in catalog.products:
        from_price(product)


# --- answers --------------------------------------------------------------------------------


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
    UNKNOWN = "unknown"


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
        return self.kind != AnswerKind.UNKNOWN


UNKNOWN_TEXT = "I don't know that; I've passed your question to the team, and someone will reply here."


def unknown() -> Answer:
    return Answer(AnswerKind.UNKNOWN, UNKNOWN_TEXT)


def _product_list(catalog: Catalog) -> str:
    return name_list((product.name for product in catalog.products), "and")


def _price(product: Product, value: ChoiceValue) -> str:
    return money(value.price, product.currency) if value.price else "no extra charge"


def _value_line(product: Product, option: Option, value: ChoiceValue) -> str:
    stock = "" if value.in_stock else ", out of stock at the moment"
    detail = f" {value.description}" if value.description else ""
    uses = f" Listed for {name_list(value.uses, 'and')}." if value.uses else ""
    return f"- **{value.name}** ({option.name}, {_price(product, value)}{stock}).{detail}{uses}"


def help_answer(product: Product, option: Option) -> Answer:
    """How to measure or choose one option."""
    topic = Topic(TopicKind.OPTION, product.id, option.id)
    if option.help:
        return Answer(AnswerKind.HELP, f"{option.name} ({product.name}): {option.help}", [topic])
    return Answer(AnswerKind.HELP, describe_option(product, option), [topic])


def shop_answer(catalog: Catalog, text: str, product: Optional[Product] = None) -> Answer:
    """A question about the shop: its FAQ, whether it makes something, how to measure.

    `product`: the order in progress, whose options come first for "how do I measure ...".
    """
    knowledge = knowledge_of(catalog)
    hits = knowledge.match(text)
    if product is not None:  # the order's own options and values before other products' of the same name
        hits.sort(key=lambda hit: (-round(hit.score, 2), hit.topic.product_id not in ("", product.id)))
    hit = hits[0] if hits else None
    if hit is not None and hit.topic.kind == TopicKind.FAQ:
        return _faq_answer(catalog, hit.topic)
    if hit is not None and hit.topic.kind == TopicKind.PRODUCT:
        return _makes(catalog.product(hit.topic.product_id), text)
    if hit is not None and hit.topic.kind == TopicKind.OPTION:
        found = catalog.product(hit.topic.product_id)
        return help_answer(found, found.option(hit.topic.option_id))
    if hit is not None and hit.topic.kind == TopicKind.VALUE:
        found = catalog.product(hit.topic.product_id)
        option = found.option(hit.topic.option_id)
        value = option.value(hit.topic.key)
        yes = "Yes: " if value.in_stock else "We list it, but it is out of stock at the moment: "
        return Answer(AnswerKind.VALUE, f"{yes}the {found.name} can have\n{_value_line(found, option, value)}", [hit.topic])
    if knowledge.kind(text) == QuestionKind.MAKES:
        named = _products_named(catalog, text)  # the order's own product matcher: "pcs" is the PC
        if len(named) == 1:
            return _makes(named[0], text)
        makes = knowledge.kinds.scores(text)[0][1]
        near_faq = max((score for topic, score in knowledge.topics.scores(text) if topic.kind == TopicKind.FAQ), default=0.0)
        if makes - near_faq < MAKES_LEAD:  # "how do I pay for my order?" is nearer the FAQ than "do you make"
            return unknown()
        return Answer(AnswerKind.DOES_NOT_MAKE, f"No, we make {_product_list(catalog)}, each to order.")
    return unknown()


def _makes(product: Product, text: str) -> Answer:
    """ "Yes, we make the ...", with what the question names of it ("silk shirts": the silk)."""
    reply = f"Yes, we make the {product.name}: {product.description}".rstrip(": ") + _from_clause(product)
    named = [(product.option(option_id), value) for option_id, values in _values_named(product, text).items()
             for value in values]
    if named and len(named) <= 3:
        reply += "\n" + "\n".join(_value_line(product, option, value) for option, value in named)
    return Answer(AnswerKind.MAKES, reply, [Topic(TopicKind.PRODUCT, product.id)])


def _faq_answer(catalog: Catalog, topic: Topic) -> Answer:
    entry = next(e for e in catalog.shop.faq if e.id == topic.key)
    return Answer(AnswerKind.FAQ, entry.answer, [topic])


def _from_clause(product: Product) -> str:
    lowest = from_price(product)
    return f" From {money(lowest, product.currency)}." if lowest is not None else ""


# --- prices -----------------------------------------------------------------------------------


def price_answer(catalog: Catalog, text: str) -> Answer:
    """ "How much is the cheapest PC?" outside an order: the from-price of the product named,
    or of every product."""
    products = _products_named(catalog, text) or list(catalog.products)
    rows = []
    for product in products:
        lowest = from_price(product)
        rows.append(f"the {product.name} from {money(lowest, product.currency)}" if lowest is not None
                    else f"the {product.name} priced by our engineers for each order")
    return Answer(AnswerKind.FROM_PRICE, "The price depends on what you choose: " + name_list(rows, "and")
                  + ", VAT included. Tell me what you'd like and I'll show the price as we go.",
                  [Topic(TopicKind.PRODUCT, p.id) for p in products])


def _products_named(catalog: Catalog, text: str) -> List[Product]:
    chooser = Option(id="product", name="product", kind="choice", decimals=0,
                      values=[ChoiceValue(id=p.id, name=p.name, synonyms=p.synonyms) for p in catalog.products])
    matches, certain = match_choice(chooser, text)
    if not matches:
        return []
    return [catalog.product(value.id) for value in matches] if certain or len(matches) > 1 else []


# --- advice ---------------------------------------------------------------------------------------


_phrase_words: Dict[int, Tuple[Product, List[Tuple[str, ChoiceValue, List[frozenset], frozenset]]]] = {}


def _phrases_of(product: Product) -> List[Tuple[str, ChoiceValue, List[frozenset], frozenset]]:
    """Per choice value: its option id, the words of each of its names, the words of its name
    (worked out once per product: normalizing every phrase per question took most of a turn)."""
    found = _phrase_words.get(id(product))
    if found is None or found[0] is not product:
        rows = [(option.id, value, [frozenset(normalize(p).split()) for p in (value.name, *value.synonyms) if normalize(p)],
                 frozenset(normalize(value.name).split()))
                for option in product.options for value in option.values]
        if len(_phrase_words) > 64:
            _phrase_words.clear()
        found = (product, rows)
        _phrase_words[id(product)] = found
    return found[1]


def _values_named(product: Product, text: str) -> Dict[str, List[ChoiceValue]]:
    """Per choice option, the values whose whole name or a synonym appears in the text; else
    those whose name has a number the text has ("16 or 32?")."""
    words = set(normalize(text).split())
    found: Dict[str, List[Tuple[ChoiceValue, frozenset]]] = {}
    rows = _phrases_of(product)
    for option_id, value, phrases, _ in rows:
        inside = [phrase for phrase in phrases if phrase <= words]
        if inside:
            found.setdefault(option_id, []).append((value, frozenset().union(*inside)))
    if found:
        # The widest match wins inside one option: "4070 super" is not also "4070".
        return {option_id: [value for value, covered in values if not any(covered < other for _, other in values)]
                for option_id, values in found.items()}
    numbers = {word for word in words if any(ch.isdigit() for ch in word)}
    # The longest number named decides: "is the 4080 enough for 4k gaming?" is about the
    # 4080, not the 4 TB SSD its "4k" also shares a number with.
    matched = [(max(len(n) for n in numbers & name_words), option_id, value)
               for option_id, value, _, name_words in rows if numbers & name_words]
    longest = max((size for size, _, _ in matched), default=0)
    by_number: Dict[str, List[ChoiceValue]] = {}
    for size, option_id, value in matched:
        if size == longest:
            by_number.setdefault(option_id, []).append(value)
    return by_number


ADVICE_KINDS = (QuestionKind.CHEAPEST, QuestionKind.COMPARE, QuestionKind.ENOUGH, QuestionKind.RECOMMEND)


def answer(catalog: Catalog, text: str, product: Optional[Product] = None, advice_first: bool = False) -> Answer:
    """Any question the shop's knowledge may cover: advice when the question is after a
    price, a comparison or a use (or the caller's intent says so), else the FAQ, products,
    options and values; what neither covers is `unknown()`."""
    knowledge = knowledge_of(catalog)
    hits = knowledge.match(text)
    faq = next((hit for hit in hits if hit.topic.kind == TopicKind.FAQ), None)
    makes = hits and hits[0].topic.kind in (TopicKind.PRODUCT, TopicKind.VALUE) and knowledge.kind(text) == QuestionKind.MAKES
    if faq is not None and faq.score >= hits[0].score - FAQ_LEAD and not makes:
        # The shop's own answer first: "how many years of warranty on a gaming pc" is about the
        # warranty, though "gaming pc" alone matches the product better; but "do you make
        # conveyors?" is about the product, not "do you install the conveyor?".
        return _faq_answer(catalog, faq.topic)
    products = [product] if product is not None else (_products_named(catalog, text) or list(catalog.products))
    compares = any(len(values) >= 2 for p in products for values in _values_named(p, text).values())
    tries = [advice_answer, shop_answer]
    if not advice_first and not compares and knowledge.kind(text) not in ADVICE_KINDS:
        tries.reverse()
    for attempt in tries:
        found = attempt(catalog, text, product, asked=advice_first) if attempt is advice_answer else \
            attempt(catalog, text, product)
        if found.known:
            return found
    return _unknown_with_suggestions(catalog, knowledge, text)


def _unknown_with_suggestions(catalog: Catalog, knowledge: Knowledge, text: str) -> Answer:
    near = [topic for topic, score in knowledge.topics.scores(text)
            if topic.kind == TopicKind.FAQ and SUGGEST_THRESHOLD <= score < MATCH_THRESHOLD][:2]
    questions = [next(e for e in catalog.shop.faq if e.id == topic.key).questions[0] for topic in near]
    if not questions:
        return unknown()
    offer = name_list((f"“{question}”" for question in questions), "or")
    return Answer(AnswerKind.UNKNOWN, f"{UNKNOWN_TEXT} If you meant {offer}, I can answer that now.",
                  near, questions)


def advice_answer(catalog: Catalog, text: str, product: Optional[Product] = None, asked: bool = True) -> Answer:
    """Cheapest, comparisons, "is it enough for", "which is best for": from the catalog's
    prices, descriptions and uses. Lists and compares; never chooses.

    `asked`: the caller knows advice is wanted (the NLU's intent); otherwise a use the text
    names counts only in a question after a use ("which is best for", "is it enough for")
    or about a value it names, not in any sentence with a word like "food" in it."""
    knowledge = knowledge_of(catalog)
    kind = knowledge.kind(text)
    products = [product] if product is not None else (_products_named(catalog, text) or list(catalog.products))
    named = [(p, p.option(option_id), values) for p in products for option_id, values in _values_named(p, text).items()]
    # An option the question names ("which case ...", "the cheapest graphics card") whose
    # values it does not name: the answer is about that option.
    about = [(p, option) for p in products for option in _options_named(p, text)
             if option.kind == "choice" and not any(o.id == option.id and p is q for q, o, _ in named)]
    if kind == QuestionKind.CHEAPEST and about and not named:
        return _cheapest_values(*about[0])
    if kind == QuestionKind.CHEAPEST and not named:
        return price_answer(catalog, text if product is None else product.name)
    wants_use = asked or named or kind in (QuestionKind.RECOMMEND, QuestionKind.ENOUGH)
    uses = knowledge.uses_named(text) if wants_use else []
    several = [(p, option, values) for p, option, values in named if len(values) >= 2]
    if several and kind != QuestionKind.ENOUGH:
        return _comparison(*max(several, key=lambda item: len(item[2])))
    single = [(p, option, values[0]) for p, option, values in named if len(values) == 1]
    fits = [(p, option, value, target) for p, option, value in single for q, target in about if q is p]
    if fits and not uses:  # "which case do I need for the 4080?": what the rules allow beside it
        return _what_fits(*fits[0])
    if single and (uses or kind == QuestionKind.ENOUGH):
        return _enough(*single[0], uses)
    if several:
        return _comparison(*several[0])
    if uses:
        return _recommendation(products, uses, [option for _, option in about])
    if single:
        p, option, value = single[0]
        best = knowledge.best(text, (TopicKind.OPTION, TopicKind.VALUE))
        if best is not None and best.topic.kind == TopicKind.OPTION and best.topic.option_id != option.id:
            return unknown()  # "how wide should the belt be": about the belt's width, not the fit called "wide"
        return Answer(AnswerKind.VALUE, _value_line(p, option, value).lstrip("- "),
                      [Topic(TopicKind.VALUE, p.id, option.id, value.id)])
    return unknown()


def _comparison(product: Product, option: Option, values: List[ChoiceValue]) -> Answer:
    rows = [_value_line(product, option, value) for value in values]
    text = "\n".join(rows)
    if len(values) == 2:
        first, second = sorted(values, key=lambda v: v.price)
        difference = second.price - first.price
        text += (f"\nThe {second.name} costs {money(difference, product.currency)} more than the {first.name}."
                 if difference else "\nBoth cost the same.")
    text += "\nWhich one you take is up to you."
    return Answer(AnswerKind.COMPARISON, text, [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in values])


def _enough(product: Product, option: Option, value: ChoiceValue, uses: List[str]) -> Answer:
    topic = Topic(TopicKind.VALUE, product.id, option.id, value.id)
    listed = f"listed for {name_list(value.uses, 'and')}" if value.uses else "not listed for any particular use"
    head = f"The {value.name} ({_price(product, value)}) is {listed}."
    if not uses:
        return Answer(AnswerKind.ENOUGH, head + " That is all our catalog says about it; ask to talk to a person "
                      "for more.", [topic])
    use = uses[0]
    if use in value.uses:
        verdict = f" So yes, we list it for {use}."
    else:
        verdict = f" We don't list it for {use}."
    others = [v for v in option.in_stock_values if use in v.uses and v.id != value.id]
    if others:
        verdict += f" For {use} we also list: " + name_list(
            (f"{v.name} ({_price(product, v)})" for v in sorted(others, key=lambda v: v.price)), "and") + "."
    return Answer(AnswerKind.ENOUGH, head + verdict, [topic])


def _options_named(product: Product, text: str) -> List[Option]:
    """Options whose whole name or a synonym is in the text ("graphics card" names Graphics)."""
    words = set(normalize(text).split())
    return [option for option in product.options
            if any(set(normalize(name).split()) <= words for name in (option.name, *option.synonyms) if normalize(name))]


def _cheapest_values(product: Product, option: Option) -> Answer:
    values = sorted(option.in_stock_values, key=lambda v: v.price)
    listed = name_list((f"{v.name} ({_price(product, v)})" for v in values[:3]), "then")
    text = f"{option.name} for the {product.name}, from the lowest price: {listed}."
    return Answer(AnswerKind.FROM_PRICE, text, [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in values[:3]])


def _what_fits(product: Product, option: Option, value: ChoiceValue, target: Option) -> Answer:
    """The values of `target` the product's rules allow beside `value` alone."""
    fitting = valid_values(product, {option.id: value.id}, target)
    listed = name_list((f"{v.name} ({_price(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "and")
    others = [v for v in target.in_stock_values if v not in fitting]
    if not fitting:
        text = f"With the {value.name}, no {target.name.lower()} we make fits."
    elif not others:
        text = f"Every {target.name.lower()} goes with the {value.name}: {listed}."
    else:
        reasons = {violation.message for v in others
                   for violation in violations(product, {option.id: value.id, target.id: v.id}, target.id)}
        text = (f"With the {value.name}, these {target.name.lower()} options fit: {listed}. "
                f"Not {name_list((v.name for v in others), 'or')}: {' '.join(sorted(reasons))}")
    return Answer(AnswerKind.RECOMMENDATION, text.rstrip() + " The choice is yours.",
                  [Topic(TopicKind.VALUE, product.id, target.id, v.id) for v in fitting])


def _recommendation(products: List[Product], uses: List[str], only: Sequence[Option] = ()) -> Answer:
    rows = []
    topics = []
    wanted = {option.id for option in only}
    for product in products:
        for option in product.options:
            if wanted and option.id not in wanted:
                continue
            fitting = [v for v in option.in_stock_values if any(use in v.uses for use in uses)]
            if not fitting:
                continue
            listed = name_list((f"{v.name} ({_price(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "or")
            rows.append(f"- {option.name}" + (f" ({product.name})" if len(products) > 1 else "") + f": {listed}")
            topics += [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in fitting]
    if not rows and wanted:  # "which collar goes with a suit?": none of the collars is listed for it
        broader = _recommendation(products, uses)
        if not broader.known:
            return broader
        names = name_list((option.name.lower() for option in only), "or")
        return Answer(broader.kind, f"Our catalog lists no {names} for {uses[0]}. " + broader.text, broader.topics)
    if not rows:
        return unknown()
    text = f"For {name_list(uses[:2], 'or')} our catalog lists:\n" + "\n".join(rows) + \
        "\nThe choice is yours; I'll check whatever you pick against the rest of the order."
    return Answer(AnswerKind.RECOMMENDATION, text, topics)
