"""The shop's advice: the cheapest, comparisons, "is it enough for", "which is best for",
from the catalog's prices, descriptions, uses and rules. Lists and compares; never chooses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Dict, List, Optional, Sequence, Set, Tuple

from rapidfuzz import fuzz

from bot.core.catalog import Catalog, ChoiceValue, Option, Product
from bot.core.knowledge_answers import (
    Answer, AnswerKind, not_said, options_named, options_named_in_any_form, price_answer, price_text, products_asked,
    unknown, value_line, values_named,
)
from bot.core.naming import none_value
from bot.core.knowledge_index import QuestionKind, Topic, TopicKind, knowledge_of, word_forms
from bot.core.phrases import first_upper, name_list
from bot.core.expressions import names_in
from bot.core.numbers import number_mentions, prepare_numbers
from bot.core.pricing import PriceChange, money, price_change
from bot.core.questions import asks_in_words
from bot.core.rules import involved_options, unfit_reasons, valid_values, violations, why_unfit
from bot.core.selections import Selections
from bot.core.cues import cue_words
from bot.core.values import display_value, noun, normalize, number_range, parse_answer

ADVICE_KINDS = (QuestionKind.CHEAPEST, QuestionKind.COMPARE, QuestionKind.ENOUGH, QuestionKind.RECOMMEND,
                QuestionKind.NEEDS)



def fits_use(value: ChoiceValue, use: str) -> bool:
    """Whether the catalog says `value` is for `use`: in its uses or its own names (the
    environment "Food-grade" is called "bakery" too), each as word forms ("bakeries" is
    "bakery"), or every word of the use among its description's words."""
    forms = word_forms(use)
    if not forms:
        return False
    if any(word_forms(text) == forms for text in (*value.uses, *value.synonyms, value.name)):
        return True
    return bool(value.description) and set(forms) <= set(word_forms(value.description))


