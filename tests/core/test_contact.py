"""Contact details read out of what customers type (bot/core/contact.py): the name, email
and address without lead-ins or politeness, casing as typed; junk refused with its reason
and a question; delivery countries from the catalog, in English and the country's own
languages."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.core.catalog import CatalogError, Shop, load_catalog
from bot.core.contact import (
    ContactProblem,
    delivery_answer,
    find_country,
    read_address,
    read_email,
    read_name,
    read_name_and_email,
)
from bot.local import DEMO_CATALOG
from tests.support.shops import ANYWHERE, DACH, EU


# --- names -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, name", [
    ("Aiko Tanaka", "Aiko Tanaka"),
    ("my name is Aiko Tanaka", "Aiko Tanaka"),
    ("My name is Aiko Tanaka", "Aiko Tanaka"),
    ("MY NAME IS AIKO TANAKA", "AIKO TANAKA"),  # casing as typed, never re-cased
    ("my name is aiko tanaka", "aiko tanaka"),
    ("I'm Aiko Tanaka", "Aiko Tanaka"),
    ("i am Aiko", "Aiko"),
    ("it's Aiko Tanaka", "Aiko Tanaka"),
    ("It’s Aiko Tanaka", "Aiko Tanaka"),
    ("this is Peter van der Berg", "Peter van der Berg"),
    ("call me Jo", "Jo"),
    ("you can call me Jo", "Jo"),
    ("name's Bond", "Bond"),
    ("Name: Anna Schmidt", "Anna Schmidt"),
    ("the name is Anna Schmidt please", "Anna Schmidt"),
    ("put it under Anna Schmidt", "Anna Schmidt"),
    ("the order is for Anna Schmidt", "Anna Schmidt"),
    ("Hi, I'm Aiko Tanaka", "Aiko Tanaka"),
    ("yes, it's Aiko Tanaka", "Aiko Tanaka"),
    ("sure: my full name is Aiko Tanaka", "Aiko Tanaka"),
    ("Aiko Tanaka, thanks!", "Aiko Tanaka"),
    ("Aiko Tanaka thank you", "Aiko Tanaka"),
    ("it's Aiko Tanaka, thanks", "Aiko Tanaka"),
    ("Aiko Tanaka.", "Aiko Tanaka"),
    ("  Aiko    Tanaka  ", "Aiko Tanaka"),
    ("'Aiko Tanaka'", "Aiko Tanaka"),
    ("“Aiko Tanaka”", "Aiko Tanaka"),
    ("Tanaka, Aiko", "Tanaka, Aiko"),
    ("Martin Luther King Jr.", "Martin Luther King Jr."),
    ("Dr. Anna Schmidt", "Dr. Anna Schmidt"),
    ("Mr Smith", "Mr Smith"),
    ("O'Brien", "O'Brien"),
    ("Jean-Luc Picard", "Jean-Luc Picard"),
    ("José Ñúñez", "José Ñúñez"),
    ("Zoë Müller-Lüdenscheidt", "Zoë Müller-Lüdenscheidt"),
    ("田中 愛子", "田中 愛子"),
    ("Іван Петренко", "Іван Петренко"),
    ("Imogen Heap", "Imogen Heap"),  # "im" is a lead-in only as a whole word
    ("Ford Prefect", "Ford Prefect"),  # "for" too
    ("Yesenia Okafor", "Yesenia Okafor"),
    ("aiko tanaka here", "aiko tanaka"),
    ("Aiko Tanaka is my name", "Aiko Tanaka"),
    ("The name would be Aiko Tanaka", "Aiko Tanaka"),
    ("Sure thing, Aiko Tanaka", "Aiko Tanaka"),
    ("first name Aiko, last name Tanaka", "Aiko Tanaka"),
    ("first name: Aiko; surname: Tanaka", "Aiko Tanaka"),
    ("Anna and Tom Schmidt", "Anna and Tom Schmidt"),
    ("Maria de la Cruz", "Maria de la Cruz"),
    ("Nguyễn Văn An", "Nguyễn Văn An"),
    ("im aiko tanaka", "aiko tanaka"),
    ("Im Soo-jin", "Im Soo-jin"),  # a surname, not "I'm"
    ("So Yeon Park", "So Yeon Park"),
    ("Just Müller", "Just Müller"),
])
def test_the_name_is_taken_as_typed_without_the_lead_in(typed, name):
    reading = read_name(typed)
    assert reading.value == name and reading.problem is None
    assert reading.reply.startswith(f"Thanks, {name}")  # said back in the same reply


def test_first_and_last_name_come_from_nameparser():
    reading = read_name("my name is Tanaka, Aiko")
    assert (reading.value, reading.first, reading.last) == ("Tanaka, Aiko", "Aiko", "Tanaka")


@pytest.mark.parametrize("typed, problem", [
    ("yes", ContactProblem.NOT_A_NAME),
    ("Yes.", ContactProblem.NOT_A_NAME),
    ("no", ContactProblem.NOT_A_NAME),
    ("ok", ContactProblem.NOT_A_NAME),
    ("OK!", ContactProblem.NOT_A_NAME),
    ("thanks", ContactProblem.NOT_A_NAME),
    ("none", ContactProblem.NOT_A_NAME),
    ("my name is", ContactProblem.EMPTY),
    ("I'm", ContactProblem.EMPTY),
    ("", ContactProblem.EMPTY),
    ("   ", ContactProblem.EMPTY),
    ("42", ContactProblem.NUMBER),
    ("+49 170 1234567", ContactProblem.NUMBER),
    ("Aiko 2", ContactProblem.DIGITS),
    ("my name is R2D2", ContactProblem.DIGITS),
    ("aiko@example.jp", ContactProblem.EMAIL_AS_NAME),
    ("my name is aiko@example.jp", ContactProblem.EMAIL_AS_NAME),
    ("<script>alert(1)</script>", ContactProblem.CODE),
    ("Robert'); DROP TABLE orders;--", ContactProblem.CODE),
    ("{}", ContactProblem.CODE),
    ("{{7*7}}", ContactProblem.CODE),
    ("a;b;c", ContactProblem.CODE),
    ("https://example.com", ContactProblem.CODE),
    ("Aiko\x00Tanaka", ContactProblem.CONTROL),
    ("Aiko\x1b[31mTanaka", ContactProblem.CONTROL),
    ("Aiko\u202eTanaka", ContactProblem.CONTROL),  # a right-to-left override
    ("😀", ContactProblem.NO_LETTERS),
    ("🙂🙂🙂", ContactProblem.NO_LETTERS),
    ("...", ContactProblem.NO_LETTERS),
    ("Aiko 🌸 Tanaka", ContactProblem.SYMBOLS),
    ("Aiko #1", ContactProblem.DIGITS),
    ("Aiko*Tanaka", ContactProblem.SYMBOLS),
    ("x" * 101, ContactProblem.TOO_LONG),
    ("a " * 400, ContactProblem.TOO_LONG),
    ("I would like to change the memory to 64 gigabytes and the case please", ContactProblem.DIGITS),
    ("I would like to change the memory and the case to something bigger", ContactProblem.TOO_LONG),
    ("Dr.", ContactProblem.TITLE_ONLY),
    ("why do you need my name?", ContactProblem.QUESTION),
    ("is that needed?", ContactProblem.QUESTION),
    ("I don't want to say", ContactProblem.SENTENCE),
    ("I dont want to say", ContactProblem.SENTENCE),
    ("what for", ContactProblem.SENTENCE),
    ("not telling you", ContactProblem.SENTENCE),
])
def test_answers_that_are_not_a_name_are_refused_with_a_question(typed, problem):
    reading = read_name(typed)
    assert reading.value is None and reading.problem is problem
    assert reading.reply.endswith("?")


def test_a_refusal_says_what_is_wrong_in_plain_words():
    assert read_name("yes").reply == ("You've confirmed the order; I only need the name that should go on it. "
                                       "What name should go on the order (for example Anna Schmidt)?")
    assert "< >" in read_name("<b>Aiko</b>").reply
    assert "🌸" in read_name("Aiko 🌸").reply


# --- email -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, email", [
    ("aiko@example.jp", "aiko@example.jp"),
    ("my email is aiko@example.jp", "aiko@example.jp"),
    ("it's aiko@example.jp thanks", "aiko@example.jp"),
    ("you can reach me at <aiko@example.jp>", "aiko@example.jp"),
    ("Aiko Tanaka <aiko@example.jp>", "aiko@example.jp"),
    ("email: aiko.tanaka+orders@example.co.jp.", "aiko.tanaka+orders@example.co.jp"),
    ("(aiko@example.jp)", "aiko@example.jp"),
    ("mailto:aiko@example.jp", "aiko@example.jp"),
    ("aiko @ example.jp", "aiko@example.jp"),
    ("Aiko@Example.JP", "Aiko@example.jp"),  # the domain normalised, the part before the @ as typed
    ("sure, it is aiko@example.jp!", "aiko@example.jp"),
])
def test_the_email_is_found_in_the_answer_and_said_back(typed, email):
    reading = read_email(typed)
    assert reading.value == email
    assert email in reading.reply


@pytest.mark.parametrize("typed, problem, words", [
    ("max at example", ContactProblem.NO_AT, "has an @"),
    ("yes", ContactProblem.NO_AT, "has an @"),
    ("@example.com", ContactProblem.NOTHING_BEFORE_AT, "nothing before the @"),
    ("max@", ContactProblem.NOTHING_AFTER_AT, "nothing after the @"),
    ("max@example", ContactProblem.NO_DOMAIN_ENDING, "like example.com"),
    ("max@example.", ContactProblem.NO_DOMAIN_ENDING, "like example.com"),
    ("max..muster@example.com", ContactProblem.INVALID_EMAIL, "isn't a valid email address"),
    ("max@exam_ple.com", ContactProblem.INVALID_EMAIL, "isn't a valid email address"),
    ("a@example.com or b@example.com", ContactProblem.SEVERAL_EMAILS, "which one"),
    ("max@example.com\x00", ContactProblem.CONTROL, "control characters"),
])
def test_a_wrong_email_is_refused_in_our_words_with_an_example(typed, problem, words):
    reading = read_email(typed)
    assert reading.value is None and reading.problem is problem
    assert words in reading.reply
    assert "doesn't look right" not in reading.reply and "@-sign" not in reading.reply  # not the library's English
    if problem is not ContactProblem.SEVERAL_EMAILS:
        assert reading.reply.endswith("like name@example.com.")


# --- addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed, address", [
    ("Hauptstrasse 12, 10115 Berlin", "Hauptstrasse 12, 10115 Berlin"),
    ("please send it to Hauptstrasse 12, 10115 Berlin", "Hauptstrasse 12, 10115 Berlin"),
    ("Please ship it to Hauptstrasse 12, 10115 Berlin, thanks", "Hauptstrasse 12, 10115 Berlin"),
    ("ship to Musterweg 3, 1010 Wien", "Musterweg 3, 1010 Wien"),
    ("deliver to 12 Rue de Rivoli, 75001 Paris, France", "12 Rue de Rivoli, 75001 Paris, France"),
    ("my address is Musterweg 3, 1010 Wien, Österreich", "Musterweg 3, 1010 Wien, Österreich"),
    ("it's Calle Mayor 5, 28013 Madrid, España", "Calle Mayor 5, 28013 Madrid, España"),
    ("ul. Marszałkowska 1, 00-001 Warszawa, Polska", "ul. Marszałkowska 1, 00-001 Warszawa, Polska"),
    ("Via Roma 1, 00100 Roma, Italia", "Via Roma 1, 00100 Roma, Italia"),
    ("Keizersgracht 1, 1015 Amsterdam, Nederland", "Keizersgracht 1, 1015 Amsterdam, Nederland"),
    ("Hauptstrasse 12\n10115 Berlin", "Hauptstrasse 12, 10115 Berlin"),  # lines joined as the order shows it
    ("HAUPTSTRASSE 12, 10115 BERLIN", "HAUPTSTRASSE 12, 10115 BERLIN"),
    ("Hauptstrasse 12, 10115 Berlin, DE", "Hauptstrasse 12, 10115 Berlin, DE"),
    ("Canada Street 5, 10115 Berlin, Germany", "Canada Street 5, 10115 Berlin, Germany"),  # the last country counts
    ("Canada Street 5, 10115 Berlin", "Canada Street 5, 10115 Berlin"),
    ("to my office: Friedrichstr. 100, 10117 Berlin", "Friedrichstr. 100, 10117 Berlin"),
    ("Please send it to my home, Hauptstrasse 12, 10115 Berlin. Thanks!", "Hauptstrasse 12, 10115 Berlin"),
    ("Homestead Road 5, 1010 Wien", "Homestead Road 5, 1010 Wien"),  # a street's name: a number follows
    ("Avenue du Canada 5, 75001 Paris", "Avenue du Canada 5, 75001 Paris"),
    ("Rue de Suisse 3, 75006 Paris", "Rue de Suisse 3, 75006 Paris"),
    ("c/o Michael Jordan, Hauptstrasse 12, 10115 Berlin", "c/o Michael Jordan, Hauptstrasse 12, 10115 Berlin"),
])
def test_an_address_in_the_delivery_countries_is_taken_and_said_back(typed, address):
    reading = read_address(typed, EU)
    assert reading.value == address
    assert address in reading.reply


@pytest.mark.parametrize("typed, country", [
    ("1600 Pennsylvania Ave NW, Washington, DC 20500, USA", "the United States"),
    ("350 Fifth Avenue, New York, NY 10118, United States", "the United States"),
    ("ship to 1 Main St, Springfield, U.S.", "the United States"),
    ("12 Main St, 12345 Springfield US", "the United States"),
    ("100 Queen St W, Toronto, ON M5H 2N2, Canada", "Canada"),
    ("10 Downing Street, London SW1A 2AA, UK", "the United Kingdom"),
    ("Bahnhofstrasse 1, 8001 Zürich, Schweiz", "Switzerland"),
    ("Rue du Rhône 1, 1204 Genève, Suisse", "Switzerland"),
    ("Karl Johans gate 1, 0154 Oslo, Norge", "Norway"),
    ("Karl Johans gate 1, 0154 Oslo, Norway", "Norway"),
    ("1-1 Chiyoda, Tokyo 100-0001, Japan", "Japan"),
    ("1-1 Chiyoda, Tokyo 100-0001, 日本", "Japan"),
    ("Tverskaya 1, 125009 Moskva, Россия", "Russia"),
])
def test_an_address_outside_the_delivery_countries_is_refused_with_the_policy(typed, country):
    reading = read_address(typed, EU)
    assert reading.value is None and reading.problem is ContactProblem.OUTSIDE_DELIVERY
    assert reading.reply == (f"That address is in {country}. We deliver only within the EU. "
                             "Please give an address there, or ask to talk to a person.")


def test_the_policy_lists_the_countries_when_the_shop_names_no_area():
    reading = read_address("Via Roma 1, 00100 Roma, Italia", DACH)
    assert reading.problem is ContactProblem.OUTSIDE_DELIVERY
    assert "We deliver only to Germany, Austria and Switzerland." in reading.reply
    assert read_address("Bahnhofstrasse 1, 8001 Zürich, Schweiz", DACH).value is not None


def test_a_shop_without_delivery_countries_delivers_anywhere():
    assert read_address("100 Queen St W, Toronto, ON M5H 2N2, Canada", ANYWHERE).value is not None


@pytest.mark.parametrize("typed, problem", [
    ("yes", ContactProblem.NOT_AN_ADDRESS),
    ("ok", ContactProblem.NOT_AN_ADDRESS),
    ("Berlin", ContactProblem.ADDRESS_INCOMPLETE),
    ("please send it to", ContactProblem.ADDRESS_INCOMPLETE),
    ("12345", ContactProblem.ADDRESS_INCOMPLETE),
    ("aiko@example.jp", ContactProblem.NOT_AN_ADDRESS),
    ("<script>alert(1)</script> 12", ContactProblem.CODE),
    ("Hauptstrasse 12; DROP TABLE orders", ContactProblem.CODE),
    ("Hauptstrasse 12\x00, Berlin", ContactProblem.CONTROL),
    ("Hauptstrasse 12, " + "x" * 300, ContactProblem.TOO_LONG),
])
def test_junk_is_refused_as_an_address(typed, problem):
    reading = read_address(typed, EU)
    assert reading.value is None and reading.problem is problem
    assert reading.reply.endswith("street and number, postcode and town.")


# --- countries and "do you ship to X?" -----------------------------------------------------

@pytest.mark.parametrize("question, answer", [
    ("do you ship to Canada?", "No, we don't deliver to Canada. We deliver only within the EU."),
    ("ship to canada?", "No, we don't deliver to Canada. We deliver only within the EU."),
    ("do you deliver to the USA?", "No, we don't deliver to the United States. We deliver only within the EU."),
    ("can you ship to the US", "No, we don't deliver to the United States. We deliver only within the EU."),
    ("can you ship to the U.S.?", "No, we don't deliver to the United States. We deliver only within the EU."),
    ("do you send to the UK", "No, we don't deliver to the United Kingdom. We deliver only within the EU."),
    ("is delivery to Switzerland possible?", "No, we don't deliver to Switzerland. We deliver only within the EU."),
    ("can you deliver to Austria?", "Yes, we deliver to Austria."),
    ("what about delivery to Österreich?", "Yes, we deliver to Austria."),
    ("liefert ihr nach Deutschland?", "Yes, we deliver to Germany."),
    ("how much is delivery to Italy", "Yes, we deliver to Italy."),
    ("do you ship to españa", "Yes, we deliver to Spain."),
    ("do you ship to norway or switzerland", "No, we don't deliver to Norway or Switzerland. "
                                             "We deliver only within the EU."),
    ("can you deliver to Austria and Switzerland?", "Yes, we deliver to Austria, but we don't deliver to Switzerland. "
                                                    "We deliver only within the EU."),
    ("do you ship to France and Spain?", "Yes, we deliver to France and Spain."),
])
def test_do_you_ship_to_gets_a_plain_yes_or_no(question, answer):
    assert delivery_answer(question, EU).startswith(answer)


def test_a_yes_carries_the_shops_delivery_text():
    shop = Shop(delivery="Shipping is free.", delivery_countries=["AT"])
    assert delivery_answer("can you deliver to Austria?", shop) == "Yes, we deliver to Austria. Shipping is free."


@pytest.mark.parametrize("question", ["do you deliver?", "how much is shipping", "where do you ship to"])
def test_a_delivery_question_without_a_country_is_left_to_the_delivery_text(question):
    assert delivery_answer(question, EU) is None


@pytest.mark.parametrize("text, code", [
    ("Deutschland", "DE"), ("Österreich", "AT"), ("Osterreich", "AT"), ("France", "FR"), ("Sverige", "SE"),
    ("Magyarország", "HU"), ("Ελλάδα", "GR"), ("Česko", "CZ"), ("Hrvatska", "HR"), ("Suomi", "FI"),
    ("Belgique", "BE"), ("België", "BE"), ("the Netherlands", "NL"), ("Holland", "NL"), ("United States", "US"),
    ("Sesame Street 1, Springfield", None), ("Hauptstrasse 12, 10115 Berlin", None),
])
def test_countries_are_recognised_in_english_and_their_own_languages(text, code):
    assert find_country(text) == code


def test_codes_count_only_in_capitals_at_the_end_of_an_address():
    assert find_country("Hauptstrasse 12, 10115 Berlin, DE") == "DE"
    assert find_country("Via Roma 1, 00100 Roma IT") == "IT"
    assert find_country("Flat NO 5, 10115 Berlin") is None  # "NO" is not Norway here
    assert find_country("it is in Berlin") is None


# --- the catalog's delivery countries ---------------------------------------------------------

def write_shop(tmp_path, **shop):
    raw = yaml.safe_load(DEMO_CATALOG.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["shop"].update(shop)
    path = tmp_path / "catalog.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_the_demo_catalog_delivers_within_the_eu():
    shop = load_catalog(DEMO_CATALOG).shop
    assert shop.delivery_area == "the EU" and len(shop.delivery_countries) == 27
    assert "DE" in shop.delivery_countries and "US" not in shop.delivery_countries


def test_delivery_countries_are_read_as_alpha_2_codes(tmp_path):
    shop = load_catalog(write_shop(tmp_path, delivery_countries=["de", "AUT", "FR", "DE"])).shop
    assert shop.delivery_countries == ("DE", "AT", "FR")


@pytest.mark.parametrize("codes, named", [(["DE", "XX"], "'XX'"), (["Germany"], "'Germany'"), ("DE", "list")])
def test_an_unknown_country_code_is_a_clear_catalog_error(tmp_path, codes, named):
    with pytest.raises(CatalogError) as caught:
        load_catalog(write_shop(tmp_path, delivery_countries=codes))
    message = str(caught.value)
    assert "delivery_countries" in message and named in message and "ISO 3166" in message


# --- a name with the email beside it -------------------------------------------------------

@pytest.mark.parametrize("typed, name, email", [
    ("Aiko Tanaka, aiko@example.jp", "Aiko Tanaka", "aiko@example.jp"),
    ("my name is Aiko Tanaka and my email is aiko@example.jp", "Aiko Tanaka", "aiko@example.jp"),
    ("Aiko Tanaka <aiko@example.jp>", "Aiko Tanaka", "aiko@example.jp"),
    ("Aiko Tanaka (aiko@example.jp)", "Aiko Tanaka", "aiko@example.jp"),
    ("I'm aiko tanaka - aiko @ example.jp thanks", "aiko tanaka", "aiko@example.jp"),
])
def test_an_email_beside_the_name_is_taken_too(typed, name, email):
    named, mailed = read_name_and_email(typed)
    assert (named.value, mailed.value) == (name, email)


def test_a_wrong_email_beside_the_name_is_refused_and_the_name_taken():
    named, mailed = read_name_and_email("Aiko Tanaka aiko@example")
    assert named.value == "Aiko Tanaka"
    assert mailed.value is None and mailed.problem is ContactProblem.NO_DOMAIN_ENDING


@pytest.mark.parametrize("typed", ["aiko@example.jp", "my name is aiko@example.jp", "it's aiko@example.jp thanks"])
def test_an_email_alone_at_the_name_question_is_refused_as_a_name(typed):
    named, mailed = read_name_and_email(typed)
    assert named.problem is ContactProblem.EMAIL_AS_NAME and mailed is None


def test_a_name_without_an_email_is_read_as_a_name():
    assert read_name_and_email("my name is Aiko Tanaka") == (read_name("Aiko Tanaka"), None)

