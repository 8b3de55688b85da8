"""The customer's contact details as they typed them: a name, an email address and a
delivery address read out of what they wrote, or refused with the reason and a question.

Each reader returns a Reading: the value to store (None when refused), the reply that
says it back or says what is wrong, and the problem as data (ContactProblem). Nothing is
re-cased; only the customer's lead-in ("my name is", "please send it to") and trailing
politeness ("thanks") are left out. Countries are recognised from their names and codes
in English (pycountry, babel) and in the country's own languages (pycountry's translations
for the official languages babel lists), so an address outside the shop's delivery
countries is refused with the policy.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

import pycountry
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from email_validator import EmailNotValidError, validate_email
from nameparser import HumanName

from bot.core.catalog import Shop
from bot.core.phrases import name_list

MAX_NAME_CHARS = 100
MAX_NAME_WORDS = 8
MIN_ADDRESS_CHARS = 8
MAX_ADDRESS_CHARS = 300


class ContactProblem(str, Enum):
    """Why a contact answer was refused."""

    EMPTY = "empty"
    NOT_A_NAME = "not_a_name"  # "yes", "ok", "no"
    NUMBER = "number"
    DIGITS = "digits"
    EMAIL_AS_NAME = "email_as_name"
    CODE = "code"
    CONTROL = "control"
    BROKEN = "broken"  # a character that did not come through (U+FFFD, a lone surrogate)
    NOT_PLAUSIBLE = "not_plausible"  # "NaN", "null", "aaaa", "asdfgh": no name or place is written so
    SYMBOLS = "symbols"
    NO_LETTERS = "no_letters"
    TITLE_ONLY = "title_only"
    TOO_LONG = "too_long"
    QUESTION = "question"
    SENTENCE = "sentence"
    NO_AT = "no_at"
    NOTHING_BEFORE_AT = "nothing_before_at"
    NOTHING_AFTER_AT = "nothing_after_at"
    NO_DOMAIN_ENDING = "no_domain_ending"
    SEVERAL_EMAILS = "several_emails"
    INVALID_EMAIL = "invalid_email"
    NOT_AN_ADDRESS = "not_an_address"
    ADDRESS_INCOMPLETE = "address_incomplete"
    OUTSIDE_DELIVERY = "outside_delivery"


@dataclass(frozen=True)
class Reading:
    """One contact answer read: the value taken (None when refused) and the reply."""

    value: Optional[str]
    reply: str
    problem: Optional[ContactProblem] = None
    first: str = ""  # a name's first and last name (nameparser), for wording
    last: str = ""

    @property
    def taken(self) -> bool:
        return self.value is not None


# What customers put around a detail: left out, never stored. Matched as whole words at the
# start (several in a row: "yes, it's ...") or at the end of the answer.
# Only words no name starts with: "So Yeon Park", "Gerhard Just" and "Im Soo-jin" keep theirs.
GREETINGS = ("hi", "hello", "hey", "sure", "ok", "okay", "yes", "yeah", "yep", "of course")
NAME_LEAD_INS = (
    "the name would be", "the name will be", "name would be", "it would be", "it will be", "it'll be", "it should be",
    "my names", "sure thing", "you can use", "use", "please put", "put",
    "my full name is", "my name is", "my name's", "the name is", "the name's", "name is", "name's", "name",
    "you can call me", "call me", "i am called", "i'm called", "they call me", "i am", "i'm",
    "it is", "it's", "its", "this is", "here is", "here's", "put it under the name", "put it under",
    "under the name", "under", "the order is for", "it's for", "for", "full name", "first and last name",
)
NAME_LEAD_OUTS = ("here", "is my name", "is the name", "is my full name", "speaking", "that's me", "that is me")
# Words of a sentence that no name has: "I don't want to say" is not a name.
SENTENCE_WORDS = frozenset({
    "i", "i'm", "dont", "don't", "do not", "want", "wanna", "need", "needs", "why", "what", "how", "you", "your",
    "is", "are", "the", "would", "should", "could", "please", "not", "say", "tell", "give", "know", "rather",
})
FIRST_AND_LAST = re.compile(
    r"^first\s*name\s*(?:is|:)?\s*(?P<first>[^,;]+?)\s*[,;]?\s*(?:and\s+)?(?:my\s+)?(?:last\s*name|surname|family\s*name)"
    r"\s*(?:is|:)?\s*(?P<last>.+)$", re.IGNORECASE)
EMAIL_LEAD_INS = ("my email address is", "my email is", "email", "e-mail", "mail")
ADDRESS_LEAD_INS = (
    "please send it to", "please send to", "please ship it to", "please ship to", "please deliver it to",
    "please deliver to", "send it to", "send to", "ship it to", "ship to", "deliver it to", "deliver to",
    "deliver to my address", "delivery to", "delivery address is", "delivery address", "my address is",
    "the address is", "my delivery address is", "address is", "address", "it's", "it is", "its", "to",
    "please", "i live at", "i live in", "we're at", "we are at", "my home", "my office", "my work", "my place",
    "our office", "home", "work", "the office",
)
POLITENESS = (
    "thank you very much", "thank you", "thanks a lot", "many thanks", "thanks", "thx", "ty", "cheers",
    "please", "pls", "plz", "regards", "best regards", ":)", ":-)", "😊", "🙂",
)
NOT_NAMES = frozenset({
    "yes", "no", "ok", "okay", "y", "n", "yeah", "yep", "nope", "nah", "sure", "maybe", "none", "nothing",
    "n/a", "na", "idk", "test", "hi", "hello", "hey", "thanks", "thank you", "cancel", "stop", "skip", "why",
    "what", "anonymous", "no name", "asdf", "qwerty", "me", "name", "my name",
})
# Words a program or a test writes where a name or a place should be, and keyboard rows: a
# name or an address made only of these is not one ("NaN", "null null", "lorem ipsum").
JUNK_WORDS = frozenset({
    "nan", "null", "nil", "none", "undefined", "true", "false", "infinity", "inf", "void", "object", "lorem",
    "ipsum", "dolor", "test", "testing", "foo", "bar", "baz", "qux", "xxx", "xyz", "abc", "asdf", "qwerty", "dummy",
    "sample", "example", "placeholder", "blah", "bla",
})
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn")
# What confirms the order: at the name question, the order was confirmed already.
AFFIRMATIONS = frozenset({"yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "confirm", "confirmed", "correct",
                          "right", "fine", "go", "ahead", "please", "do", "it", "place", "order", "the"})
CODE_CHARACTERS = set("<>{}[]`;=$\\|")
NAME_PUNCTUATION = set("'’‘-‐.,&()")
# English names a customer uses that pycountry does not give (it has names, common names
# and codes): matched like any country name.
COUNTRY_ALIASES = {
    "usa": "US", "u.s.a.": "US", "u.s.": "US", "america": "US", "the states": "US", "united states of america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "holland": "NL", "czech republic": "CZ", "russia": "RU",
    "south korea": "KR", "korea": "KR", "vatican": "VA", "turkey": "TR",
    "россия": "RU",  # its own-language common name (pycountry has the Russian Federation's)
}
# Countries whose English name takes "the" in a sentence.
WITH_THE = frozenset({"US", "GB", "NL", "PH", "AE", "BS", "GM", "CF", "DO", "MV", "SC", "KM", "MH", "SB", "VA",
                      "CD", "CG", "CZ", "KY", "FO", "FK", "VG", "VI", "TC", "MP"})


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _strip_words(text: str, words: Iterable[str], *, at_end: bool = False) -> str:
    """`text` without any of `words` (whole words, any case) at its start (or end),
    repeatedly, with the commas and colons around them."""
    alternatives = "|".join(re.escape(word).replace("'", "['’]") for word in sorted(words, key=len, reverse=True))
    if at_end:
        pattern = re.compile(rf"(?:^|[\s,;.!-]+)(?:{alternatives})[\s,.!]*$", re.IGNORECASE)
    else:
        pattern = re.compile(rf"^(?:{alternatives})(?=$|[\s,:!.-])[\s,:!.-]*", re.IGNORECASE)
    while True:
        shorter = pattern.sub("", text, count=1).strip()
        if shorter == text:
            return text
        text = shorter
        if not text:  # nothing but lead-ins and politeness
            return text


def _unquote(text: str) -> str:
    while len(text) >= 2 and text[0] in "\"'“‘«" and text[-1] in "\"'”’»":
        text = text[1:-1].strip()
    return text


def _broken(text: str) -> bool:
    """A character that did not come through: U+FFFD (what the input channel makes of
    invalid text) or a lone surrogate (when nothing cleaned it)."""
    return any(ch == "\ufffd" or unicodedata.category(ch) == "Cs" for ch in text)


BROKEN_REPLY = "Part of that didn't come through (a broken character)."


def _words(text: str) -> List[str]:
    """The words of a text, folded for comparing ("ＮａＮ" is "nan")."""
    return re.findall(r"[^\W\d_]+", unicodedata.normalize("NFKC", text).casefold())


def _implausible(text: str) -> bool:
    """Written by a program or a keyboard, not a person: only junk words, a letter four
    times in a row ("aaaa", "AAAAAAAA"), a run of keys along a keyboard row ("asdfgh")."""
    words = _words(text)
    if words and all(word in JUNK_WORDS or word in NOT_NAMES for word in words):
        return True
    if re.search(r"([^\W\d_])\1{3}", unicodedata.normalize("NFKC", text).casefold()):
        return True
    return any(len(word) >= 4 and any(word in row or word in row[::-1] for row in KEYBOARD_ROWS) for word in words)


def _control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r\u200c\u200d" for ch in text)


def _quoted(characters: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(characters))


def read_name(text: str) -> Reading:
    """The name in the customer's answer to the name question, as typed."""
    if _broken(text):
        return _refuse_name(ContactProblem.BROKEN, BROKEN_REPLY)
    if _control(text):
        return _refuse_name(ContactProblem.CONTROL, "That contains invisible control characters.")
    # Leading separators are no part of a name: ",yes Anna" reads as "yes Anna" does.
    name = _collapse(text).lstrip(",;: ")
    if len(name) > 3 * MAX_NAME_CHARS:
        return _refuse_name(ContactProblem.TOO_LONG, f"That's longer than a name (up to {MAX_NAME_CHARS} characters).")
    if name.endswith("?"):
        return _refuse_name(ContactProblem.QUESTION, "The order and its delivery need a name.")
    stripped = _strip_words(_strip_words(name, POLITENESS, at_end=True), GREETINGS + NAME_LEAD_INS)
    stripped = _strip_words(_strip_words(stripped, NAME_LEAD_OUTS, at_end=True), POLITENESS, at_end=True)
    if stripped.startswith("im "):  # "im aiko", typed for "I'm"; "Im" in capitals is a surname
        stripped = stripped[3:].lstrip()
    parts = FIRST_AND_LAST.match(stripped)
    if parts:  # "first name Aiko, last name Tanaka"
        stripped = f"{parts['first']} {parts['last']}"
    if _words(name) and all(word in AFFIRMATIONS for word in _words(name)):  # a second "yes" to the summary
        return _refuse_name(ContactProblem.NOT_A_NAME, "You've confirmed the order; I only need the name that "
                                                       "should go on it.")
    if not stripped and name.casefold().strip(" .!") in NOT_NAMES:
        return _refuse_name(ContactProblem.NOT_A_NAME, f"“{name}” isn't a name.")
    name = _unquote(stripped.strip(" ,!?"))
    if name.endswith(".") and len(name.rsplit(maxsplit=1)[-1]) > 4:  # "Tanaka." but "King Jr."
        name = name[:-1].rstrip()
    if not name:
        return _refuse_name(ContactProblem.EMPTY, "I didn't catch a name there.")
    if name.casefold().strip(".!") in NOT_NAMES:
        return _refuse_name(ContactProblem.NOT_A_NAME, f"“{name}” isn't a name.")
    if "@" in name:
        return _refuse_name(ContactProblem.EMAIL_AS_NAME,
                            "That looks like an email address; I'll ask for it next.")
    code = [ch for ch in name if ch in CODE_CHARACTERS]
    if code or "://" in name:
        return _refuse_name(ContactProblem.CODE, f"A name can't contain code or markup ({_quoted(code) or '://'}).")
    if any(ch.isdigit() for ch in name) and all(unicodedata.category(ch).startswith("N") or ch in " .,-+/()"
                                                 for ch in name):
        return _refuse_name(ContactProblem.NUMBER, f"“{name}” is a number, not a name.")
    if any(unicodedata.category(ch).startswith("N") for ch in name):
        return _refuse_name(ContactProblem.DIGITS, "A name has no digits.")
    if not any(ch.isalpha() for ch in name):
        return _refuse_name(ContactProblem.NO_LETTERS, f"A name is written in letters; “{name}” has none.")
    symbols = [ch for ch in name if not (ch.isalpha() or ch == " " or unicodedata.category(ch).startswith("M")
                                         or ch in NAME_PUNCTUATION)]
    if symbols:
        return _refuse_name(ContactProblem.SYMBOLS, f"A name is written in letters, without {_quoted(symbols)}.")
    if len(name) > MAX_NAME_CHARS or len(name.split()) > MAX_NAME_WORDS:
        return _refuse_name(ContactProblem.TOO_LONG,
                            f"That's longer than a name (up to {MAX_NAME_WORDS} words, {MAX_NAME_CHARS} characters).")
    if any(word in SENTENCE_WORDS for word in re.findall(r"[\w'’]+", name.casefold().replace("’", "'"))):
        return _refuse_name(ContactProblem.SENTENCE, "That reads like a sentence, not a name.")
    if _implausible(name) or not any(len(word) >= 2 for word in _words(name)):
        return _refuse_name(ContactProblem.NOT_PLAUSIBLE, f"“{name}” doesn't look like a name.")
    parsed = HumanName(name)
    if not (parsed.first or parsed.last):
        return _refuse_name(ContactProblem.TITLE_ONLY, f"“{name}” is a title; what's the name that goes with it?",
                            ask=False)
    return Reading(name, f"Thanks, {name}" + ("" if name.endswith(".") else "."), first=parsed.first, last=parsed.last)