def advice_answer(catalog: Catalog, text: str, product: Optional[Product] = None, asked: bool = True,
                  focus: Optional[Option] = None, chosen: Optional[Selections] = None) -> Answer:
    """Cheapest, comparisons, "is it enough for", "which is best for": from the catalog's
    prices, descriptions and uses. Lists and compares; never chooses.

    `asked`: the caller knows advice is wanted (the NLU's intent); otherwise a use the text
    names counts only in a question after a use ("which is best for", "is it enough for")
    or about a value it names, not in any sentence with a word like "food" in it. `focus`: the
    option being asked, which "what do you recommend?" without a use is about. `chosen`: the
    order's choices so far (of `product`), beside which values the rules exclude are not
    offered as if they fit."""
    knowledge = knowledge_of(catalog)
    kind = knowledge.kind(text)
    chosen = chosen if product is not None and chosen else {}
    products = products_asked(catalog, text, product)
    named = [(p, p.option(option_id), values) for p in products for option_id, values in values_named(p, text).items()]
    # An option the question names ("which case ...", "the cheapest graphics card") whose
    # values it does not name: the answer is about that option.
    about = [(p, option) for p in products for option in options_named_in_any_form(p, text)
             if option.kind == "choice" and not any(o.id == option.id and p is q for q, o, _ in named)]
    if kind == QuestionKind.CHEAPEST and about and not named:
        return _cheapest_values(*about[0])
    if kind == QuestionKind.CHEAPEST and not named:
        return price_answer(catalog, text if product is None else product.name)
    wants_use = asked or named or kind in (QuestionKind.RECOMMEND, QuestionKind.ENOUGH, QuestionKind.NEEDS)
    uses = said_uses(catalog, text) if wants_use else []
    if kind == QuestionKind.NEEDS and named and not uses:  # "do I need ddr5 for that?": the rules answer
        return _needs(named, chosen, text)
    if kind == QuestionKind.NEEDS:  # "what do I need for video editing?", "do I need the 4080 for 4k?"
        kind = QuestionKind.ENOUGH if named else QuestionKind.RECOMMEND
    several = [(p, option, values) for p, option, values in named if len(values) >= 2]
    if kind == QuestionKind.COMPARE and not several:  # "what's the difference between 500 and 600 mm?"
        figures = next((found for p in products for found in [figures_compared(p, text, focus, chosen)] if found), None)
        if figures is not None:
            return figures
    if several and uses and kind != QuestionKind.COMPARE:  # "is 32 gigs overkill for office stuff?"
        return _enough_of_several(*max(several, key=lambda item: len(item[2])), uses[0], chosen, named,
                                  yes=kind == QuestionKind.ENOUGH)
    if several and kind != QuestionKind.ENOUGH:
        return _comparison(*max(several, key=lambda item: len(item[2])), chosen, named)
    # "what do you recommend for a bakery?": a value called by the use's own word is not one the
    # customer asks about ("bakery" is a name of the Food-grade environment): the product's advice
    single = [(p, option, values[0]) for p, option, values in named if len(values) == 1
              and not (uses and kind == QuestionKind.RECOMMEND
                       and any(word_forms(use) in [word_forms(s) for s in values[0].synonyms] for use in uses))]
    fits = [(p, option, value, target) for p, option, value in single for q, target in about if q is p]
    if fits and not uses:  # "which case do I need for the 4080?": what the rules allow beside it
        return _what_fits(*fits[0])
    if single and (uses or kind == QuestionKind.ENOUGH):
        p, option, value = single[0]
        if unsaid_quality(catalog, text, value):  # "is the full tower waterproof?": no use of it is asked
            return not_said(value.name, value_line(p, option, value), [Topic(TopicKind.VALUE, p.id, option.id, value.id)])
        if not uses and value.description:  # "does linen wrinkle?": what its description says
            return Answer(AnswerKind.ENOUGH, f"Our catalog says of the {value.name} ({price_text(p, value)}): "
                          f"{value.description}", [Topic(TopicKind.VALUE, p.id, option.id, value.id)])
        return _enough(p, option, value, uses)
    if several:
        return _comparison(*several[0], chosen, named)
    if uses:
        return _recommendation(products, uses, [option for _, option in about], chosen)
    if kind == QuestionKind.RECOMMEND and not single:
        # "what do you recommend?" without a use: what the catalog says of the option named, or
        # of the one being asked
        target = about[0] if about else (product, focus) if product is not None and focus is not None else None
        if target is not None and target[1].kind == "choice":
            # "which cpu has the most cores?": the values whose descriptions speak of it
            described = described_answer(catalog, text, target[0], [target[1]])
            if described.known:
                return described
            overview = _overview(*target)
            if unmentioned_quality(catalog, text, target[1].values):  # "which collar is the most waterproof?"
                return not_said(f"{noun(target[1])} options", overview.text, overview.topics)
            return overview
    if single:
        p, option, value = single[0]
        best = knowledge.best(text, (TopicKind.OPTION, TopicKind.VALUE))
        if best is not None and best.topic.kind == TopicKind.OPTION and best.topic.option_id != option.id:
            return unknown()  # "how wide should the belt be": about the belt's width, not the fit called "wide"
        if unsaid_quality(catalog, text, value):  # "is the compact case quiet?"
            return not_said(value.name, value_line(p, option, value), [Topic(TopicKind.VALUE, p.id, option.id, value.id)])
        return Answer(AnswerKind.VALUE, value_line(p, option, value).lstrip("- "),
                      [Topic(TopicKind.VALUE, p.id, option.id, value.id)])
    return unknown()


def described_answer(catalog: Catalog, text: str, product: Optional[Product] = None,
                     only: Sequence[Option] = ()) -> Answer:
    """"Which fabric is least likely to crease?": the values whose catalog description speaks
    of what the question asks about (a word form they share: "crease" in "creases easily" and
    "resists creasing"), each with what the catalog says of it, quoted and never judged or
    chosen. The question's words that name the catalog's products and options or say what kind
    of question it is do not count. `only`: the options it may be about."""
    asked = set(word_forms(text)) - knowledge_of(catalog).frame_words
    if not asked:
        return unknown()
    products = [product] if product is not None else list(catalog.products)
    wanted = {option.id for option in only}
    rows, topics = [], []
    for p in products:
        for option in p.options:
            if option.kind != "choice" or (wanted and option.id not in wanted):
                continue
            for value in sorted(option.in_stock_values, key=lambda v: v.price):
                if value.description and any(_same_word(a, d) for a in asked for d in word_forms(value.description)):
                    rows.append(f"- {value.name} ({price_text(p, value)}): {value.description}")
                    topics.append(Topic(TopicKind.VALUE, p.id, option.id, value.id))
    if not rows:
        return unknown()
    return Answer(AnswerKind.DESCRIBED, "Here is what our catalog says about that:\n" + "\n".join(rows)
                  + "\nThe choice is yours.", topics)


