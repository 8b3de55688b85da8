"""`rasa run` with start-up trimmed: the same arguments, the same server.

TensorFlow Lite imports jax, when installed, for a converter Rasa never uses; jax comes
with TensorFlow 2.12 and costs about 2 s of every start on two cores. Refusing that one
import leaves TensorFlow on its documented no-jax path.
"""

from __future__ import annotations

import importlib.abc
import sys


class _RefuseJax(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):  # noqa: ANN001 - importlib's signature
        if name == "jax" or name.startswith("jax."):
            raise ImportError("jax is not used by the Bespoke Rasa server")
        return None


def main() -> None:
    sys.meta_path.insert(0, _RefuseJax())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "run", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