def _refuse_name(problem: ContactProblem, why: str, ask: bool = True) -> Reading:
    question = " What name should go on the order (for example Anna Schmidt)?" if ask else ""
    return Reading(None, why + question, problem)


EMAIL_EXAMPLE = "name@example.com"


def read_email(text: str) -> Reading:
    """The email address in the customer's answer, normalised by email-validator."""
    if _broken(text):
        return _refuse_email(ContactProblem.BROKEN, BROKEN_REPLY)
    if _control(text):
        return _refuse_email(ContactProblem.CONTROL, "That contains invisible control characters.")
    candidates = list(dict.fromkeys(
        word.strip("<>,;:()[]\"'“”‘’").rstrip(".!?").removeprefix("mailto:") for word in _email_words(text)))
    if not candidates:
        return _refuse_email(ContactProblem.NO_AT, "An email address has an @ in it.")
    if len(candidates) > 1:
        return _refuse_email(ContactProblem.SEVERAL_EMAILS,
                             f"I see more than one email address ({', '.join(candidates)}); which one should we use?",
                             ask=False)
    candidate = candidates[0]
    local, _, domain = candidate.rpartition("@")
    if not local:
        return _refuse_email(ContactProblem.NOTHING_BEFORE_AT, f"“{candidate}” has nothing before the @.")
    if not domain:
        return _refuse_email(ContactProblem.NOTHING_AFTER_AT, f"“{candidate}” has nothing after the @.")
    if "." not in domain.strip("."):
        return _refuse_email(ContactProblem.NO_DOMAIN_ENDING,
                             f"“{candidate}” needs a domain with its ending after the @ (like example.com).")
    try:
        normalized = validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:  # its reasons are English sentences, without codes: ours are above
        return _refuse_email(ContactProblem.INVALID_EMAIL, f"“{candidate}” isn't a valid email address.")
    return Reading(normalized, f"I'll send the confirmation and updates to {normalized}.")


