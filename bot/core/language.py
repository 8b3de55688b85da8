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
- and real words of the language, not only its letters: lingua scores letter trigrams, so
  made-up words can look like a language to it ("blorp fnarg wibble" is Italian 0.997).
  At least one word in `MIN_COMMON_SHARE` must be one of the language's most common words
  (`COMMON_WORDS`: articles, prepositions, pronouns, auxiliaries, yes/no/please/thanks):
  of 603 nonsense strings of syllables 127 passed the confidence alone and 6 pass both,
  while every clear sentence the confidence recognises still is;
- the customer's interface language (widget `language`, Telegram `language_code`) is not
  used: the message's own language decides, and on two-word messages, where a hint could
  have helped, the models guess ("check order" is German 0.97, "Ja, gerne" French 0.42).

The detector is built on first use (import has no side effects) and kept for the process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, List, Optional, Set

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.core.catalog import Catalog
from bot.core.life import ORDER_NUMBER_IN_TEXT
from bot.core.memo import by_identity

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
MIN_COMMON_SHARE = 0.2  # of the message's words, at least this share (and one) common words of the language

# The most common words of each language (function words picked from the languages' stop-word
# lists, with yes, no, please and thanks): a sentence of a language has some; letters that only
# look like one (made-up words) have none.
COMMON_WORDS: Dict[str, str] = {
    "es": "el la los las un una unos unas de del al a en con por para sin sobre y o pero que qué como cómo cuánto "
          "cuándo dónde es son está están estoy soy hay tiene tengo quiero quiere me mi mis te tu su sus se le lo nos "
          "yo usted ustedes este esta esto ese esa sí no muy más también gracias hola favor puedo puede hacen",
    "de": "der die das den dem des ein eine einen einem einer und oder aber nicht kein keine mit von zu zum zur für "
          "auf in im an am aus bei nach ist sind bin bist war hat habe haben ich du er sie es wir ihr mich mir mein "
          "meine sie ihnen was wie wo wann warum ja nein bitte danke hallo auch noch schon sehr möchte können kann",
    "fr": "le la les un une des du de au aux et ou mais que qui quoi comment combien où quand est sont suis ai avez "
          "avons je tu il elle nous vous ils elles me mon ma mes ton ta votre vos leur ce cette ces dans sur pour par "
          "avec sans en pas ne oui non merci bonjour plaît très aussi veux voudrais peux pouvez",
    "it": "il lo la i gli le un uno una di del della dei delle da dal in nel nella con su per tra fra e o ma che chi "
          "come quanto quando dove è sono sei ho hai ha abbiamo avete io tu lui lei noi voi mi ti si ci vi mio mia "
          "suo sua questo questa non sì grazie ciao buongiorno anche molto vorrei voglio posso può",
    "nl": "de het een en of maar niet geen met van voor naar op in aan uit bij om te is zijn ben bent was heeft heb "
          "hebben ik jij je hij zij ze wij we jullie u mij me mijn uw ons dit dat deze die wat hoe waar wanneer "
          "ja nee graag dank bedankt hallo ook nog al heel wil wilt kan kunt",
    "pt": "o a os as um uma uns umas de do da dos das no na nos nas em com por para sem e ou mas que quem como quanto "
          "quando onde é são está estão sou estou tem tenho eu você vocês ele ela nós me meu minha seu sua este esta "
          "isso não sim obrigado obrigada olá favor também muito quero gostaria posso pode",
}

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
    letters = letter_words(text, known_words)
    ranked = detector().compute_language_confidence_values(" ".join(letters))
    if not ranked or ranked[0].value < MIN_CONFIDENCE:
        return None
    code = next((code for code, language in LANGUAGES.items() if language == ranked[0].language), None)
    return code if code is not None and has_common_words(letters, code) else None


@lru_cache(maxsize=None)
def common_words(code: str) -> Set[str]:
    return set(COMMON_WORDS[code].split())


def has_common_words(words: List[str], code: str) -> bool:
    """Real-word evidence: enough of `words` are among the language's most common words."""
    common = sum(1 for word in words if word in common_words(code))
    return common >= 1 and common >= MIN_COMMON_SHARE * len(words)


@by_identity(limit=8)
def catalog_words(catalog: Catalog) -> FrozenSet[str]:
    """The words of the catalog's names and synonyms ("linen", "oxford", "ryzen"): they are
    the shop's, whatever language the message around them is in. Worked out once per catalog
    (every message asks)."""
    names = [catalog.shop.name]
    for product in catalog.products:
        names += [product.name, *product.synonyms]
        for option in product.options:
            names += [option.name, *option.synonyms]
            for value in option.values:
                names += [value.name, *value.synonyms]
    return frozenset(word for word in WORD.findall(" ".join(names).lower()) if len(word) >= MIN_CATALOG_WORD)


def other_language_reply(code: str, order_kept: bool = False) -> str:
    """The reply to a message in `code`: in that language, then in English; `order_kept`
    when an order is in progress (it is: nothing was read from the message)."""
    if order_kept:
        return f"{OTHER_LANGUAGE_REPLIES[code]} {ORDER_KEPT[code]}\n{OTHER_LANGUAGE_ENGLISH} {ORDER_KEPT_ENGLISH}"
    return f"{OTHER_LANGUAGE_REPLIES[code]}\n{OTHER_LANGUAGE_ENGLISH}"
