"""Nothing held that was not stated plainly, every plain value held or refused with its
reason (issue 10): a guess on a choice is asked about, a value of someone else's is not
taken, a figure inside a question stays there, a value's common word for an option not
asked is taken and said back, a hedge at a free-text question is not the text, and
"make it 3" is the quantity. The issue's phrasings and our own."""

from __future__ import annotations


import pytest
import yaml

from bot.core.answers import take_answers
from bot.core.catalog import load_catalog
from bot.core.clauses import ClauseKind, read_message
from bot.core.extract import find_values
from bot.core.refusals import RefusalReason
from tests.support.reading import read, taken


def refused(reading, option_id: str):
    """The refusal the reading gives `option_id`, as a problem or as the asked option's error."""
    problem = reading.taken.problems.get(option_id)
    if problem is None and reading.taken.focus_error is not None:
        return reading.taken.focus_error
    return problem


@pytest.mark.parametrize("product, focus, text, option, said", [
    # The phrasings ...
    ("tailored_shirt", "neck", "maybe the linen", "fabric", "maybe the linen"),
    ("tailored_shirt", "fit", "maybe the Slim", "fit", "maybe the Slim"),
    ("tailored_shirt", "neck", "perhaps the twill?", "fabric", "perhaps the twill?"),
    ("conveyor", "belt", "Food-grade or Standard, not sure yet", "environment", "Food-grade or Standard, not sure yet"),
    # ... and our own.
    ("custom_pc", "cpu", "probably the 4070 super", "graphics", "probably the 4070 super"),
    ("custom_pc", "graphics", "the rtx 4060 I guess", "graphics", "the rtx 4060 I guess"),
    ("tailored_shirt", "neck", "I think the button-down collar", "collar", "I think the button-down collar"),
    ("custom_pc", "memory", "I'm leaning towards the full tower", "case", "I'm leaning towards the full tower"),
    ("custom_pc", "case", "still undecided, compact perhaps", "case", "still undecided, compact perhaps"),
    ("conveyor", "length", "maybe the standard", "environment", "maybe the standard"),
    ("tailored_shirt", "neck", "possibly french cuffs", "cuffs", "possibly french cuffs"),
    ("tailored_shirt", "neck", "either slim or regular", "fit", "either slim or regular"),
    ("custom_pc", "case", "full tower maybe?", "case", "full tower maybe?"),
    ("custom_pc", "graphics", "probably none", "graphics", "probably none"),
])
def test_a_guess_on_a_choice_is_asked_about_in_the_customers_words(demo_catalog, product, focus, text, option, said):
    reading = read(demo_catalog, product, text, focus)
    assert option not in reading.taken.values
    refusal = refused(reading, option)
    assert refusal is not None and refusal.reason == RefusalReason.HEDGED
    assert f'"{said}"' in refusal.error and "?" in refusal.error  # a guess is a question
    assert not reading.asks  # asked about, not a shop question to answer


def test_a_guess_offers_the_value_named_first(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "maybe the Slim", "fit")
    assert [v.id for v in reading.taken.focus_error.candidates][:1] == ["slim"]


@pytest.mark.parametrize("product, focus, text, expected, guessed", [
    ("tailored_shirt", "neck", "40 cm and maybe french cuffs", {"neck": 40}, "cuffs"),
    ("custom_pc", "memory", "2 TB NVMe SSD; perhaps the Full tower?", {"storage": "ssd_2tb"}, "case"),
    ("custom_pc", "cpu", "the i7 please, probably the 4 TB NVMe SSD and small", {"cpu": "core_i7_14700k", "case": "compact"},
     "storage"),
])
def test_the_plain_parts_beside_a_guess_are_taken(demo_catalog, product, focus, text, expected, guessed):
    reading = read(demo_catalog, product, text, focus)
    assert taken(reading) == expected
    assert reading.taken.problems[guessed].reason == RefusalReason.HEDGED