def _email_words(text: str) -> List[str]:
    """The words of a text that hold an @ ("aiko @ example.jp" is one)."""
    return [word for word in _joined_at(text).split() if "@" in word]


def _joined_at(text: str) -> str:
    return re.sub(r"\s*[@＠]\s*", "@", _collapse(text))


# What joins a name to an email given with it: "Aiko Tanaka and my email is aiko@example.jp".
EMAIL_JOINERS = ("and my email address is", "and my email is", "and my email", "my email address is", "my email is",
                 "and email", "email address", "email", "e-mail", "and", "at", "-", "–", ",", ";", "/", "|")


def read_name_and_email(text: str) -> Tuple[Reading, Optional[Reading]]:
    """The answer to the name question, which may give the email beside the name
    ("Aiko Tanaka, aiko@example.jp"): the name read without it, and the email read too.
    An email with no name beside it is refused as a name (and not taken)."""
    if _control(text) or not _email_words(text):
        return read_name(text), None
    rest = " ".join(word for word in _joined_at(text).split() if "@" not in word)
    rest = _strip_words(_strip_words(rest, POLITENESS, at_end=True), EMAIL_JOINERS, at_end=True)
    if not any(ch.isalpha() for ch in _strip_words(rest, GREETINGS + NAME_LEAD_INS + EMAIL_LEAD_INS)):
        return read_name(text), None
    return read_name(rest), read_email(text)


