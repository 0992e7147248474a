"""A durable local spool for turns PostgreSQL cannot take right now, replayed in order when it
can again: chat keeps answering through a database outage and no turn is lost or doubled.

A turn goes to the spool when the database does not answer (connection refused, pool timeout),
and, while anything is spooled, every later turn goes there too, so a session's turns reach the
database in the order they happened. Each append is written and fsynced before the response
ends, the same promise a database commit gives. A replayer task tries every few seconds; each
replayed turn is skipped if the database already has it (same request id and start time), so a
crash between a replayed commit and the spool's truncation doubles nothing. Each replica owns
its file (held under an flock while it lives); a dead replica's file is replayed by whichever
replica takes its lock first.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import fcntl
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from store.sessions import TurnRecord

log = logging.getLogger(__name__)

Record = Callable[[TurnRecord, dict[str, Any] | None], Awaitable[None]]


def _encode(turn: TurnRecord, response: dict[str, Any] | None) -> bytes:
    row = dataclasses.asdict(turn)
    row["thread_digest"] = base64.b64encode(turn.thread_digest).decode()
    row["started_at"] = turn.started_at.isoformat()
    return orjson.dumps({"turn": row, "response": response}) + b"\n"


def _decode(line: bytes) -> tuple[TurnRecord, dict[str, Any] | None]:
    data = orjson.loads(line)
    row = data["turn"]
    row["thread_digest"] = base64.b64decode(row["thread_digest"])
    row["started_at"] = datetime.fromisoformat(row["started_at"])
    return TurnRecord(**row), data["response"]


class TurnSpool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # ours while this process lives
        self._lock = asyncio.Lock()
        self.pending = 0  # turns in our own file
        self.orphans_left = False  # a dead replica's file still holds turns

    def close(self) -> None:
        os.close(self._fd)
        if self.path.exists() and self.path.stat().st_size == 0:
            self.path.unlink()

    async def append(self, turn: TurnRecord, response: dict[str, Any] | None) -> None:
        line = _encode(turn, response)
        async with self._lock:
            await asyncio.to_thread(self._write, line)
            self.pending += 1

    def _write(self, line: bytes) -> None:
        os.write(self._fd, line)
        os.fsync(self._fd)

    def busy(self) -> bool:
        """Whether turns wait here (then new turns queue behind them). Files of live replicas
        are theirs to replay and do not count."""
        return self.pending > 0 or self.orphans_left

    async def replay(self, record: Record) -> int:
        """Record spooled turns in order (ours, then files of replicas that died); return how
        many. Stops at the first failure, keeping what is left for the next try."""
        done = 0
        async with self._lock:
            if self.pending:
                done += await self._replay_fd(self._fd, record)
                self.pending = len(await asyncio.to_thread(_read_lines, self._fd))
        orphans_left = False
        for path in sorted(self.folder.glob("*.jsonl")):
            if path == self.path:
                continue
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # its replica is alive and replays it itself
                os.close(fd)
                continue
            try:
                done += await self._replay_fd(fd, record)
                if os.fstat(fd).st_size == 0:
                    path.unlink()
                else:
                    orphans_left = True
            finally:
                os.close(fd)
        self.orphans_left = orphans_left
        return done

    async def _replay_fd(self, fd: int, record: Record) -> int:
        lines = await asyncio.to_thread(_read_lines, fd)
        done = 0
        for line in lines:
            turn, response = _decode(line)
            try:
                await record(turn, response)
            except Exception:
                log.warning("spool replay stopped: the database still refuses", exc_info=True)
                break
            done += 1
        await asyncio.to_thread(_keep, fd, lines[done:])
        return done


def _read_lines(fd: int) -> list[bytes]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return [line for line in b"".join(chunks).splitlines() if line.strip()]


def _keep(fd: int, rest: list[bytes]) -> None:
    """The file now holds only `rest` (turns not yet replayed), durably."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    if rest:
        os.write(fd, b"".join(line + b"\n" for line in rest))
    os.fsync(fd)
