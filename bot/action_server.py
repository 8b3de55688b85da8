"""The rasa-sdk action server, after checking the catalog and migrating the database.

A malformed catalog stops start-up here with a message naming file, product, option and
problem (and `bespoke run` stops with it); the servers never run on a catalog that is
only half valid.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from actions.kit import resources
    from bot.core.catalog import CatalogError

    try:
        catalog = resources.catalog()
    except CatalogError as error:
        print(f"bespoke: the catalog cannot be used: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    print(f"bespoke: catalog {resources.settings.catalog_path}: {len(catalog.products)} products "
          f"({', '.join(p.id for p in catalog.products)})", flush=True)
    resources.store()  # creates or migrates the order database before the first order
    # The parts of the core built on first use (inflect's plurals, the country names, the
    # language detector: about 4 s together) are built now, beside Rasa's longer start,
    # rather than during some customer's first reply.
    from bot.core import contact, language, phrases

    phrases.amount(2, "shirt")
    contact.find_country("Germany")
    language.detector()

    from rasa_sdk.__main__ import main as rasa_sdk_main

    # rasa-sdk reads its interface from SANIC_HOST; it trusts any tracker it is sent,
    # so it listens on the loopback interface only.
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    sys.argv = ["rasa_sdk", "--actions", "actions", *sys.argv[1:]]
    rasa_sdk_main()


if __name__ == "__main__":
    main()
