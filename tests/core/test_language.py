"""Other languages: a message clearly in Spanish, German, French, Italian, Dutch or
Portuguese is recognised; English answers, numbers, catalog words and names never are.

Measured when choosing the detector (lingua 2.1.1, English + the six languages):

| detector                               | memory  | load   | per message | English taken (of 1195) | clear foreign (of 40) |
|----------------------------------------|---------|--------|-------------|-------------------------|-----------------------|
| high accuracy, not-English >= 0.9      | +200 MB | 1.3-4 s| 0.04 ms     | 3 (e-mail addresses)    | 39                    |
| high accuracy, English+es+de only      | +114 MB | 0.7 s  | 0.02 ms     | -                       | es, de only           |
| low accuracy, top >= 0.7               | +17 MB  | 0.15 s | 0.03 ms     | 75                      | 35                    |
| low accuracy, top >= 0.9               | +17 MB  | 0.15 s | 0.03 ms     | 27                      | 32                    |
| low accuracy, top >= 0.99 (chosen)     | +17 MB  | 0.15 s | 0.03 ms     | 1 (an e-mail address)   | 29                    |
| the same, tokens with @ . digits out   |         |        |             | 0                       | 29 (30, catalog words out)|

The 1195 English messages are the examples of data/nlu, tests/nlu and tests/stories with
three sentence words or more (test_no_training_example_is_another_language keeps data/nlu so). The sentences the
chosen detector misses (MISSED) are read as English, as before; none is ever taken for a
wrong language.
"""

from __future__ import annotations

import pytest

import re

import yaml

from bot.core.language import (
    LANGUAGES,
    OTHER_LANGUAGE_ENGLISH,
    OTHER_LANGUAGE_REPLIES,
    ORDER_KEPT,
    catalog_words,
    detect_language,
    letter_words,
    other_language_reply,
    sentence_words,
)
from bot.core.catalog import load_catalog
from bot.core.life import new_order_number
from bot.local import ROOT

# The words of the shop's catalog, as the actions pass them.
CATALOG_WORDS = catalog_words(load_catalog(ROOT / "catalog.yml"))

ENGLISH = [
    # short answers
    "yes", "no", "y", "ok", "okay", "sure", "yes please", "no thanks", "nope", "yep", "confirm", "cancel",
    "start over", "continue", "nothing", "none", "all good", "its fine", "thanks", "thank you", "hi", "hello", "bye",
    # numbers and measurements
    "15.5", "39", "neck 39cm", "neck 39 cm", "chest 102", "waist 88 cm", "sleeve 64", "length 76", "34 in",
    "15 and a half inches", "about 40", "2", "make it 2", "2 of them", "three", "one please",
    # catalog values
    "32 gb ddr5 please", "16gb ddr4", "64gb", "2tb", "1 tb", "rtx 4070 super", "4080", "ryzen 7", "i5", "i7-14700k",
    "slim", "regular", "relaxed fit", "linen", "natural linen", "oxford", "white oxford", "poplin, light blue",
    "twill navy", "silk", "ivory", "spread", "spread collar", "button down", "cutaway", "mandarin collar",
    "french cuffs", "barrel", "no graphics card", "mid tower", "full tower", "compact", "windows 11", "ubuntu",
    "linux", "no os", "550 W power supply",
    # product names
    "Custom PC", "Made-to-measure shirt", "Custom conveyor", "a shirt", "gaming pc", "a computer please",
    "I'd like a custom shirt",
    # customer names and monograms
    "Aiko Tanaka", "José García", "Giuseppe Verdi", "Hans Müller", "Jean-Pierre Dubois", "Maria da Silva",
    "Jan de Vries", "Pedro Álvarez Ruiz", "Françoise Lefèvre", "Lorenzo de Luca", "João Pereira", "JGR", "A.T.",
    # English sentences
    "spread collar and normal buttoned cuffs", "let's do the white oxford instead, and make it 2 of them",
    "how do I measure my neck for a shirt?", "what's the difference between 16 and 32 for gaming?",
    "do you ship to Canada?", "can I pay with paypal or by bank transfer?", "does that price include VAT?",
    "what warranty do your PCs have?", "change the cpu to the ryzen 5", "the trays are 60 cm wide",
    "I want a linen shirt, slim fit", "is the 4070 super enough for resolve?", "how much so far?",
    "what have I chosen?", "how long does it take?", "talk to a person", "my name is Aiko Tanaka",
    "full tower. when would it be ready if I order today?", "I'll take the regular fit", "go with the mandarin",
    "make the memory 64GB", "change the storage", "actually make it cedar shingles and 1.8 m wide",
    "I'd like a linen shirt with french cuffs", "Can you make one in navy twill?", "sounds good to me",
]