# Words that ask for help with an option without naming a quality of it: "tell me about",
# "help me pick", "what styles are there", "explain the difference".
_ASKING_WORDS = frozenset(word_forms(
    "help pick choose choice tell explain describe style type kind sort come know more information info details "
    "difference differ compare what whats available offer suggest recommend advise decide like look good ok okay "
    "enough fine need want work fit use buy get"))


def unmentioned_quality(catalog: Catalog, text: str, values: Sequence[ChoiceValue]) -> Set[str]:
    """What the question asks of `values` that the catalog says nothing of: "waterproof" in
    "is the case waterproof?", "quiet" in "is the compact case quiet?". The words that name
    products, options and these values, frame a question or ask for help do not count, nor
    any a value's description or uses share."""
    if not asks_in_words(text):
        return set()  # a statement asks no quality ("Intel i5 with 32gb ddr4" read as advice)
    # the values of the whole catalog are named, not asked of `values` ("is the i5 ok with 32gb?")
    named = {form for product in catalog.products for option in product.options for value in option.values
             for said in (value.name, *value.synonyms) for form in word_forms(said)}
    asked = set(word_forms(text)) - knowledge_of(catalog).frame_words - _ASKING_WORDS - named
    described = [form for value in values for said in (value.description, *value.uses) for form in word_forms(said)]
    return {word for word in asked if not any(_same_word(word, form) for form in described)}


def unsaid_quality(catalog: Catalog, text: str, value: ChoiceValue) -> Set[str]:
    """The qualities asked of `value` that the catalog says nothing of; none when a use the
    text names covers one of them ("vidoe editing" is the use "video editing", misspelt):
    the answer is then whether we list it for that use."""
    if said_uses(catalog, text):
        return set()  # "is the rubber belt food safe?": whether we list it for food answers it
    return unmentioned_quality(catalog, text, [value])


def said_uses(catalog: Catalog, text: str) -> List[str]:
    """The uses the text names, each by a word of it in the text, misspelt at most ("vidoe
    editing", "resolve" for DaVinci Resolve): the n-gram match alone finds "the most power"
    in "tower waterproof"."""
    said = word_forms(text)

    def in_text(form: str) -> bool:  # a misspelling keeps its first letter ("vidoe"; "tower" is not "power")
        return any(_same_word(form, word) or (form[:1] == word[:1] and fuzz.ratio(form, word) >= 75) for word in said)

    return [use for use in knowledge_of(catalog).uses_named(text) if any(in_text(form) for form in word_forms(use))]


def _same_word(asked: str, described: str) -> bool:
    """Two stems of one word: equal, or one begins with the other of four letters or more
    (Snowball keeps superlatives and suffixes whole: "softest" is "soft", "breathable" is
    "breath"; figures are never forms of each other)."""
    shorter, longer = sorted((asked, described), key=len)
    return asked == described or (len(shorter) >= 4 and longer.startswith(shorter) and not shorter.isdigit())


def uses_advice(catalog: Catalog, product: Product, text: str) -> Optional[Answer]:
    """"I want a PC for video editing": what the catalog lists for the use an order is for,
    said as the order starts (the use is answered, not dropped); never chosen. None when the
    text names no use the catalog lists anything of this product for."""
    uses = knowledge_of(catalog).uses_named(text)
    if not uses:
        return None
    answer = _recommendation([product], uses)
    return answer if answer.known else None


Named = List[Tuple[Product, Option, List[ChoiceValue]]]  # per option a question names, its values


