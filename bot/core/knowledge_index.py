"""The shop's knowledge, the matching half: which catalog text a question is about.

Questions are matched against the catalog's texts (FAQ questions, product, option and value
names, "how do I measure the ..." for an option with help) by TF-IDF over character n-grams
(scikit-learn): misspellings, plurals and other word forms still match, and a new entry is
matched as soon as the catalog has it, with nothing to train. What a question is after (the
cheapest, a comparison, "is it enough for", "do you make") is read the same way, against a
few general example questions of each kind. The thresholds and the figures behind them are
measured on labelled questions in tests/core/test_knowledge.py.

What a product is for (the values' `uses`) is matched by word form: the text's words as
Snowball stems without English stop words, a few at a time, against each use the same way
("a PC for a gamer" is "gaming", "editing videos" is "video editing"); measured on labelled
phrasings in tests/core/test_uses.py.

The answers built from these matches are in bot/core/knowledge.py (and its helpers
knowledge_answers.py and advice.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.core.catalog import Catalog
from bot.core.memo import by_identity
from bot.core.values import normalize

# Cosine similarity a question needs with a catalog text to count as about it (measured:
# tests/core/test_knowledge.py reports precision and recall around it).
MATCH_THRESHOLD = 0.50

# ... with a kind's example questions to count as of that kind.
KIND_THRESHOLD = 0.50

# ... between a few words of the text and a use ("video editing") named in the catalog, both
# as word forms (measured: tests/core/test_uses.py).
USE_THRESHOLD = 0.55

# Below the threshold but above this, an FAQ entry is offered as what the customer may have
# meant, beside the honest "I don't know" (measured in tests/core/test_knowledge.py).
SUGGEST_THRESHOLD = 0.35



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

    MAKES = "makes"  # "do you make tables?": a thing made or sold
    OFFERS = "offers"  # "do you offer gift wrapping?": a service, which "No, we make ..." does not answer
    CHEAPEST = "cheapest"  # "what's the cheapest PC?"
    COMPARE = "compare"  # "what's the difference between A and B?"
    ENOUGH = "enough"  # "is A enough for B?"
    RECOMMEND = "recommend"  # "which is best for B?", "what do you recommend for B?"
    NEEDS = "needs"  # "do I need A for that?": what the rules require beside the order's choices
    HOW_MANY = "how_many"  # "how many can I order at once?": the count one order may hold
    LIMITS = "limits"  # "what's the longest conveyor you build?": a number option's range
    MIXED = "mixed"  # "can I get 2 shirts in different fabrics?": one order, one configuration


# "how many cores does the ryzen 9 have?" shares "does ... have" with "does it have to be" (0.56);
# the questions after a requirement measured 0.63 ("does amd need ddr5?") and up.
# "how do I pay for my order?" is 0.53 to "how many can I order at once"; "do you price match" 0.50
# to the cheapest.
KIND_THRESHOLDS = {QuestionKind.NEEDS: 0.6, QuestionKind.HOW_MANY: 0.6, QuestionKind.CHEAPEST: 0.52}

# General English questions of each kind: no product, option or value in them (those come
# from the catalog), so they hold for any shop.
KIND_EXAMPLES: Dict[QuestionKind, Tuple[str, ...]] = {
    QuestionKind.MAKES: (
        "do you make", "do you sell", "can you make me one", "do you build", "can I order one from you",
        "can I buy one", "is that something you make", "do you also make", "do you produce", "do you manufacture",
    ),
    QuestionKind.OFFERS: (
        "do you offer", "do you do", "do you have", "do you have any", "do you provide", "is there a service",
        "can you arrange", "can you do that for me", "is it possible to get", "do you also do", "can I get",
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
    QuestionKind.NEEDS: (
        "do I need", "do I need it for that", "do I have to take", "is it necessary", "is it required", "must I have",
        "does it have to be",
        "will I need", "is that needed", "do I have to get", "is it a must", "am I forced to take",
    ),
    QuestionKind.HOW_MANY: (
        "how many can I order at once", "is there a maximum quantity", "what is the most I can order",
        "is there a minimum order", "how many can I get in one order", "can I order several", "is there a limit on how many",
        "how many at most", "can I order more than one", "what quantity can I order", "maximum number per order",
    ),
    QuestionKind.MIXED: (
        "can each one be different", "can they be in different colours", "can I mix them in one order",
        "different ones in the same order", "can one be different from the other", "each in a different one",
        "can I combine two kinds in one order", "a mix of two",
    ),
    QuestionKind.LIMITS: (
        "what is the longest possible", "what is the biggest size", "how big can it be", "what is the smallest",
        "what is the maximum size", "what range of sizes", "how wide can it go", "is there a size limit",
        "up to what size", "what is the minimum size", "how long can it be", "how large at most",
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
                 ngram_range: Tuple[int, int] = (2, 4), preprocessor: Callable[[str], str] = normalize):
        from sklearn.feature_extraction.text import TfidfVectorizer  # 4 s to import: only when built

        self.labels = [label for label, _ in documents]
        self._cache: Dict[str, List[Tuple[Any, float]]] = {}  # a turn asks about one text several times
        self._vectorizer = TfidfVectorizer(analyzer=analyzer, ngram_range=ngram_range, sublinear_tf=True,
                                           preprocessor=preprocessor, token_pattern=r"(?u)\b\w+\b")
        self._matrix = self._vectorizer.fit_transform([text for _, text in documents]) if documents else None

    def scores(self, text: str) -> List[Tuple[Any, float]]:
        """Labels with their best score, best first (only those above zero)."""
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) > 32:
                self._cache.clear()
            cached = self._cache[text] = self._scores(text)
        return list(cached)

    def similarities(self, texts: Sequence[str]) -> Any:
        """The cosine of each text (rows) with each document (columns, in `labels` order), in
        one matrix product: a message's spans in one call, not one each."""
        import numpy

        if self._matrix is None or not texts:
            return numpy.zeros((len(texts), len(self.labels)))
        return (self._vectorizer.transform(list(texts)) @ self._matrix.T).toarray()

    def _scores(self, text: str) -> List[Tuple[Any, float]]:
        if self._matrix is None or not normalize(text):
            return []
        similarities = (self._matrix @ self._vectorizer.transform([text]).T).toarray().ravel()
        best: Dict[Any, float] = {}
        for label, score in zip(self.labels, similarities, strict=True):
            if score > best.get(label, 0.0):
                best[label] = float(score)
        return sorted(best.items(), key=lambda item: -item[1])


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """Snowball's stem (pure Python, about 0.1 ms a word: kept, customers reuse their words)."""
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def stop_words() -> frozenset:
    """scikit-learn's English stop words (function words: "the", "for", "well", "back")."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def word_forms(text: str) -> List[str]:
    """The text's words that carry meaning, each as its Snowball stem: "for editing my videos"
    -> ["edit", "video"], "gamers" -> ["gamer"], "games" and "gaming" -> ["game"]. English
    stop words (scikit-learn's list) go: "for my wedding" and "weddings" are both ["wed"]."""
    stop = stop_words()
    return [_stem(word) for word in normalize(text).split() if word not in stop]


# "use" says nothing of which use: "can I use ddr4 with a ryzen?" is not "home use", while
# "home use" is still matched by its "home".
_NOT_A_USE = frozenset({"use"})


def _use_words(forms: List[str]) -> List[str]:
    return [form for form in forms if form not in _NOT_A_USE]


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
        # Uses as word forms, matched against a few words of the text at a time (a span as long
        # as the use at least), so the rest of a sentence does not dilute them: "a PC for a gamer"
        # is "gaming", "for editing videos" is "video editing"; n-grams of 2 to 5 letters of the
        # stems also forgive misspellings ("vidoe") and agent nouns ("gamer" beside "game").
        self._use_forms = {use: " ".join(_use_words(word_forms(use))) or normalize(use) for use in uses}
        self.uses = TextIndex([(use, forms) for use, forms in self._use_forms.items()], ngram_range=(2, 5),
                              preprocessor=str)
        self._use_lengths = {use: len(forms.split()) for use, forms in self._use_forms.items()}
        self._longest_use = max(self._use_lengths.values(), default=1)
        self._use_cache: Dict[str, List[Tuple[str, float]]] = {}
        self._frames: Dict[QuestionKind, frozenset] = {}
        # Word forms that name the catalog's products and options or frame a question ("which is
        # best for", "do you make"): not what a question asks about (advice.described_answer).
        # Value names count: the CPUs' "Core" is what "which cpu has the most cores?" asks about.
        framing = [example for examples in KIND_EXAMPLES.values() for example in examples]
        for product in catalog.products:
            framing += [product.name, *product.synonyms]
            for option in product.options:
                framing += [option.name, *option.synonyms, option.question]
        self.frame_words = frozenset(form for text in framing for form in word_forms(text))

    def without_frame(self, text: str) -> str:
        """The text without the words of its kind's example questions when it is a "do you
        make / do you offer" question ("do you have a showroom" -> "a showroom"): what is
        left is what it asks about."""
        kind = self.kind(text)
        if kind not in (QuestionKind.MAKES, QuestionKind.OFFERS):
            return text
        frame = self._frames.get(kind)
        if frame is None:
            frame = self._frames[kind] = frozenset(word for example in KIND_EXAMPLES[kind] for word in normalize(example).split())
        return " ".join(word for word in normalize(text).split() if word not in frame)

    def match(self, text: str) -> List[Hit]:
        """Topics the question is about, best first, above the threshold."""
        return [Hit(topic, score) for topic, score in self.topics.scores(text) if score >= MATCH_THRESHOLD]

    def best(self, text: str, kinds: Iterable[TopicKind] = tuple(TopicKind)) -> Optional[Hit]:
        wanted = set(kinds)
        return next((hit for hit in self.match(text) if hit.topic.kind in wanted), None)

    def kind(self, text: str) -> Optional[QuestionKind]:
        scored = self.kinds.scores(text)
        if scored and scored[0][1] >= KIND_THRESHOLDS.get(scored[0][0], KIND_THRESHOLD):
            return scored[0][0]
        return None

    def use_scores(self, text: str) -> List[Tuple[str, float]]:
        """Each use with its best score over the text's spans of word forms, best first. A span
        has at least as many words as the use ("my father" is not "hot weather" by "ather")."""
        cached = self._use_cache.get(text)
        if cached is not None:
            return list(cached)
        import numpy

        forms = _use_words(word_forms(text))
        spans = {" ".join(forms[start:start + length]): length
                 for length in range(1, min(len(forms), self._longest_use + 1) + 1)
                 for start in range(len(forms) - length + 1)}
        best: Dict[str, float] = {}
        if spans:
            similarities = self.uses.similarities(list(spans))
            long_enough = numpy.array(list(spans.values()))[:, None] >= \
                numpy.array([self._use_lengths[use] for use in self.uses.labels])[None, :]
            for use, score in zip(self.uses.labels, (similarities * long_enough).max(axis=0), strict=True):
                if score > 0:
                    best[use] = float(score)
        if len(self._use_cache) > 32:
            self._use_cache.clear()
        found = self._use_cache[text] = sorted(best.items(), key=lambda item: -item[1])
        return list(found)

    def uses_named(self, text: str) -> List[str]:
        """The catalog's uses the text names ("for editing videos" -> "video editing", "a PC for
        a gamer" -> "gaming"), best first."""
        scored = self.use_scores(text)
        if not scored or scored[0][1] < USE_THRESHOLD:
            return []
        top = scored[0][1]
        near = [(use, score) for use, score in scored if score >= max(USE_THRESHOLD, top - 0.1)]
        # "my beach wedding" is "beach weddings", not also "weddings": a use inside a longer one
        # that scored as well goes
        forms = {use: set(self._use_forms[use].split()) for use, _ in near}
        return [use for use, score in near
                if not any(other != use and forms[use] < forms[other] and other_score >= score
                           for other, other_score in near)]


@by_identity(limit=1)
def knowledge_of(catalog: Catalog) -> Knowledge:
    """The catalog's Knowledge, built on first use (about 0.1 s) and kept while the catalog
    is the one in use (a changed catalog file is a new Catalog object and so a new index)."""
    return Knowledge(catalog)
