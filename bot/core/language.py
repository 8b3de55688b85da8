"""Which language a customer writes in, when it is clearly not English.

The shop takes orders in English. A message confidently in one of the languages below gets
a short reply in that language (the words are in `OTHER_LANGUAGE_REPLIES`) and nothing is
read from it, so "quiero una camisa de lino" never fills an option.

English must never be mistaken for another language: "yes", "15.5", "neck 39cm", "slim",
product and customer names are answers. So the decision is conservative, chosen by
measurement (the figures are in tests/core/test_language.py's docstring):

- only words of letters count: tokens with digits, "@" or an inner dot (sizes, order
  numbers, e-mail addresses) and the words the catalog knows ("linen", "ryzen": without
  them "change the cpu to the ryzen" is German 0.99) are left out; capitalised words after
  the first ("Maria da Silva") do not count towards the length;
- at least `MIN_WORDS` such words and `MIN_LETTERS` letters: a short answer is English;
- lingua's low-accuracy mode (trigram models only, ~17 MB, ~0.15 s to load, far under a
  millisecond a message). It is unsure on short English ("hello there my friend" is
  Spanish 0.49 to it), so only a near-certain verdict counts: `MIN_CONFIDENCE`. The
  high-accuracy models would recognise more sentences but cost ~200 MB and 1-4 s to load,
  more than the whole action server;
- the customer's interface language (widget `language`, Telegram `language_code`) is not
  used: the message's own language decides, and on two-word messages, where a hint could
  have helped, the models guess ("check order" is German 0.97, "Ja, gerne" French 0.42).

The detector is built on first use (import has no side effects) and kept for the process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Set

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.core.catalog import Catalog
from bot.core.life import ORDER_NUMBER_IN_TEXT

# The languages we have words for, by ISO 639-1 code. English is detected too, to compete.
LANGUAGES: Dict[str, Language] = {
    "es": Language.SPANISH,
    "de": Language.GERMAN,
    "fr": Language.FRENCH,
    "it": Language.ITALIAN,
    "nl": Language.DUTCH,
    "pt": Language.PORTUGUESE,
}

MIN_WORDS = 3  # words of letters, catalog words and names left out
MIN_LETTERS = 12
MIN_CATALOG_WORD = 3  # "a", "to", "no" in the catalog's names are words of every sentence
MIN_CONFIDENCE = 0.99  # lingua's relative confidence of the language it ranks first

WORD = re.compile(r"[^\W\d_]+")
EDGE_PUNCTUATION = ".,;:!?¡¿()\"'«»"

# What we say to a message in another language: that we take orders in English, and, when an
# order is in progress, that it is kept. The English line follows (OTHER_LANGUAGE_ENGLISH),
# then the question pending, in English.
OTHER_LANGUAGE_REPLIES: Dict[str, str] = {
    "es": "Lo siento, por ahora solo atendemos pedidos en inglés.",
    "de": "Entschuldigung, wir nehmen Bestellungen derzeit nur auf Englisch entgegen.",
    "fr": "Désolé, pour l'instant nous ne prenons les commandes qu'en anglais.",
    "it": "Ci dispiace, per ora accettiamo ordini solo in inglese.",
    "nl": "Sorry, we nemen bestellingen voorlopig alleen in het Engels aan.",
    "pt": "Desculpe, por enquanto só aceitamos encomendas em inglês.",
}
ORDER_KEPT: Dict[str, str] = {
    "es": "Su pedido en curso se conserva.",
    "de": "Ihre angefangene Bestellung bleibt erhalten.",
    "fr": "Votre commande en cours est conservée.",
    "it": "Il suo ordine in corso resta salvato.",
    "nl": "Uw lopende bestelling blijft bewaard.",
    "pt": "A sua encomenda em curso é mantida.",
}
OTHER_LANGUAGE_ENGLISH = "Sorry, I take orders in English only; I haven't taken anything from that message."
ORDER_KEPT_ENGLISH = "Your order so far is kept."


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """English and the languages we have words for, low-accuracy models (see the module)."""
    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, *LANGUAGES.values()).with_low_accuracy_mode().build()


def plain_tokens(text: str) -> List[str]:
    """The message's tokens that can be words of a language: not "39cm", "BSP-4D6F8H",
    "BSP-MYXHBM" (an order number of letters only is random trigrams: "where is my order
    BSP-MYXHBM?" was German 0.99), "a@b.de" or "t-online.de"."""
    tokens = (token.strip(EDGE_PUNCTUATION) for token in ORDER_NUMBER_IN_TEXT.sub(" ", text).split())
    return [token for token in tokens
            if token and "@" not in token and "." not in token and not any(ch.isdigit() for ch in token)]


def letter_words(text: str, known_words: Iterable[str] = ()) -> List[str]:
    """The message's words of letters, lower-cased, without the words the catalog knows."""
    known: Set[str] = {word.lower() for word in known_words}
    words = WORD.findall(" ".join(plain_tokens(text)).lower())
    return [word for word in words if word not in known]


def sentence_words(text: str, known_words: Iterable[str] = ()) -> List[str]:
    """The words that count towards a sentence: not the catalog's, and not capitalised
    after the first ("Jean-Pierre Dubois", "Maria da Silva" are names, not French)."""
    known: Set[str] = {word.lower() for word in known_words}
    words = WORD.findall(" ".join(plain_tokens(text)))
    return [word.lower() for index, word in enumerate(words)
            if word.lower() not in known and (index == 0 or not word[0].isupper())]


def detect_language(text: str, known_words: Iterable[str] = ()) -> Optional[str]:
    """The ISO 639-1 code of the other language `text` is confidently written in, else None.

    None means: read it as English (English, too short to tell, or not sure). `known_words`
    are the catalog's words, which say nothing about the language.
    """
    words = sentence_words(text, known_words)
    if len(words) < MIN_WORDS or sum(len(word) for word in words) < MIN_LETTERS:
        return None
    ranked = detector().compute_language_confidence_values(" ".join(letter_words(text, known_words)))
    if not ranked or ranked[0].value < MIN_CONFIDENCE:
        return None
    return next((code for code, language in LANGUAGES.items() if language == ranked[0].language), None)


def catalog_words(catalog: Catalog) -> Set[str]:
    """The words of the catalog's names and synonyms ("linen", "oxford", "ryzen"): they are
    the shop's, whatever language the message around them is in."""
    names = [catalog.shop.name]
    for product in catalog.products:
        names += [product.name, *product.synonyms]
        for option in product.options:
            names += [option.name, *option.synonyms]
            for value in option.values:
                names += [value.name, *value.synonyms]
    return {word for word in WORD.findall(" ".join(names).lower()) if len(word) >= MIN_CATALOG_WORD}


def other_language_reply(code: str, order_kept: bool = False) -> str:
    """The reply to a message in `code`: in that language, then in English; `order_kept`
    when an order is in progress (it is: nothing was read from the message)."""
    if order_kept:
        return f"{OTHER_LANGUAGE_REPLIES[code]} {ORDER_KEPT[code]}\n{OTHER_LANGUAGE_ENGLISH} {ORDER_KEPT_ENGLISH}"
    return f"{OTHER_LANGUAGE_REPLIES[code]}\n{OTHER_LANGUAGE_ENGLISH}"