def _refuse_email(problem: ContactProblem, why: str, ask: bool = True) -> Reading:
    question = f" Please type the email address we should use, like {EMAIL_EXAMPLE}." if ask else ""
    return Reading(None, why + question, problem)


ADDRESS_QUESTION = "Please give the full delivery address: street and number, postcode and town."


def read_address(text: str, shop: Shop) -> Reading:
    """The delivery address in the customer's answer, refused when it is not an address or
    is in a country the shop does not deliver to."""
    if _broken(text):
        return Reading(None, f"{BROKEN_REPLY} {ADDRESS_QUESTION}", ContactProblem.BROKEN)
    if _control(text):
        return Reading(None, f"That contains invisible control characters. {ADDRESS_QUESTION}",
                       ContactProblem.CONTROL)
    lines = [_collapse(line).strip(" ,") for line in text.splitlines()]
    address = ", ".join(line for line in lines if line)  # one line, as the order shows it
    address = _strip_words(_strip_words(address, POLITENESS, at_end=True), GREETINGS + ADDRESS_LEAD_INS)
    if not address and _collapse(text).casefold().strip(" .!") in NOT_NAMES:
        address = _collapse(text)
    address = _unquote(address.strip(" ,!"))
    if address.casefold().strip(".!") in NOT_NAMES:
        return Reading(None, f"“{address}” isn't an address. {ADDRESS_QUESTION}", ContactProblem.NOT_AN_ADDRESS)
    code = [ch for ch in address if ch in CODE_CHARACTERS]
    if code or "://" in address:
        return Reading(None, f"An address can't contain code or markup ({_quoted(code) or '://'}). {ADDRESS_QUESTION}",
                       ContactProblem.CODE)
    if "@" in address:
        return Reading(None, f"That looks like an email address, not a postal one. {ADDRESS_QUESTION}",
                       ContactProblem.NOT_AN_ADDRESS)
    if len(address) > MAX_ADDRESS_CHARS:
        return Reading(None, f"That's longer than an address (up to {MAX_ADDRESS_CHARS} characters). {ADDRESS_QUESTION}",
                       ContactProblem.TOO_LONG)
    country = find_country(address)
    if country is not None and not delivers_to(shop, country):
        return Reading(None, f"That address is in {country_name(country)}. {delivery_policy(shop)} "
                             "Please give an address there, or ask to talk to a person.", ContactProblem.OUTSIDE_DELIVERY)
    if _implausible(address):
        return Reading(None, f"“{address}” doesn't look like an address. {ADDRESS_QUESTION}",
                       ContactProblem.NOT_PLAUSIBLE)
    if (len(address) < MIN_ADDRESS_CHARS or not any(len(word) >= 3 for word in _words(address))
            or not (any(ch.isdigit() for ch in address) or "," in address)):
        return Reading(None, ADDRESS_QUESTION, ContactProblem.ADDRESS_INCOMPLETE)
    return Reading(address, f"We'll deliver to: {address}.")