def figures_compared(product: Product, text: str, focus: Optional[Option], chosen: Selections) -> Optional[Answer]:
    """Two figures of a number option side by side: what the rules say of each and what the
    bigger costs beside the order's other choices, or what that price still depends on."""
    mentions = list(number_mentions(prepare_numbers(text)))
    if len(mentions) != 2:
        return None
    said = [unit for _, unit, _ in mentions if unit]
    # "between 500 and 600 mm": a unit said once is both figures'
    typed = [f"{number} {unit or (said[-1] if said else '')}".strip() for number, unit, _ in mentions]
    named = [option for option in options_named(product, text) if option.kind == "number"]
    numbers = [option for option in product.options if option.kind == "number"]
    candidates = named or ([focus] if focus is not None and focus.kind == "number" else []) or numbers
    readable = [option for option in candidates if all(parse_answer(option, figure).ok for figure in typed)]
    if len(readable) != 1 and not (named or focus in candidates):
        return None  # which option the figures are of is not clear: not compared as if it were
    option = (readable or candidates)[0]
    if option.id == product.pricing.multiply_by:  # "2 or 3 shirts?": the count multiplies the price (how_many_answer)
        return None
    parsed = [parse_answer(option, figure) for figure in typed]
    refused = list(dict.fromkeys(p.error for p in parsed if not p.ok))
    if refused:  # "500 or 650 mm?": why 650 mm can't be, with what can
        return Answer(AnswerKind.COMPARISON, "\n".join(refused), [Topic(TopicKind.OPTION, product.id, option.id)])
    low, high = sorted((p.value for p in parsed), key=Decimal)
    context = {key: value for key, value in chosen.items() if key != option.id}
    shown = [display_value(option, value) for value in (low, high)]
    rows = [f"{option.name} {shown[0]} or {shown[1]}:"]
    for value, figure in zip((low, high), shown, strict=True):
        rows += [f"- {figure} would not fit: {violation.message}" for violation in
                 violations(product, {**context, option.id: value}, option.id)]
    missing = _price_inputs_missing(product, option, context)
    change = price_change(product, {**context, option.id: low}, {**context, option.id: high})
    if missing:
        rows.append(f"What the {noun(option)} adds to the price depends on the {name_list(map(noun, missing), 'and')}, "
                    "not given yet: I'll show the difference once it is.")
    elif change.difference:
        more = "more" if change.difference > 0 else "less"
        rows.append(f"With your choices so far, {shown[1]} costs {money(abs(change.difference), product.currency)} "
                    f"{more} than {shown[0]}{_moved(change)}.")
    elif change.priced:
        rows.append("Both cost the same.")
    if option.help:
        rows.append(option.help)
    if option.allowed:  # a size made in steps is a choice; a measurement is not
        rows.append("Which one you take is up to you.")
    return Answer(AnswerKind.COMPARISON, "\n".join(rows), [Topic(TopicKind.OPTION, product.id, option.id)])


def figure_answer(product: Product, text: str, focus: Optional[Option], chosen: Selections,
                  named_only: bool = False) -> Optional[Answer]:
    """"Is 12 m possible?", "would 64 be too long?" at the sleeve: one figure asked about, for
    the number option the question names or else the one being asked, said to be within what
    the shop makes (and the rules, beside the order), or why not. Nothing is taken: the form
    asks its question again. None when the question is not about one such figure.
    `named_only`: the option must be named or cued, or the figure have a unit ("is it possible
    to get 12 m?"), not only be the one being asked."""
    mentions = list(number_mentions(prepare_numbers(text)))
    if len(mentions) != 1 or values_named(product, text):  # "is the 4080 enough?" names a value
        return None
    number, unit, _ = mentions[0]
    typed = f"{number} {unit or ''}".strip()
    numbers = [option for option in product.options if option.kind == "number"]
    named = options_named_in_any_form(product, text)
    if any(option not in numbers for option in named):  # "2 shirts in different fabrics?" is about the fabric
        return None
    cued = [option for option in numbers if set(cue_words(option, product)) & set(normalize(text).split())]
    asked = [focus] if focus is not None and focus in numbers and (unit or not named_only) else []
    # "would 800 mm cost much more?" at the summary: the one option that takes the figure as typed
    takes = [option for option in numbers if unit and parse_answer(option, typed).ok]
    candidates = named or cued or asked or takes
    if len(candidates) != 1:
        return None
    option = candidates[0]
    parsed = parse_answer(option, typed)
    topic = [Topic(TopicKind.OPTION, product.id, option.id)]
    if not parsed.ok:
        return Answer(AnswerKind.HELP, parsed.error + (f"\n{option.help}" if option.help else ""), topic)
    shown = display_value(option, parsed.value, typed if unit and unit != option.unit else None)
    broken = violations(product, {**chosen, option.id: parsed.value}, option.id)
    if broken:  # "80 kg/m would not fit with your PVC: That belt cannot carry this load."
        read = [o for v in broken for o in involved_options(product, v.rule_id) if o in chosen and o != option.id]
        beside = f" with your {name_list((display_value(product.option(o), chosen[o]) for o in dict.fromkeys(read)), 'and')}" \
            if read else ""
        return Answer(AnswerKind.HELP, f"{shown} would not fit{beside}: {' '.join(v.message for v in broken)}", topic)
    text = f"{shown} is within what we make for the {noun(option)} ({number_range(option)})."
    before = chosen.get(option.id)
    if before is not None and before != parsed.value and option.id != product.pricing.multiply_by:
        # what it would do to the order's price (a count multiplies it: said by the summary)
        change = price_change(product, chosen, {**chosen, option.id: parsed.value})
        if change.difference is not None:
            old = display_value(option, before)
            text += f" Instead of your {old}: " + (
                f"{money(abs(change.difference), product.currency)} {'more' if change.difference > 0 else 'less'}"
                if change.difference else "the same price") + _moved(change) + \
                (f", {money(change.after, product.currency)} in all." if change.after is not None else ".")
    missing = _price_inputs_missing(product, option, {k: v for k, v in chosen.items() if k != option.id})
    if before is None and missing:
        text += f" What it adds to the price depends on the {name_list(map(noun, missing), 'and')}, not given yet."
    return Answer(AnswerKind.HELP, text + (f"\n{option.help}" if option.help else ""), topic)


