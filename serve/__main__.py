"""Entry points. `python -m serve` (what `make run` calls) starts everything; `python -m serve api`
starts only the API against the engine and database named in the settings (one replica).
The `lucid` command (serve/cli.py) offers the same as `lucid run` and `lucid serve`."""

from __future__ import annotations

import argparse

from serve.launch.launcher import configure_logging, run, serve_api


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "api"])
    args = parser.parse_args()
    try:
        configure_logging()
        run() if args.command == "run" else serve_api()
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
