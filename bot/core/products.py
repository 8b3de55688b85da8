"""Which product, and which of its options, a customer's words name: products and options
matched like any choice value; a product only from its options when exactly one product
has them, and never from a bare figure its units happen to fit ("15.5 inches")."""

from __future__ import annotations

from typing import Optional, Tuple

from bot.core.catalog import Catalog, ChoiceValue, Option, Product
from bot.core.extract import find_values
from bot.core.knowledge_index import word_forms
from bot.core.values import match_choice


def product_chooser(catalog: Catalog) -> Option:
    """The catalog's products as a choice, so products are matched like any value."""
    return Option(
        id="product", name="product", kind="choice", decimals=0,
        values=[ChoiceValue(id=p.id, name=p.name, synonyms=p.synonyms, description=p.description) for p in catalog.products],
    )


def option_chooser(product: Product) -> Option:
    """The product's options as a choice: "the memory", "change the fabric"."""
    return Option(
        id="option", name="option", kind="choice", decimals=0,
        values=[ChoiceValue(id=o.id, name=o.name, synonyms=o.synonyms) for o in product.options],
    )


def product_named(catalog: Catalog, text: str) -> Optional[Product]:
    """The product the words name ("a shirt", "gaming pc"), when certain."""
    matches, certain = match_choice(product_chooser(catalog), text)
    return catalog.product(matches[0].id) if matches and certain else None


def option_named(product: Product, text: str) -> Optional[Option]:
    """The option the words are about: its name, or a value of it when only one is named."""
    matches, certain = match_choice(option_chooser(product), text)
    if matches and certain:
        return product.option(matches[0].id)
    values = find_values(product, text).values
    return product.option(next(iter(values))) if len(values) == 1 else None


def others_option(catalog: Catalog, product: Product, text: str) -> Optional[Tuple[Product, Option]]:
    """"which collars do you offer" in a conveyor order: the option of another product the
    words name by its name, when the order's own product has none they name."""
    if option_named(product, text) is not None:
        return None
    # "would 64 be too long?" at the sleeve: "long" is the conveyor length's synonym, and a word
    # of the shirt's own "How long should the shirt be?"
    # of the shirt's own "How long should the shirt be?" (words compared by their stems: "collars")
    # and of its values' own descriptions ("Fits graphics cards up to 280 mm": "will a 4080 fit in
    # the compact?" is not about the shirt's fit)
    own = {word for option in product.options
           for phrase in (option.name, option.question, *option.synonyms, *(v.description for v in option.values))
           for word in word_forms(phrase)}
    words = set(word_forms(text))
    for other in catalog.products:
        if other.id != product.id:
            matches, certain = match_choice(option_chooser(other), text)
            if matches and certain:
                option = other.option(matches[0].id)
                said = [set(word_forms(phrase)) for phrase in (option.name, *option.synonyms)]
                if any(phrase <= words and not phrase <= own for phrase in said if phrase):
                    return other, option
    return None


def product_of_options(catalog: Catalog, text: str) -> Optional[Product]:
    """The only product whose options the words name ("an i5 with 32GB"); none from figures
    alone."""
    named = [p for p in catalog.products if find_values(p, text).values]
    return named[0] if len(named) == 1 and not only_figures(named[0], text) else None


def only_figures(product: Product, text: str) -> bool:
    """All the words give of the product is figures, with no option named ("15.5 inches",
    not "neck 15.5 inches" or "linen, 15.5 inches"): which product they are for is a guess."""
    found = find_values(product, text)
    named = {**found.values, **found.problems}  # a hedged figure ("about 600 mm") is one too
    if not named or any(product.option(option_id).kind != "number" for option_id in named):
        return False
    matches, certain = match_choice(option_chooser(product), text)
    return not (matches and certain)
