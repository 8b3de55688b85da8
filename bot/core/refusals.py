"""Why an answer was refused, as data: the reason codes the store keeps for the staff
dashboard, the dashboard's words for them, and the marker of a reply that says the bot
did not understand."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Dict, Mapping, Optional


class RefusalReason(str, Enum):
    """Why the order form refused an answer; the values are the codes the store keeps."""

    NOT_UNDERSTOOD = "not_understood"
    UNKNOWN_VALUE = "unknown_value"
    AMBIGUOUS = "ambiguous"
    OUT_OF_STOCK = "out_of_stock"
    OUT_OF_RANGE = "out_of_range"
    MISSING_UNIT = "missing_unit"
    INVALID_ANSWER = "invalid_answer"
    RULE = "rule"
    HEDGED = "hedged"  # "about 40", "at least 800", "40 or 41": a figure that is not exact
    OTHER_SUBJECT = "other_subject"  # "the trays are 60 cm wide", "30 kilos each": about something else

    def __str__(self) -> str:
        return self.value

    @property
    def words(self) -> str:
        """The reason as the staff dashboard words it."""
        return REASON_WORDS[self]


REASON_WORDS: Dict[RefusalReason, str] = {
    RefusalReason.NOT_UNDERSTOOD: "nothing in the answer could be read",
    RefusalReason.UNKNOWN_VALUE: "not one of the options",
    RefusalReason.AMBIGUOUS: "could be several options",
    RefusalReason.OUT_OF_STOCK: "out of stock",
    RefusalReason.OUT_OF_RANGE: "outside the allowed range",
    RefusalReason.MISSING_UNIT: "a number without a clear unit",
    RefusalReason.INVALID_ANSWER: "could not be read as an answer",
    RefusalReason.RULE: "does not fit the other choices (a product rule)",
    RefusalReason.HEDGED: "a value or figure not stated plainly (maybe, about, a range)",
    RefusalReason.OTHER_SUBJECT: "about someone or something else (another person, an old one, per item)",
}


def reason_words(code: str) -> str:
    """The dashboard's words for a stored reason code; a code that is not a reason as it is."""
    try:
        return RefusalReason(code).words
    except ValueError:
        return code


@dataclass
class Refusal:
    """One refused answer: the option asked, why, what the bot said, and the rule it broke."""

    option_id: str
    reason: RefusalReason
    detail: str
    rule_id: Optional[str] = None


# A bot message that tells the customer it did not understand carries this in its Rasa
# metadata: rasa-sdk passes extra keyword arguments of utter_message on, and Rasa keeps them
# in the stored bot event's "metadata" ({"event": "bot", ..., "metadata": {"not_understood":
# true}}); the REST channel sends only text, buttons, image, attachment and custom.
NOT_UNDERSTOOD_KEY = "not_understood"
NOT_UNDERSTOOD: Mapping[str, bool] = {NOT_UNDERSTOOD_KEY: True}
