"""What a product is for, in the customer's words, over REST (issue 10, point 5): the use an
order starts with is answered by word form, an advice question mid-order answers and chooses
nothing, and a quality is answered from the descriptions. The matcher itself is measured in
tests/core/test_uses.py.
"""

from __future__ import annotations

from tests.support.replies import sender, texts


def test_a_pc_for_a_gamer_lists_what_suits_gaming_and_chooses_nothing(bot):
    who = sender("uses", "gamer")
    said = texts(bot.say(who, "I'd like a PC for a gamer"))
    assert "For gaming, our catalog lists:" in said and "The choice is yours" in said, said
    assert "(1/6)" in said and "Got it" not in said, said  # the CPU is still asked: nothing chosen
    said = texts(bot.say(who, "which graphics card would you suggest for games?"))
    assert "GeForce RTX 4060" in said and "(1/6)" in said and "Got it" not in said, said


def test_a_shirt_for_my_wedding_reads_like_a_person_and_a_crease_question_quotes_the_catalog(bot):
    who = sender("uses", "wedding")
    said = texts(bot.say(who, "a made to measure shirt for my wedding please"))
    assert "For weddings, our catalog lists:" in said and "Poplin, light blue" in said, said
    assert "For wedding " not in said and "Got it" not in said, said
    said = texts(bot.say(who, "which fabric is least likely to crease?"))
    assert "resists creasing" in said and "creases and wrinkles easily" in said, said
    assert "Got it" not in said and "(1/11)" in said, said  # the fabric is still asked


def test_a_conveyor_for_a_bakery_names_the_belt_and_environment_and_sets_neither(bot):
    who = sender("uses", "bakery")
    said = texts(bot.say(who, "we need a conveyor for our bakeries"))
    assert "For bakeries, our catalog lists:" in said and "Stainless steel mesh" in said, said
    assert "Got it" not in said, said