@pytest.mark.parametrize("text, expected", [
    ("I think I'll take the linen", "linen_natural"),
    ("linen, I'm sure", "linen_natural"),
    ("the Oxford cotton, white", "oxford_white"),  # a name with a comma of its own is one part
])
def test_a_plain_pick_is_not_a_guess(demo_catalog, text, expected):
    assert taken(read(demo_catalog, "tailored_shirt", text, "fabric")) == {"fabric": expected}


@pytest.mark.parametrize("text", ["Slim or Regular, not sure yet", "I'm torn between slim and regular"])
def test_two_values_and_not_sure_asks_which(demo_catalog, text):
    reading = read(demo_catalog, "tailored_shirt", text, "fit")
    assert "fit" not in reading.taken.values
    assert {v.id for v in reading.taken.focus_error.candidates} == {"slim", "regular"}
    assert not reading.unclear()  # "not sure yet" is accounted for


@pytest.mark.parametrize("product, focus, text, option, whose", [
    ("tailored_shirt", "neck", "my brother has the linen", "fabric", "your brother"),
    ("custom_pc", "cpu", "a friend of mine ordered the 4080 super", "graphics", "your friend"),
    ("custom_pc", "memory", "my old pc had the i7", "cpu", "your old pc"),
    ("tailored_shirt", "neck", "my wife likes the mandarin collar", "collar", "your wife"),
    ("custom_pc", "cpu", "his rig uses the 7800 xt", "graphics", "his rig"),
    ("tailored_shirt", "neck", "my dad's shirts are all slim fit", "fit", "dads shirts"),
    ("tailored_shirt", "neck", "my colleague recommended linen", "fabric", "your colleague"),
])
def test_a_value_about_someone_or_something_else_is_not_taken(demo_catalog, product, focus, text, option, whose):
    reading = read(demo_catalog, product, text, focus)
    assert option not in reading.taken.values
    refusal = refused(reading, option)
    assert refusal.reason == RefusalReason.OTHER_SUBJECT
    assert f'"{text}"' in refusal.error and whose in refusal.error
    assert reading.clauses[-1].kind == ClauseKind.ASIDE and not reading.unclear()


@pytest.mark.parametrize("text, expected", [
    ("40 cm, my wife has the twill", {"neck": 40}),
    ("the collar is mandarin", {"collar": "mandarin"}),  # the order's own option
    ("I have the linen in mind", {"fabric": "linen_natural"}),
    ("we would rather have the slim fit", {"fit": "slim"}),
])
def test_the_customers_own_values_beside_or_without_an_aside_are_taken(demo_catalog, text, expected):
    assert taken(read(demo_catalog, "tailored_shirt", text, "neck")) == expected


@pytest.mark.parametrize("product, focus, text, expected", [
    ("tailored_shirt", "chest", "would 106.4 cm be too much? my chest is 98 cm", {"chest": 98}),
    ("tailored_shirt", "waist", "would 90 be ok? my waist is 86 cm", {"waist": 86}),
    ("conveyor", "length", "is 12 m too long? make it 10 m", {"length": 10}),
])
def test_a_figure_inside_a_question_is_not_taken(demo_catalog, product, focus, text, expected):
    assert taken(read(demo_catalog, product, text, focus)) == expected


@pytest.mark.parametrize("focus", ["neck", "fit", None])
def test_normal_in_a_question_picks_no_fit_and_drops_nothing(demo_catalog, focus):
    reading = read(demo_catalog, "tailored_shirt", "is 88.3 cm normal for the shirt length? neck 40", focus)
    assert taken(reading) == {"neck": 40}


