"""The rasa-sdk action server, after checking the catalog and migrating the database.

A malformed catalog stops start-up here with a message naming file, product, option and
problem (and `bespoke run` stops with it); the servers never run on a catalog that is
only half valid.

Only Rasa may call it: every request but /health must carry the secret Rasa and this
server share (ACTIONS_SECRET_HEADER, the value of BESPOKE_ACTIONS_SECRET, which `bespoke
run` makes per start and hands to both in their environment; Rasa sends it through the
action endpoint's `headers:` in endpoints.yml) and be JSON. Otherwise 403 or 415, before
any action runs: the action server never acts on a tracker from anyone else.
"""

from __future__ import annotations

import hmac
import os
import sys
from typing import Any, Optional, Tuple

from bot.settings import ACTIONS_SECRET_ENV, ACTIONS_SECRET_HEADER

OPEN_PATHS = frozenset({"/health"})


def refusal(path: str, content_type: str, given: str, secret: str) -> Optional[Tuple[int, str]]:
    """(status, reason) for a request the action server must not act on; None to serve it."""
    if path in OPEN_PATHS:
        return None
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return 403, f"missing or wrong {ACTIONS_SECRET_HEADER}"
    if content_type.split(";")[0].strip().lower() != "application/json":
        return 415, "the action server accepts application/json only"
    return None


def guard(app: Any, secret: str) -> Any:
    """The Sanic app with a request middleware that refuses what `refusal` refuses."""
    from sanic import response

    @app.middleware("request")
    async def only_rasa(request: Any) -> Any:
        refused = refusal(request.path, request.headers.get("content-type", ""),
                          request.headers.get(ACTIONS_SECRET_HEADER, ""), secret)
        if refused is not None:
            status, reason = refused
            return response.json({"error": reason}, status=status)
        return None

    return app


def install_guard(secret: str) -> None:
    """rasa_sdk.endpoint.run builds its app through the module's create_app: wrap it."""
    from rasa_sdk import endpoint

    create_app = endpoint.create_app

    def create_guarded_app(*args: Any, **kwargs: Any) -> Any:
        return guard(create_app(*args, **kwargs), secret)

    endpoint.create_app = create_guarded_app


def main() -> None:
    from bot.runner import quiet_third_party_warnings

    quiet_third_party_warnings()
    secret = os.environ.get(ACTIONS_SECRET_ENV, "")
    if not secret:
        print(f"bespoke: {ACTIONS_SECRET_ENV} is not set; the action server answers only Rasa, with that "
              "secret (`bespoke run` makes one per start)", file=sys.stderr, flush=True)
        sys.exit(2)
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
    # language detector, the shop-knowledge index with scikit-learn's import and each
    # product's lowest total: about 7 s together) are built now, beside Rasa's longer
    # start, rather than during some customer's first reply.
    from bot.core import contact, knowledge, language, phrases

    phrases.amount(2, "shirt")
    contact.find_country("Germany")
    language.detector()
    knowledge.prepare(catalog)

    from rasa_sdk.__main__ import main as rasa_sdk_main

    # rasa-sdk reads its interface from SANIC_HOST; it trusts any tracker it is sent,
    # so it listens on the loopback interface only.
    os.environ["SANIC_HOST"] = "127.0.0.1"
    install_guard(secret)
    sys.argv = ["rasa_sdk", "--actions", "actions", *sys.argv[1:]]
    rasa_sdk_main()


if __name__ == "__main__":
    main()
