"""`python -m serve`: the `lucid` command (serve/cli.py) under the name `make run` calls.

    python -m serve              # lucid run: everything, on the embedded default
    python -m serve api          # lucid serve: one API replica (how tests and benchmarks start one)

Any other arguments are `lucid`'s own: `python -m serve adapters list` is `lucid adapters list`.
"""

from __future__ import annotations

import sys

from serve.cli import app


def lucid_args(argv: list[str]) -> list[str]:
    """This entry point's two forms as `lucid` verbs; anything else is passed on unchanged."""
    if not argv:
        return ["run"]
    if argv[0] == "api":
        return ["serve", *argv[1:]]
    return argv


def main() -> None:
    app(args=lucid_args(sys.argv[1:]), prog_name="python -m serve")


if __name__ == "__main__":
    main()