# Countries ------------------------------------------------------------------------------

def delivers_to(shop: Shop, country: str) -> bool:
    return not shop.delivery_countries or country in shop.delivery_countries


def country_name(code: str, *, the: bool = True) -> str:
    """The country's English name for a sentence: "Austria", "the United States"."""
    try:
        name = Locale("en").territories.get(code)
    except UnknownLocaleError:  # pragma: no cover - babel always has English
        name = None
    if not name:
        country = pycountry.countries.get(alpha_2=code)
        name = getattr(country, "common_name", None) or (country.name if country else code)
    return f"the {name}" if the and code in WITH_THE else str(name)


def _listed(names: List[str], joiner: str = "and") -> str:
    return name_list(names, joiner)  # the core's one way of wording a list


def delivery_policy(shop: Shop) -> str:
    """"We deliver only within the EU." (or only to the listed countries)."""
    if shop.delivery_area:
        return f"We deliver only within {shop.delivery_area}."
    return f"We deliver only to {_listed([country_name(code) for code in shop.delivery_countries])}."


def delivery_answer(text: str, shop: Shop) -> Optional[str]:
    """A plain yes or no to "do you ship to Canada?" (for each country named); None when
    no country is named."""
    countries = find_countries(text, question=True)
    if not countries:
        return None
    yes = [country_name(code) for code in countries if delivers_to(shop, code)]
    no = [country_name(code) for code in countries if not delivers_to(shop, code)]
    if not no:
        return f"Yes, we deliver to {_listed(yes)}. {shop.delivery}"
    refusal = f"we don't deliver to {_listed(no, 'or')}. {delivery_policy(shop)}"
    return f"Yes, we deliver to {_listed(yes)}, but {refusal}" if yes else f"No, {refusal}"


