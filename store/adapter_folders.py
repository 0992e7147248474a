"""Publish a trained adapter immutably: copy into a temporary folder beside its final place,
fsync every file and the folder, then rename into place under its content digest.

A crash at any point leaves either no adapter or a whole one, never a half-written folder that a
version row points at; `verify` re-checks the digest before an adapter is served.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

DIGEST_NAME = "SHA256"  # file in the published folder holding the digest, for humans and checks


def digest(folder: Path) -> str:
    """sha256 over the folder's files (names and contents, sorted), the digest file excluded."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != DIGEST_NAME):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(src: Path, root: Path) -> tuple[Path, str]:
    """Copy adapter folder `src` into `root/<digest>`; return (final folder, sha256)."""
    sha = digest(src)
    root.mkdir(parents=True, exist_ok=True)
    final = root / sha[:24]
    if final.exists() and verify(final, sha):
        return final, sha  # the same weights were published before: immutable, reuse
    staging = root / f".tmp-{uuid.uuid4().hex}"
    shutil.copytree(src, staging)
    (staging / DIGEST_NAME).write_text(sha + "\n")
    for path in staging.rglob("*"):
        if path.is_file():
            _fsync(path)
    _fsync(staging)
    if final.exists():  # a damaged earlier copy: move it aside rather than serve it
        final.rename(root / f".damaged-{uuid.uuid4().hex}")
    staging.rename(final)
    _fsync(root)
    return final, sha


def verify(folder: Path, sha: str) -> bool:
    """True when the folder's files still have digest `sha`."""
    return folder.is_dir() and digest(folder) == sha


def sweep(root: Path) -> int:
    """Remove staging folders left by crashed publishes; return how many."""
    removed = 0
    for path in root.glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed
