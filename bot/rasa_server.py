"""`rasa run` with two costs removed: the same arguments, the same server.

- TensorFlow Lite imports jax, when installed, for a converter Rasa never uses; jax comes
  with TensorFlow 2.12 and costs about 2 s of every start on two cores. Refusing that one
  import leaves TensorFlow on its documented no-jax path.
- Rasa checks every action server reply with `jsonschema.validate`, which first re-checks
  the schema itself against its meta-schema: 80 % of the CPU of a turn here (two action
  calls per turn). The replies are still validated, by a validator built once.
"""

from __future__ import annotations

import importlib.abc
import sys


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


def main() -> None:
    sys.meta_path.insert(0, _RefuseJax())
    _validate_action_replies_with_one_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