def _fold(text: str) -> str:
    """Lower case without accents: "Österreich" and "osterreich" read alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=None)
def _country_names() -> Tuple[Tuple[re.Pattern, str], ...]:
    """Every country's names (English, its own languages, the aliases) as whole-word
    patterns over folded text, longest first, with the alpha-2 code they name."""
    names: Dict[str, str] = {_fold(alias): code for alias, code in COUNTRY_ALIASES.items()}
    translations: Dict[str, Optional[gettext.NullTranslations]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        own = [country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)]
        for language in get_official_languages(code, de_facto=True) or ():
            if language not in translations:
                try:
                    translations[language] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR,
                                                                 languages=[language])
                except OSError:
                    translations[language] = None
            translation = translations[language]
            if translation is not None:
                own.append(translation.gettext(country.name))
        try:
            own.append(Locale("en").territories.get(code))
        except UnknownLocaleError:  # pragma: no cover
            pass
        for name in own:
            if name and (len(name) > 3 or not name.isascii()):  # "USA", "DE": matched as codes
                names.setdefault(_fold(name), code)
    ordered = sorted(names.items(), key=lambda item: len(item[0]), reverse=True)
    return tuple((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)"), code) for name, code in ordered)


def find_country(text: str, *, question: bool = False) -> Optional[str]:
    """The country a text names (its alpha-2 code), the last one mentioned."""
    countries = find_countries(text, question=question)
    return countries[-1] if countries else None


def find_countries(text: str, *, question: bool = False) -> List[str]:
    """The countries a text names (alpha-2 codes), in the order mentioned.

    In an address the country comes last: a name with a number after it is a street's
    ("Avenue du Canada 5, 75001 Paris"), and a code (DE, AUT, "U.S.") counts only in
    capitals as the last word. In a question ("do you ship to the US?") both count anywhere.
    """
    folded = _fold(text)
    found: List[Tuple[int, str]] = []
    taken = [False] * len(folded)
    for pattern, code in _country_names():
        for match in pattern.finditer(folded):
            if not any(taken[match.start():match.end()]):  # "united states" before "states"
                taken[match.start():match.end()] = [True] * (match.end() - match.start())
                if question or not any(ch.isdigit() for ch in folded[match.end():]):
                    found.append((match.start(), code))
    words = re.findall(r"[A-Za-z][A-Za-z.]*[A-Za-z]\.?", text) if question else text.split()[-1:]
    for word in (word.strip(",;:()") for word in words):
        named = _country_code(word.replace(".", ""))
        if named is not None:
            found.append((folded.rfind(_fold(word)), named))
    return list(dict.fromkeys(code for _, code in sorted(found)))


def _country_code(word: str) -> Optional[str]:
    if not word.isupper() or len(word) not in (2, 3):
        return None
    country = pycountry.countries.get(alpha_2=word) if len(word) == 2 else pycountry.countries.get(alpha_3=word)
    return country.alpha_2 if country else None