def _moved(change: PriceChange) -> str:
    """" (the motor goes from 1.5 kW motor to 2.2 kW motor)": the derived parts a change moves."""
    moved = [f"the {d.name.lower()} goes from {d.old.value.name} to {d.new.value.name}" for d in change.derived
             if d.old and d.new and d.old.value and d.new.value and d.old.value.id != d.new.value.id]
    return f" ({name_list(moved, 'and')})" if moved else ""


def _price_inputs_missing(product: Product, option: Option, context: Selections) -> List[Option]:
    """The options not given yet that a price line reading `option` also reads ("the length",
    for the width of a belt priced per metre)."""
    missing: List[str] = []
    for line in product.pricing.lines:
        read = [found for name in names_in(line.amount)
                for found in ([name] if name in product.option_ids else involved_options(product, name))]
        if option.id in read:
            missing += [name for name in read if name != option.id and name not in context and name not in missing]
    return [product.option(option_id) for option_id in missing]


def _beside(product: Product, option: Option, chosen: Selections, named: Named) -> Selections:
    """The order's choices with the single values the question names of other options
    ("ddr4 or ddr5 for a ryzen 5?"): what the rules judge `option`'s values beside."""
    context = {key: value for key, value in chosen.items() if key != option.id}
    for p, other, values in named:
        if p is product and other.id != option.id and len(values) == 1:
            context[other.id] = values[0].id
    return context


def _with(product: Product, context: Selections, chosen: Selections, option: Option,
          values: Sequence[ChoiceValue], shown: Optional[Dict[str, str]] = None) -> str:
    """"With your AMD Ryzen 7 7800X3D" (the order's), "with the Intel Core i7-14700K" (the
    question's): the choices the rules that exclude `values` read, else all of them. `shown`:
    an option's words in place of its value ("any of the AMD Ryzen 5 7600, ...")."""
    read = [option_id for value in values for violation in violations(product, {**context, option.id: value.id}, option.id)
            for option_id in involved_options(product, violation.rule_id) if option_id in context] or list(context)
    said = [(shown or {}).get(option_id) or ("your " if chosen.get(option_id) == context[option_id] else "the ")
            + display_value(product.option(option_id), context[option_id]) for option_id in dict.fromkeys(read)]
    return f"with {name_list(said, 'and')}" if said else "with your choices so far"


