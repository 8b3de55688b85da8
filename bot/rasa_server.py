"""`rasa run` with three costs removed: the same arguments, the same server.

- TensorFlow is not imported while the model has no component that needs it
  (bot.rasa_patches.defer_tensorflow): ~320 MB and ~4 s of every start.
- When it is imported (a model with DIET or TED), TensorFlow Lite imports jax, when
  installed, for a converter Rasa never uses; jax comes with TensorFlow 2.12 and costs about
  2 s on two cores. Refusing that one import leaves TensorFlow on its documented no-jax path.
- Rasa checks every action server reply with `jsonschema.validate`, which first re-checks
  the schema itself against its meta-schema: 80 % of the CPU of a turn here (two action
  calls per turn). The replies are still validated, by a validator built once.

Rasa's API token comes from the environment (BESPOKE_RASA_TOKEN), never from the command
line: see secret_arguments. Its REST channel asks for the same token.

And two things Rasa's REST channel does not do, the entry of every customer message (the
web chat and the Telegram bridge send through it):
- a request is at most MAX_REQUEST_BYTES (64 KB; Sanic's default is 100 MB, and one 10 MB
  message kept another customer's "hi" waiting a minute): larger gets 413 at once;
- the body must be a JSON object with a text `message` and `sender` (Rasa answered 500 to
  `[]` or `"hi"`): otherwise 400 saying so; and the message and sender are cleaned once,
  here (bot.core.limits.clean_text: no lone surrogate, no control character), so nothing
  a customer sends can break storing the order or the staff console.

And the CPU of a turn (issue 12): the patches of bot/rasa_patches.py, applied here; and a
tracker store that fails the turn when its database fails (bot/scale/tracker_store.py).
"""

from __future__ import annotations

import hmac
import importlib.abc
import os
import sys
from typing import Any, Optional

from bot.core.limits import MAX_REQUEST_BYTES, clean_json, clean_text
from bot.rasa_patches import apply_turn_patches, defer_tensorflow
from bot.scale.tracker_store import install_strict_tracker_store
from bot.settings import Settings, SettingsError


class _RefuseJax(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):  # noqa: ANN001 - importlib's signature
        if name == "jax" or name.startswith("jax."):
            raise ImportError("jax is not used by the Bespoke Rasa server")
        return None


def _validate_action_replies_with_one_validator() -> None:
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    original = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        return original(self, result)  # Rasa's own path, for its error message

    RemoteAction._validate_action_result = validate_action_result


def _json_object(request: Any) -> dict:
    """The request's JSON body, which must be an object; Sanic's 400 otherwise."""
    from sanic.exceptions import InvalidUsage

    body = request.json  # not JSON at all: Sanic's own 400
    if not isinstance(body, dict):
        raise InvalidUsage('The request must be a JSON object like {"sender": "me", "message": "hi"}.')
    return body


def _text_field(body: dict, name: str) -> Optional[str]:
    from sanic.exceptions import InvalidUsage

    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidUsage(f'"{name}" must be text.')
    return clean_text(value)


# Rasa's events table keeps the sender id in a VARCHAR(255): PostgreSQL refuses a longer one
# and Rasa falls back to its memory, so the conversation would be lost to the store.
MAX_SENDER_CHARS = 255


# Rasa's API token (Settings.rasa_token), which the REST channel asks for too: set by
# check_rest_input. "" (a plain `rasa run` without a token) asks for none.
_rest_token = ""


def _check_token(request: Any) -> None:
    """Without this, whoever reaches Rasa's port could speak as any conversation
    (`telegram:<chat id>` included): the REST channel wants the same `?token=` as Rasa's API."""
    from sanic.exceptions import Unauthorized

    given = request.args.get("token", "")
    if _rest_token and not hmac.compare_digest(given.encode(), _rest_token.encode()):
        raise Unauthorized("The REST channel needs Rasa's API token as ?token=... (BESPOKE_RASA_TOKEN).")


async def _extract_sender(self: Any, request: Any) -> Optional[str]:
    from sanic.exceptions import InvalidUsage

    _check_token(request)  # the first thing RestInput.receive reads
    sender = _text_field(_json_object(request), "sender")
    if sender is not None and len(sender) > MAX_SENDER_CHARS:
        raise InvalidUsage(f'"sender" is at most {MAX_SENDER_CHARS} characters.')
    return sender


def _extract_message(self: Any, request: Any) -> Optional[str]:
    from sanic.exceptions import InvalidUsage

    message = _text_field(_json_object(request), "message")
    if message is None:  # Rasa would run the NLU on None and answer 200 with nothing
        raise InvalidUsage('"message" must be text, for example {"sender": "me", "message": "hi"}.')
    return message


def _get_metadata(self: Any, request: Any) -> Optional[dict]:
    from sanic.exceptions import InvalidUsage

    metadata = _json_object(request).get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidUsage('"metadata" must be a JSON object.')
    return None if metadata is None else clean_json(metadata)


def check_rest_input(token: str) -> None:
    """Rasa's REST channel (RestInput and its subclasses) reads its body through these,
    and answers only calls with `token` (when there is one)."""
    from rasa.core.channels.rest import RestInput

    global _rest_token
    _rest_token = token
    RestInput._extract_sender = _extract_sender
    RestInput._extract_message = _extract_message
    RestInput.get_metadata = _get_metadata


def cap_request_size() -> None:
    """Sanic reads SANIC_-prefixed settings from the environment when Rasa makes its app."""
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(MAX_REQUEST_BYTES)


def secret_arguments(settings: Settings) -> list:
    """Rasa's API token (BESPOKE_RASA_TOKEN) as arguments added inside this process:
    never on the command line (`ps` and /proc/PID/cmdline would show it to every local
    user), and in the `--auth-token=VALUE` form, so a token starting with "-" is a value,
    not another option."""
    return [f"--auth-token={settings.rasa_token}"] if settings.rasa_token else []


def log_tracebacks_without_locals() -> None:
    """Rasa logs JSON when its output is no terminal (always, under the runner) with
    structlog's dict_tracebacks, which writes every frame's local variables: a failed action
    call's frames hold the request headers, the actions secret among them. The same
    tracebacks, without locals; set before Rasa configures structlog (it reads the attribute then)."""
    import structlog
    from structlog.tracebacks import ExceptionDictTransformer

    structlog.processors.dict_tracebacks = structlog.processors.ExceptionRenderer(  # type: ignore[misc]
        ExceptionDictTransformer(show_locals=False))


def main() -> None:
    from bot.runner import quiet_third_party_warnings

    quiet_third_party_warnings()
    defer_tensorflow()  # first: before anything imports Rasa
    sys.meta_path.insert(0, _RefuseJax())
    _validate_action_replies_with_one_validator()
    try:
        settings = Settings.from_env()
    except SettingsError as error:  # a malformed setting: say which, start nothing
        print(f"bespoke: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    check_rest_input(settings.rasa_token)
    cap_request_size()
    apply_turn_patches(settings.rasa_patches_off)
    if not settings.embedding_cache:
        from bot.sentence_embedding import disable_cache

        disable_cache()
    log_tracebacks_without_locals()
    install_strict_tracker_store()  # a database error fails the turn, never forgets the conversation
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", *sys.argv[1:], *secret_arguments(settings)]
    rasa_main()


if __name__ == "__main__":
    main()
