"""Child processes the launcher owns: the vLLM OpenAI server the API fronts, and the Celery worker.

Runtime LoRA updating is always on in vLLM: promoted adapters are loaded while it serves. Each
child runs in its own process group and dies with the launcher, even if the launcher is killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

from serve.config.settings import Settings
from serve.engine.sync import SyncEngine

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # If the launcher is killed outright, the engine must not live on holding memory and a port.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def vllm_command(settings: Settings, port: int) -> list[str]:
    return [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", settings.model_path,
        "--served-model-name", settings.base_model_id,
        "--enable-lora",
        "--max-lora-rank", str(settings.max_lora_rank),
        "--max-loras", str(settings.max_loras),
        "--max-model-len", str(settings.max_model_len),
        "--dtype", settings.engine_dtype,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--disable-uvicorn-access-log",
        *([] if _chunked_prefill_safe() else [
            # vLLM's CPU runner crashes the whole engine ("CPU Generator does not use offset")
            # when a request with a `seed` is prefilled in chunks. Whole prefills avoid it.
            "--no-enable-chunked-prefill",
            "--max-num-batched-tokens", str(max(settings.max_model_len, 2048)),
        ]),
    ]


def _chunked_prefill_safe() -> bool:
    """Chunked prefill with seeded sampling needs a CUDA generator: true on NVIDIA machines."""
    return Path("/dev/nvidiactl").exists()


def vllm_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] = "True"
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(settings.kv_cache_gib))
    env.setdefault("VLLM_NO_USAGE_STATS", "1")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


def worker_command(settings: Settings, beat: bool = True) -> list[str]:
    """A Celery worker running one learning run at a time, with the nightly beat embedded unless
    `beat` is False (a deployment runs exactly one beat; scaled-out workers run without)."""
    command = [sys.executable, "-m", "celery", "-A", "serve.learning.tasks", "worker",
               "--pool=solo", "--concurrency=1", "--loglevel=INFO"]
    if beat:
        command += ["--beat", "--schedule", str(settings.var_dir / "celerybeat-schedule")]
    return command


class ChildProcess:
    """A command in its own process group, logging to a file, stopped with its whole group."""

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it from here
        self.proc = subprocess.Popen(
            self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent,
        )
        log.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


class EngineProcess(ChildProcess):
    """One vLLM server process (and its engine-core children)."""

    def __init__(self, settings: Settings, port: int, log_path: Path) -> None:
        super().__init__(vllm_command(settings, port), vllm_env(settings), log_path)
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float) -> None:
        """Block until the engine is healthy; raise with the log's tail if it dies or times out."""
        assert self.proc is not None
        proc = self.proc

        def died() -> str | None:
            return None if proc.poll() is None else f"vLLM exited ({proc.returncode})"

        try:
            with SyncEngine(self.url) as engine:
                engine.wait_healthy(timeout_s, gave_up=died)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None
