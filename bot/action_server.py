"""The rasa-sdk action server, after checking the catalog and migrating the database.

A malformed catalog stops start-up here with a message naming file, product, option and
problem (and `bespoke run` stops with it); the servers never run on a catalog that is
only half valid.

Only Rasa may call it: every request but /health must carry the secret Rasa and this
server share (ACTIONS_SECRET_HEADER, the value of BESPOKE_ACTIONS_SECRET, which `bespoke
run` makes per start and hands to both in their environment; Rasa sends it through the
action endpoint's `headers:` in endpoints.yml) and be JSON. Otherwise 403 or 415, before
any action runs: the action server never acts on a tracker from anyone else. A request
is at most MAX_ACTION_CALL_BYTES (Sanic's default is 100 MB, read whole before the secret is
checked): larger gets 413 at once.

Two savings per turn, without touching the actions: a SlotSet that gives a slot the value it
already has in the tracker the action was given is left out of the reply (`without_unchanged_slots`:
Rasa stores, reloads and replays every event of a conversation on every turn), and the
analytics records queued by the actions are committed when the server stops (SIGTERM, Ctrl-C).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

from bot.settings import ACTIONS_SECRET_ENV, ACTIONS_SECRET_HEADER, SettingsError

OPEN_PATHS = frozenset({"/health"})
# Rasa sends the whole tracker of the session with each call: about 40 KB after a whole
# order (120 events, measured), so 4 MB is a session of a hundred orders; a body Sanic
# would otherwise read whole (up to 100 MB) before the secret is checked.
MAX_ACTION_CALL_BYTES = 4 * 1024 * 1024


TOO_LARGE = f"the action server takes at most {MAX_ACTION_CALL_BYTES // 1024} KB"


def refusal(path: str, content_type: str, given: str, secret: str,
            length: Optional[str] = None) -> Optional[Tuple[int, str]]:
    """(status, reason) for a request the action server must not act on; None to serve it.
    `length`: the Content-Length header, refused first, whoever sends it."""
    if length is not None and length.strip().isdigit() and int(length) > MAX_ACTION_CALL_BYTES:
        return 413, TOO_LARGE
    if path in OPEN_PATHS:
        return None
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return 403, f"missing or wrong {ACTIONS_SECRET_HEADER}"
    if content_type.split(";")[0].strip().lower() != "application/json":
        return 415, "the action server accepts application/json only"
    return None


def guard(app: Any, secret: str) -> Any:
    """The Sanic app with a request middleware that refuses what `refusal` refuses, and
    bodies over MAX_ACTION_CALL_BYTES: Sanic stops reading at that size and raises
    PayloadTooLarge (its request middleware, so `refusal`, still runs), which rasa-sdk's
    handler of every exception would answer with 500."""
    from sanic import response
    from sanic.exceptions import PayloadTooLarge

    app.config.REQUEST_MAX_SIZE = MAX_ACTION_CALL_BYTES

    @app.middleware("request")
    async def only_rasa(request: Any) -> Any:
        refused = refusal(request.path, request.headers.get("content-type", ""),
                          request.headers.get(ACTIONS_SECRET_HEADER, ""), secret, request.headers.get("content-length"))
        if refused is not None:
            status, reason = refused
            return response.json({"error": reason}, status=status)
        return None

    @app.exception(PayloadTooLarge)
    async def too_large(request: Any, exception: Exception) -> Any:  # a chunked body past the limit
        return response.json({"error": TOO_LARGE}, status=413)

    return app


def install_guard(secret: str) -> None:
    """rasa_sdk.endpoint.run builds its app through the module's create_app: wrap it (and
    commit the queued analytics records when the app stops)."""
    from rasa_sdk import endpoint

    create_app = endpoint.create_app

    def create_guarded_app(*args: Any, **kwargs: Any) -> Any:
        return flush_on_stop(guard(create_app(*args, **kwargs), secret))

    endpoint.create_app = create_guarded_app


def flush_on_stop(app: Any) -> Any:
    """Sanic stops on SIGTERM (what `bespoke run`'s Supervisor sends) and SIGINT: the analytics
    records not yet committed are committed before the process exits (atexit would too; this
    does it while the server's logging still runs)."""

    async def flush_analytics(*_: Any) -> None:
        from bot.store import analytics

        analytics.flush(timeout=30)

    app.register_listener(flush_analytics, "after_server_stop")
    return app


# ---------------------------------------------------------------------------- unchanged slots

# Kept even when unchanged. requested_slot: the form reads a validation action's SlotSet of
# it as "ask this next" (and its None as "done"), and Rasa gives the validation action a
# tracker whose requested_slot is not the conversation's when the form is activated.
ALWAYS_KEPT = frozenset({"requested_slot"})
# Kept when unchanged but not empty: the staff console reads them as events of the turn
# (a `failures` SlotSet with a count marks the turn not understood in the index; a contact
# SlotSet is shown as taken in the transcript).
KEPT_WITH_A_VALUE = frozenset({"failures", "customer_name", "customer_email", "customer_address"})
# Events after which the slots are not what the tracker said: nothing after them is left out.
RESETS = frozenset({"reset_slots", "restart", "session_started", "rewind", "undo"})


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON, in the same order and of the same types (True is not 1, 1 is not 1.0)."""
    try:
        return json.dumps(old) == json.dumps(new)
    except (TypeError, ValueError):
        return False


def _set_this_turn(events: List[Dict[str, Any]]) -> Set[str]:
    """The slots set since the customer's latest message (Rasa's extraction of this turn,
    and the candidates a form gives its validation action)."""
    names: Set[str] = set()
    for event in reversed(events):
        kind = event.get("event")
        if kind in ("user", "restart"):
            break
        if kind == "slot" and isinstance(event.get("name"), str):
            names.add(event["name"])
    return names


def without_unchanged_slots(action: str, tracker: Dict[str, Any], events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """`events` (an action's reply) without the SlotSets that leave a slot as it is in
    `tracker` (the tracker the action was given, as JSON), the reply's own earlier events
    applied first. Never left out: a slot set in this turn before the action ran (a form's
    validation of a slot just extracted must stay), the slots of ALWAYS_KEPT, those of
    KEPT_WITH_A_VALUE when not empty, anything after an event in RESETS; and a validation
    action (validate_*) keeps at least one of its SlotSets, which tells the form it read the
    message (with none the form rejects itself when nothing was extracted)."""
    current = dict(tracker.get("slots") or {})
    fresh = _set_this_turn(tracker.get("events") or [])
    kept: List[Dict[str, Any]] = []
    first_left_out: Optional[Tuple[int, Dict[str, Any]]] = None
    resetting = False
    for event in events:
        kind = event.get("event")
        resetting = resetting or kind in RESETS
        if kind != "slot" or resetting:
            kept.append(event)
            continue
        name, value = event.get("name"), event.get("value")
        unchanged = (isinstance(name, str) and name in current and name not in fresh and name not in ALWAYS_KEPT
                     and not (name in KEPT_WITH_A_VALUE and value) and _same(current[name], value))
        if unchanged:
            if first_left_out is None:
                first_left_out = (len(kept), event)
            continue
        kept.append(event)
        if isinstance(name, str):
            current[name] = value
    validated = any(e.get("event") == "slot" and e.get("name") not in ALWAYS_KEPT for e in kept)
    if action.startswith("validate_") and first_left_out is not None and not validated:
        kept.insert(*first_left_out)
    return kept


def install_slot_filter() -> None:
    """Every reply of the action server goes through without_unchanged_slots."""
    from rasa_sdk.executor import ActionExecutor

    run = ActionExecutor.run

    async def run_without_unchanged_slots(self: Any, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        result = await run(self, action_call)
        if result and isinstance(result.get("events"), list):
            result["events"] = without_unchanged_slots(action_call.get("next_action") or "",
                                                       action_call.get("tracker") or {}, result["events"])
        return result

    ActionExecutor.run = run_without_unchanged_slots  # type: ignore[method-assign]


def main() -> None:
    from bot.runner import quiet_third_party_warnings

    quiet_third_party_warnings()
    # httpx logs every request at INFO with its URL: the staff notices' Telegram bot token is in it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from actions.kit import resources

    try:
        secret = resources.settings.actions_secret
    except SettingsError as error:  # a malformed setting: say which, start nothing
        print(f"bespoke: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    if not secret:
        print(f"bespoke: {ACTIONS_SECRET_ENV} is not set; the action server answers only Rasa, with that "
              "secret (`bespoke run` makes one per start)", file=sys.stderr, flush=True)
        sys.exit(2)
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
    install_slot_filter()
    sys.argv = ["rasa_sdk", "--actions", "actions", *sys.argv[1:]]
    rasa_sdk_main()


if __name__ == "__main__":
    main()