@pytest.mark.parametrize("product, focus, text, option, value", [
    ("custom_pc", "cpu", "the ryzen 5, mid", "case", "mid_tower"),
    ("tailored_shirt", "neck", "actually, make it the Regular", "fit", "regular"),
    ("tailored_shirt", "neck", "Standard please", "fit", "regular"),
    ("conveyor", "length", "Standard please", "environment", "standard"),
    ("custom_pc", "memory", "32 gb ddr5 and small", "case", "compact"),
    ("tailored_shirt", None, "oh, and loose", "fit", "relaxed"),
])
def test_a_common_word_for_an_option_not_asked_is_taken_and_said(demo_catalog, product, focus, text, option, value):
    reading = read(demo_catalog, product, text, focus)
    parsed = reading.taken.values[option]
    assert parsed.value == value and parsed.note.startswith("I took")


AMBIGUOUS_WORD = """
shop: {name: Test shop, currency: EUR}
products:
  - id: cabinet
    name: Cabinet
    description: A cabinet.
    lead_time_days: 10
    base_price: 100
    options:
      - {id: finish, name: Finish, kind: choice,
         values: [{id: standard, name: Standard, price: 0}, {id: gloss, name: Gloss, price: 30}]}
      - {id: hinges, name: Hinges, kind: choice,
         values: [{id: standard, name: Standard, price: 0}, {id: soft, name: Soft close, price: 20}]}
      - {id: width, name: Width, kind: number, unit: cm, min: 40, max: 120, decimals: 0}
"""


def test_a_common_word_two_options_share_is_asked_about(tmp_path):
    path = tmp_path / "catalog.yml"
    path.write_text(AMBIGUOUS_WORD, encoding="utf-8")
    catalog = load_catalog(path)
    reading = read(catalog, "cabinet", "80 cm, standard please", "width")
    assert taken(reading) == {"width": 80}
    [(option_id, problem)] = reading.taken.problems.items()
    assert problem.reason == RefusalReason.AMBIGUOUS and '"standard please"' in problem.error
    assert "finish" in problem.error and "hinges" in problem.error
    assert yaml.safe_load(AMBIGUOUS_WORD)  # the catalog above is valid YAML


@pytest.mark.parametrize("text, expected", [
    ("about 6, maybe more", {}),
    ("actually, make the neck 41 cm", {"neck": 41}),
    ("oh wait, 3 of them", {"quantity": 3}),
    ("hmm, probably JFK", {}),
])
def test_at_a_free_text_question_a_hedge_or_an_aside_is_not_the_text(demo_catalog, text, expected):
    reading = read(demo_catalog, "tailored_shirt", text, "monogram")
    assert taken(reading) == expected


def test_a_hedged_count_at_the_monogram_question_is_asked_about(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "about 6, maybe more", "monogram")
    assert reading.taken.problems["quantity"].reason == RefusalReason.HEDGED
    assert '"about 6' in reading.taken.problems["quantity"].error


@pytest.mark.parametrize("focus, text, expected", [
    ("fabric", "make it 3", {"quantity": 3}),
    (None, "make it 2", {"quantity": 2}),
    ("neck", "3 of them", {"quantity": 3}),
    ("collar", "spread, and make that 4", {"collar": "spread", "quantity": 4}),
    ("neck", "make it 41", {"neck": 41}),  # the figure asked for, not the count
    ("fabric", "3 in total", {"quantity": 3}),  # "in" is not inches here
    ("neck", "linen, 4 altogether", {"fabric": "linen_natural", "quantity": 4}),
    ("fabric", "make it a dozen", {"quantity": 12}),
])
def test_a_count_without_its_unit_is_the_quantity(demo_catalog, focus, text, expected):
    assert taken(read(demo_catalog, "tailored_shirt", text, focus)) == expected


@pytest.mark.parametrize("text, focus, said_back", [
    ("the ryzen 5, mid", "cpu", "Mid tower"),
    ("make it 3", "fabric", "3 shirts"),
])
def test_what_is_taken_is_said_back_and_what_is_guessed_is_asked(demo_catalog, text, focus, said_back):
    product = demo_catalog.product("custom_pc" if "ryzen" in text else "tailored_shirt")
    option = product.option(focus)
    reading = read_message(product, text, find_values(product, text, option), option)
    reply = take_answers(product, {}, reading.taken, option).reply
    assert said_back in reply


