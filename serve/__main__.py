"""Entry points. `python -m serve` (what `make run` calls) starts everything; `python -m serve api`
starts only the API against the engine and database named in the settings (one replica)."""

from __future__ import annotations

import argparse
import logging

from serve.launcher import api_server, run
from serve.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "api"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per engine call: too chatty
    if args.command == "run":
        run()
        return
    settings = Settings()
    if not settings.database_url or not settings.engine_url:
        parser.error("`api` needs DATABASE_URL and LUCID_ENGINE_URL")
    api_server(settings).run()  # uvicorn sets up uvloop and signal handling


if __name__ == "__main__":
    main()