def _comparison(product: Product, option: Option, values: List[ChoiceValue], chosen: Selections,
                named: Named) -> Answer:
    context = _beside(product, option, chosen, named)
    fitting = {value.id for value in valid_values(product, context, option)}
    unfit = [value for value in values if value.id not in fitting]
    values = [value for value in values if value.id in fitting] or values
    rows = [value_line(product, option, value) for value in values]
    if unfit:  # "16 or 32 GB?" beside a Ryzen: the DDR4 modules are not offered as if they fit
        rows.append(f"{first_upper(_with(product, context, chosen, option, unfit))}, "
                    f"{why_unfit(product, context, option, unfit)}.")
    if values == unfit and fitting:  # "can I get ddr4 instead?": what would do instead
        rows.append("These fit: " + name_list((f"{v.name} ({price_text(product, v)})" for v in sorted(
            valid_values(product, context, option), key=lambda v: v.price)), "and") + ".")
    text = "\n".join(rows)
    if len(values) == 2 and values != unfit:
        first, second = sorted(values, key=lambda v: v.price)
        difference = second.price - first.price
        text += (f"\nThe {second.name} costs {money(difference, product.currency)} more than the {first.name}."
                 if difference else "\nBoth cost the same.")
    text += "\nWhich one you take is up to you."
    return Answer(AnswerKind.COMPARISON, text, [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in values])