def test_a_guess_beside_a_pick_is_asked_in_the_same_reply(demo_catalog):
    product = demo_catalog.product("tailored_shirt")
    text = "40 cm and maybe french cuffs"
    reading = read_message(product, text, find_values(product, text, product.option("neck")), product.option("neck"))
    reply = take_answers(product, {}, reading.taken, product.option("neck")).reply
    # the guess quoted in its own words, not with the neck it stands beside
    assert "Neck: 40 cm" in reply and 'You said "maybe french cuffs"' in reply and "French" in reply


def test_an_aside_beside_a_pick_of_the_same_option_is_said_and_the_pick_taken(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "linen, my brother has the twill", "neck")
    assert taken(reading) == {"fabric": "linen_natural"}
    assert reading.taken.problems["fabric"].reason == RefusalReason.OTHER_SUBJECT
    assert "Twill, navy" in reading.taken.problems["fabric"].error


@pytest.mark.parametrize("text, focus", [("linen, maybe twill", "neck"), ("linen. maybe twill", "fabric"),
                                         ("the linen, or maybe the twill, not sure", "fabric")])
def test_two_values_weighed_are_both_asked_about(demo_catalog, text, focus):
    reading = read(demo_catalog, "tailored_shirt", text, focus)
    assert "fabric" not in reading.taken.values
    asked = refused(reading, "fabric")
    assert asked.reason == RefusalReason.AMBIGUOUS
    assert {v.id for v in asked.candidates} >= {"linen_natural", "twill_navy"}


def test_a_figure_about_someone_else_beside_the_customers_own_is_said_not_taken(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "my neck is 40 and my husband's is 42", "neck")
    assert taken(reading) == {"neck": 40}
    assert reading.taken.problems["neck"].reason == RefusalReason.OTHER_SUBJECT
    assert "42" in reading.taken.problems["neck"].error and "husband" in reading.taken.problems["neck"].error


def test_i_reckon_is_a_guess(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "hmm, twill I reckon", "fabric")
    assert taken(reading) == {} and reading.taken.focus_error.reason == RefusalReason.HEDGED


# A hedge belongs to the part it is in (or, a part that only hedges, to the part it was
# said of): the firm values beside it are taken and said back, the hedged one asked for.
SHIRT_BEFORE_NECK = {"fabric": "oxford_white", "fit": "slim", "collar": "spread", "cuffs": "barrel"}