OTHER = {
    "es": [
        "Hola, quiero una camisa a medida de lino", "Quiero pedir un ordenador para jugar",
        "¿Cuánto cuesta la camisa de lino?", "Me gustaría una camisa blanca con cuello italiano",
        "Necesito una camisa de talla grande, por favor", "¿Hacen envíos a España?",
        "Sí, por favor, confirme el pedido", "No, quiero cambiar la tela",
    ],
    "de": [
        "Ich möchte ein Hemd aus Leinen bestellen", "Hallo, ich hätte gerne einen Computer zum Spielen",
        "Ja, bitte bestellen Sie das so", "Was kostet das Hemd mit Manschetten?",
        "Können Sie das Hemd auch in Blau machen?", "Nein, ich möchte die Farbe ändern",
        "Wie lange dauert die Lieferung nach Deutschland?", "Bitte schicken Sie mir die Bestellung",
    ],
    "fr": [
        "Bonjour, je voudrais une chemise sur mesure", "Je veux commander un ordinateur pour jouer",
        "Combien coûte la chemise en lin ?", "Oui, s'il vous plaît, passez la commande",
        "Est-ce que vous livrez en France ?", "Non, je voudrais changer le tissu",
    ],
    "it": [
        "Ciao, vorrei una camicia su misura di lino", "Vorrei ordinare un computer per giocare",
        "Quanto costa la camicia bianca?", "Sì, grazie, confermo l'ordine",
        "Spedite anche in Italia?", "No, vorrei cambiare il colletto",
    ],
    "nl": [
        "Hallo, ik wil graag een overhemd op maat", "Ik wil een computer bestellen om te gamen",
        "Hoeveel kost het linnen overhemd?", "Ja, graag, plaats de bestelling maar",
        "Leveren jullie ook in België?", "Nee, ik wil de stof veranderen",
    ],
    "pt": [
        "Olá, quero uma camisa feita à medida de linho", "Gostaria de encomendar um computador para jogos",
        "Quanto custa a camisa branca?", "Sim, por favor, confirme a encomenda",
        "Vocês entregam em Portugal?", "Não, quero mudar o tecido",
    ],
}


# What the chosen detector does not recognise (confidence under MIN_CONFIDENCE): read as English.
MISSED = {
    ("es", "Necesito una camisa de talla grande, por favor"), ("es", "Sí, por favor, confirme el pedido"),
    ("fr", "Combien coûte la chemise en lin ?"), ("fr", "Oui, s'il vous plaît, passez la commande"),
    ("it", "Ciao, vorrei una camicia su misura di lino"), ("it", "Spedite anche in Italia?"),
    ("nl", "Ik wil een computer bestellen om te gamen"),
    ("pt", "Quanto custa a camisa branca?"), ("pt", "Sim, por favor, confirme a encomenda"),
    ("pt", "Não, quero mudar o tecido"),
}
FOREIGN = [(code, text) for code, texts in OTHER.items() for text in texts]
RECOGNISED = [pair for pair in FOREIGN if pair not in MISSED]


def training_examples():
    """Every English example of data/nlu, entity annotations removed."""
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                text = re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip().removeprefix("- "))
                if text:
                    yield text


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_never_another_language(text):
    assert detect_language(text, known_words=CATALOG_WORDS) is None


def test_no_training_example_is_another_language():
    examples = list(training_examples())
    assert len(examples) > 1000
    assert [text for text in examples if detect_language(text, known_words=CATALOG_WORDS)] == []


@pytest.mark.parametrize("code,text", RECOGNISED)
def test_clear_sentences_are_recognised(code, text):
    assert detect_language(text, known_words=CATALOG_WORDS) == code


@pytest.mark.parametrize("code,text", sorted(MISSED))
def test_a_sentence_not_recognised_is_read_as_english_never_as_a_wrong_language(code, text):
    assert detect_language(text, known_words=CATALOG_WORDS) is None