def beside_rules(catalog: Catalog, text: str, found: Answer, chosen: Optional[Selections] = None) -> Answer:
    """An answer about one value ("Yes: the Custom PC can have the Compact case") checked
    against the rules beside the order's choices and the other values the question names
    ("can the compact case take a 4080?"): what would not fit is said with why and what does;
    what a rule could have excluded is said to fit. Any other answer is returned as it is."""
    if found.kind != AnswerKind.VALUE or len(found.topics) != 1 or found.topics[0].kind != TopicKind.VALUE:
        return found
    topic = found.topics[0]
    product = catalog.product(topic.product_id)
    option = product.option(topic.option_id)
    value = option.value(topic.key)
    named = [(product, product.option(option_id), values) for option_id, values in values_named(product, text).items()]
    context = _beside(product, option, chosen or {}, named)
    if not context:
        return found
    broken = violations(product, {**context, option.id: value.id}, option.id)
    beside = _with(product, context, chosen or {}, option, [value])
    line = value_line(product, option, value).lstrip("- ")
    if broken:
        fitting = valid_values(product, context, option)
        fits = (f" These {noun(option)} options fit: " + name_list(
            (f"{v.name} ({price_text(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "and") + "."
                if fitting else "")
        called = value.name if none_value(option)[1] == value.id else f"the {value.name}"  # "No graphics card"
        return Answer(AnswerKind.RECOMMENDATION, f"No: {beside}, {called} would not fit "
                      f"({'; '.join(v.message.rstrip('.') for v in broken)}).{fits}\n{line}",
                      [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in fitting])
    ruled = {other for rule in product.rules if option.id in involved_options(product, rule.id)
             for other in involved_options(product, rule.id) if other in context}
    if not ruled:
        return found
    # "the Compact fits your GeForce RTX 4060": the choices its rules read, not the whole order
    beside = _with(product, {key: value for key, value in context.items() if key in ruled}, chosen or {}, option, [value])
    return Answer(AnswerKind.VALUE, f"Yes: the {value.name} fits {beside.removeprefix('with ')}.\n{line}", found.topics)


def _needs(named: Named, chosen: Selections, text: str) -> Answer:
    """"Do I need DDR5 for that?": whether the rules, beside the order's choices and the other
    values the question names ("... with the Ryzen 7?"), leave only the values asked about."""
    # Asked about the values of one option (the one it names most of; of two, the one named
    # last: "does amd need ddr5?" asks about the memory), beside the rest.
    words = normalize(text).split()

    def named_at(values: List[ChoiceValue]) -> int:
        names = {word for value in values for phrase in (value.name, *value.synonyms) for word in normalize(phrase).split()}
        return next((at for at, word in enumerate(words) if word in names), len(words))

    def narrowed(item: Tuple[Product, Option, List[ChoiceValue]]) -> bool:
        """Another option the question names leaves this one fewer values: "amd" the memory."""
        p, target, _ = item
        others = {key: value for key, value in chosen.items() if key != target.id}
        every = len(valid_values(p, others, target))
        return any(len(valid_values(p, {**others, other.id: value.id}, target)) < every
                   for q, other, values in named if q is p and other.id != target.id for value in values)

    product, option, asked = max(named, key=lambda item: (narrowed(item), len(item[2]), named_at(item[2])))
    context = dict(_beside(product, option, chosen, named))
    shown: Dict[str, str] = {}
    for p, other, values in named:  # "does amd need ddr5?": every AMD CPU, when the rules treat them alike
        if p is product and other.id != option.id and other.id not in context and len(values) > 1 and len(
                {frozenset(v.id for v in valid_values(product, {**context, other.id: value.id}, option))
                 for value in values}) == 1:
            context[other.id] = values[0].id
            shown[other.id] = f"any of the {name_list((value.name for value in values), 'or')}"
    fitting = valid_values(product, context, option)
    asked_ids = {value.id for value in asked}
    inside = [value for value in fitting if value.id in asked_ids]
    outside = [value for value in fitting if value.id not in asked_ids]
    excluded = [value for value in option.in_stock_values if value not in fitting]
    topics = [Topic(TopicKind.VALUE, product.id, option.id, value.id) for value in fitting]
    priced = name_list((f"{v.name} ({price_text(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "and")
    kind = noun(option)
    if not context:  # nothing chosen yet that a rule reads: what the rules say of the option
        rules = [rule.message for rule in product.rules if option.id in involved_options(product, rule.id)]
        if not rules:
            return Answer(AnswerKind.RECOMMENDATION, f"No: every {kind} option fits any order: {priced}. "
                          "The choice is yours.", topics)
        return Answer(AnswerKind.RECOMMENDATION, f"It depends on the rest of the order: {' '.join(rules)} "
                      f"Every {kind} option is open until then.", topics)
    beside = _with(product, context, chosen, option, excluded, shown)
    if inside and not outside:
        why = " ".join(f"{reason}." for reason in unfit_reasons(product, context, option, excluded))
        return Answer(AnswerKind.RECOMMENDATION, f"Yes: {why} {first_upper(beside)}, these {kind} "
                      f"options fit: {priced}.", topics)
    if not inside:
        unfit = [value for value in asked if value.in_stock]
        return Answer(AnswerKind.RECOMMENDATION, f"No: {beside}, {why_unfit(product, context, option, unfit)}. "
                      f"These fit: {priced}.", topics)
    if not excluded:
        return Answer(AnswerKind.RECOMMENDATION, f"No, you don't have to: {beside}, every {kind} option fits: "
                      f"{priced}. The choice is yours.", topics)
    return Answer(AnswerKind.RECOMMENDATION, f"No, you don't have to: {beside}, these {kind} options fit: "
                  f"{priced}. The choice is yours.", topics)


def _enough_of_several(product: Product, option: Option, values: List[ChoiceValue], use: str, chosen: Selections,
                       named: Named, yes: bool) -> Answer:
    """Whether the catalog lists the values named ("32 gigs": the DDR4 and the DDR5 modules)
    for the use, beside the order's choices, and what else it lists for it. `yes`: the
    question asks whether ("is 16 gb enough for gaming?"), not which ("16 or 32 for gaming?")."""
    context = _beside(product, option, chosen, named)
    allowed = {value.id for value in valid_values(product, context, option)}
    unfit = [value for value in values if value.id not in allowed]
    values = [value for value in values if value.id in allowed] or values
    listed = [value for value in values if fits_use(value, use)]
    unlisted = [value for value in values if not fits_use(value, use)]
    if listed and not unlisted:
        text = f"{'Yes: we' if yes else 'We'} list {name_list((v.name for v in listed), 'and')} for {use}."
    elif not listed:
        text = f"We don't list {name_list((v.name for v in unlisted), 'or')} for {use}."
    else:
        text = (f"We list {name_list((v.name for v in listed), 'and')} for {use}; "
                f"not {name_list((v.name for v in unlisted), 'or')}.")
    others = [v for v in option.in_stock_values if fits_use(v, use) and v not in values and v.id in allowed]
    if others:
        text += f" For {use}, we also list: " + name_list(
            (f"{v.name} ({price_text(product, v)})" for v in sorted(others, key=lambda v: v.price)), "and") + "."
    if unfit:
        text += f" {first_upper(_with(product, context, chosen, option, unfit))}, {why_unfit(product, context, option, unfit)}."
    rows = [value_line(product, option, value) for value in values]
    return Answer(AnswerKind.ENOUGH, text + "\n" + "\n".join(rows) + "\nWhich one you take is up to you.",
                  [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in values])


def _enough(product: Product, option: Option, value: ChoiceValue, uses: List[str]) -> Answer:
    topic = Topic(TopicKind.VALUE, product.id, option.id, value.id)
    listed = f"listed for {name_list(value.uses, 'and')}" if value.uses else "not listed for any particular use"
    head = f"The {value.name} ({price_text(product, value)}) is {listed}."
    if not uses:
        return Answer(AnswerKind.ENOUGH, head + " That is all our catalog says about it; ask to talk to a person "
                      "for more.", [topic])
    use = uses[0]
    if fits_use(value, use):
        verdict = f" So yes, we list it for {use}."
    else:
        verdict = f" We don't list it for {use}."
    others = [v for v in option.in_stock_values if fits_use(v, use) and v.id != value.id]
    if others:
        verdict += f" For {use}, we also list: " + name_list(
            (f"{v.name} ({price_text(product, v)})" for v in sorted(others, key=lambda v: v.price)), "and") + "."
    return Answer(AnswerKind.ENOUGH, head + verdict, [topic])


def _cheapest_values(product: Product, option: Option) -> Answer:
    values = sorted(option.in_stock_values, key=lambda v: v.price)
    listed = name_list((f"{v.name} ({price_text(product, v)})" for v in values[:3]), "then")
    text = f"{option.name} for the {product.name}, from the lowest price: {listed}."
    return Answer(AnswerKind.FROM_PRICE, text, [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in values[:3]])


def _what_fits(product: Product, option: Option, value: ChoiceValue, target: Option) -> Answer:
    """The values of `target` the product's rules allow beside `value` alone."""
    fitting = valid_values(product, {option.id: value.id}, target)
    listed = name_list((f"{v.name} ({price_text(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "and")
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


def _recommendation(products: List[Product], uses: List[str], only: Sequence[Option] = (),
                    chosen: Optional[Selections] = None) -> Answer:
    """What the catalog lists for the uses, option by option; beside the order's choices
    (`chosen`, of the one product), without the values the rules exclude, said why."""
    rows = []
    left_out = []
    topics = []
    wanted = {option.id for option in only}
    for product in products:
        for option in product.options:
            if wanted and option.id not in wanted:
                continue
            fitting = [v for v in option.in_stock_values if any(fits_use(v, use) for use in uses)]
            if chosen and option.kind == "choice":
                allowed = {value.id for value in valid_values(product, chosen, option)}
                unfit = [value for value in fitting if value.id not in allowed]
                if unfit:
                    left_out.append(f"{first_upper(_with(product, chosen, chosen, option, unfit))}, "
                                    f"{why_unfit(product, chosen, option, unfit)}.")
                fitting = [value for value in fitting if value.id in allowed]
            if not fitting:
                continue
            listed = name_list((f"{v.name} ({price_text(product, v)})" for v in sorted(fitting, key=lambda v: v.price)), "or")
            rows.append(f"- {option.name}" + (f" ({product.name})" if len(products) > 1 else "") + f": {listed}")
            topics += [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in fitting]
    if not rows and wanted:  # "which collar goes with a suit?": none of the collars is listed for it
        broader = _recommendation(products, uses, chosen=chosen)
        if not broader.known:
            return broader
        names = name_list((option.name.lower() for option in only), "or")
        return Answer(broader.kind, f"Our catalog lists no {names} for {uses[0]}. " + broader.text, broader.topics)
    if not rows:
        return unknown()
    # The uses read after "for" as the catalog writes them ("weddings", "the office").
    text = f"For {name_list(uses[:2], 'or')}, our catalog lists:\n" + "\n".join(rows + left_out) + \
        "\nThe choice is yours; I'll check whatever you pick against the rest of the order."
    return Answer(AnswerKind.RECOMMENDATION, text, topics)


def _overview(product: Product, option: Option) -> Answer:
    """The option's values with what the catalog says of each: no pick, and a way to get one."""
    rows = []
    for value in sorted(option.in_stock_values, key=lambda v: v.price):
        said = value.description or (f"for {name_list(value.uses, 'and')}" if value.uses else "")
        rows.append(f"- {value.name} ({price_text(product, value)})" + (f": {said}" if said else ""))
    text = (f"I won't choose the {noun(option)} for you, but here is what our catalog says:\n" + "\n".join(rows)
            + "\nTell me what it's for (gaming, the office, a wedding ...) and I'll say what we list for that.")
    return Answer(AnswerKind.RECOMMENDATION, text,
                  [Topic(TopicKind.VALUE, product.id, option.id, v.id) for v in option.in_stock_values])