@pytest.mark.parametrize("text, firm, hedged, said", [
    # The trial's miss ...
    ("neck 41? not sure, sleeve 64", {"sleeve_length": 64}, "neck", "41? not sure"),
    # ... the brief's ...
    ("sleeve 64, neck maybe 41", {"sleeve_length": 64}, "neck", "maybe 41"),
    ("41 I think for the neck and 64 sleeve", {"sleeve_length": 64}, "neck", "41 i think"),
    # ... and our own: hedges before or after the figure, in parts of their own, either order.
    ("neck 41, not sure, sleeve 64", {"sleeve_length": 64}, "neck", "neck 41, not sure"),
    ("neck is 41, I think, sleeve 64", {"sleeve_length": 64}, "neck", "41, I think"),
    ("I think the neck is 41, sleeve 64", {"sleeve_length": 64}, "neck", "I think the neck is 41"),
    ("sleeve 64, neck 41?", {"sleeve_length": 64}, "neck", "neck 41?"),
    ("the sleeve is 64 for sure, neck 41 maybe", {"sleeve_length": 64}, "neck", "41 maybe"),
    ("neck: 41 (not sure), sleeve: 64", {"sleeve_length": 64}, "neck", "41 (not sure)"),
    ("41-ish neck, 64 sleeve", {"sleeve_length": 64}, "neck", "41-ish"),
    ("Sleeve 64. Not sure, 41 for the neck", {"sleeve_length": 64}, "neck", "Not sure, 41 for the neck"),
    ("neck 41? not sure. sleeve 64", {"sleeve_length": 64}, "neck", "41? not sure"),
    ("sleeve 64 and the neck roughly 41", {"sleeve_length": 64}, "neck", "roughly 41"),
    ("neck 41, sleeve maybe 64", {"neck": 41}, "sleeve_length", "maybe 64"),
    ("chest 100, neck 41 I guess, sleeve 64", {"chest": 100, "sleeve_length": 64}, "neck", "41 I guess"),
])
def test_a_hedge_is_about_its_own_part_and_the_firm_values_beside_it_are_taken(demo_catalog, text, firm, hedged,
                                                                                said):
    product = demo_catalog.product("tailored_shirt")
    neck = product.option("neck")
    reading = read(demo_catalog, "tailored_shirt", text, "neck")
    assert taken(reading) == firm
    refusal = refused(reading, hedged)
    assert refusal is not None and refusal.reason == RefusalReason.HEDGED
    assert said.lower() in refusal.error.lower()
    reply = take_answers(product, dict(SHIRT_BEFORE_NECK), reading.taken, neck).reply
    assert refusal.error in reply  # asked for in the same reply that says the firm ones back
    for option_id, value in firm.items():
        assert f"{product.option(option_id).name}: {value} cm" in reply


@pytest.mark.parametrize("text, expected", [
    ("neck 41 and sleeve 64, not sure about either", set()),  # a hedge that says it is about both
    ("not sure, sleeve 64", {"sleeve_length"}),  # unsure of the neck asked; sure of the sleeve
    ("Slim fit. Not sure.", set()),  # a hedge alone after a full stop is still about what it follows
])
def test_a_part_that_only_hedges_is_about_what_it_says(demo_catalog, text, expected):
    assert set(taken(read(demo_catalog, "tailored_shirt", text, "neck"))) == expected


def test_a_choice_offered_with_a_question_mark_and_a_hedge_is_a_guess_and_the_rest_is_taken(demo_catalog):
    reading = read(demo_catalog, "tailored_shirt", "the linen? not sure. slim fit", "fabric")
    assert taken(reading) == {"fit": "slim"}
    assert refused(reading, "fabric").reason == RefusalReason.HEDGED and not reading.asks


def test_the_asked_options_refusal_beside_values_taken_is_said(demo_catalog):
    """ "neck? not sure, 41 maybe": the hedged neck was refused and the refusal dropped,
    because a value of another option was taken beside it."""
    product = demo_catalog.product("tailored_shirt")
    neck = product.option("neck")
    reading = read(demo_catalog, "tailored_shirt", "sleeve 64. neck? not sure, 41 maybe", "neck")
    taken_now = take_answers(product, dict(SHIRT_BEFORE_NECK), reading.taken, neck)
    assert 'you said "41 maybe"' in taken_now.reply and "Sleeve length: 64 cm" in taken_now.reply
    assert "neck" in {refusal.option_id for refusal in taken_now.refusals}


@pytest.mark.parametrize("text, firm", [
    ("sleeve 64, neck maybe 41. how much room do you leave?", {"sleeve_length": 64}),
    ("sleeve 64 and neck maybe 41, is that normal?", {"sleeve_length": 64}),
    ("chest 100, not sure about the neck, how do I measure it?", {"chest": 100}),
])
def test_beside_a_question_a_hedge_is_still_its_own_parts(demo_catalog, text, firm):
    """The firm value of a sentence that also hedges another and asks something is taken
    (it was made part of the question and dropped without a word)."""
    reading = read(demo_catalog, "tailored_shirt", text, "neck")
    assert taken(reading) == firm and reading.asks
    error = reading.taken.focus_error
    assert error is None or error.reason == RefusalReason.HEDGED  # never "out of range" for words without a figure