def test_most_clear_sentences_are_recognised_and_the_headline_ones():
    assert len(RECOGNISED) >= 0.7 * len(FOREIGN)
    assert {code for code, _ in RECOGNISED} == set(LANGUAGES)  # every language at least once
    assert detect_language("Hola, quiero una camisa a medida de lino, talla 40, manga larga") == "es"
    assert detect_language("Ja, bitte bestellen Sie das so") == "de"


@pytest.mark.parametrize("text", ["Ja, gerne", "Sí, por favor", "Oui, merci", "Guten Tag", "Hola"])
def test_two_words_are_too_few_to_tell(text):
    assert detect_language(text) is None


def test_sizes_order_numbers_addresses_and_catalog_words_do_not_count():
    assert letter_words("neck 39cm, order BSP-4D6F8H, k.schulz@t-online.de please") == ["neck", "order", "please"]
    assert sentence_words("Hola Maria da Silva") == ["hola", "da"]
    assert detect_language("linen natural oxford white", known_words=CATALOG_WORDS) is None
    assert sentence_words("quiero lino natural", known_words=["natural"]) == ["quiero", "lino"]
    assert {"linen", "oxford", "ryzen", "shirt"} <= CATALOG_WORDS and not {"a", "to", "no"} & CATALOG_WORDS


def test_an_order_number_of_letters_only_is_not_a_word():
    # "where is my order BSP-MYXHBM?" was German 0.99: random letters are random trigrams.
    assert letter_words("where is my order BSP-MYXHBM?") == ["where", "is", "my", "order"]
    assert letter_words("order bspmyxhbm please") == ["order", "please"]


@pytest.mark.parametrize("seed", range(3))
def test_no_question_about_an_order_number_is_another_language(seed):
    numbers = [new_order_number() for _ in range(200)]
    phrasings = ["where is my order {}?", "status of {}", "cancel order {} please", "what about {}, is it ready",
                 "can you check {} for me"]
    taken = [(phrasing.format(number), code) for number in numbers for phrasing in phrasings
             if (code := detect_language(phrasing.format(number), known_words=CATALOG_WORDS))]
    assert taken == []


def test_every_language_has_its_words():
    assert set(OTHER_LANGUAGE_REPLIES) == set(ORDER_KEPT) == set(LANGUAGES) >= {"es", "de", "fr", "it", "nl", "pt"}
    assert set(OTHER) == set(LANGUAGES)


def test_the_reply_is_in_the_language_and_in_english():
    reply = other_language_reply("es")
    assert reply == "Lo siento, por ahora solo atendemos pedidos en inglés.\n" + OTHER_LANGUAGE_ENGLISH
    kept = other_language_reply("de", order_kept=True)
    assert kept == ("Entschuldigung, wir nehmen Bestellungen derzeit nur auf Englisch entgegen. Ihre angefangene "
                    "Bestellung bleibt erhalten.\n" + OTHER_LANGUAGE_ENGLISH + " Your order so far is kept.")


NONSENSE = ["blorp fnarg wibble", "grobble snarf wuzzle", "florp glarb snoo", "zorbix quantel frimble",
            "wug blicket dax toma", "kjhsdf kjhsdf lkjsdf", "asdf qwer zxcv uiop", "xkcd qqq zzzt"]


@pytest.mark.parametrize("text", NONSENSE)
def test_made_up_words_are_no_language(text):
    # "blorp fnarg wibble" was Italian 0.997: lingua scores letters, not words.
    assert detect_language(text, known_words=CATALOG_WORDS) is None


def test_strings_of_syllables_are_almost_never_a_language():
    import random

    rng = random.Random(1)

    def word():
        return "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") + (rng.choice("bcdfghjklmnpqrstvwxz")
                       if rng.random() < 0.5 else "") for _ in range(rng.randint(1, 3)))

    made_up = [" ".join(word() for _ in range(rng.randint(3, 6))) for _ in range(600)]
    taken = [text for text in made_up if detect_language(text, known_words=CATALOG_WORDS)]
    assert len(taken) <= 10, taken  # 6 measured (127 on the letters' confidence alone)


def test_every_language_has_common_words_and_the_clear_sentences_have_them():
    from bot.core.language import COMMON_WORDS, has_common_words

    assert set(COMMON_WORDS) == set(LANGUAGES)
    for code, text in RECOGNISED:
        assert has_common_words(letter_words(text, CATALOG_WORDS), code), text
    assert not has_common_words(["blorp", "fnarg", "wibble"], "it")
