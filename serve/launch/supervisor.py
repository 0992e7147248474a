"""The launcher's watch over vLLM: when the engine process exits without being asked to, it is
started again (with backoff while it keeps failing). The API replicas notice the engine coming
back and load the active adapter into it again (`serve.adapters.hotswap.AdapterSync`); until
then they answer 503 with `Retry-After`.
"""

from __future__ import annotations

import os
import signal
import threading

from serve.launch.processes import EngineProcess


class EngineSupervisor:
    def __init__(self, engine: EngineProcess, start_timeout_s: float, poll_s: float = 1.0,
                 max_backoff_s: float = 30.0) -> None:
        self.engine = engine
        self.start_timeout_s, self.poll_s, self.max_backoff_s = start_timeout_s, poll_s, \
            max_backoff_s
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="engine-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(self.start_timeout_s + 30)
        self.engine.stop()

    def _kill_leftovers(self) -> None:
        # The server process is gone; its engine-core children (same process group) may not be.
        assert self.engine.proc is not None
        try:
            os.killpg(self.engine.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.wait(self.poll_s):
            proc = self.engine.proc
            if proc is None or proc.poll() is None:
                continue
            print(f"vLLM exited (code {proc.returncode}); restarting in {backoff:.0f} s "
                  f"(log: {self.engine.log_path})", flush=True)
            if self._stopping.wait(backoff):
                return
            self._kill_leftovers()
            self.engine.start()
            try:
                self.engine.wait_ready(self.start_timeout_s)
            except RuntimeError as exc:
                print(f"vLLM did not come back: {str(exc).splitlines()[0]}", flush=True)
                backoff = min(backoff * 2, self.max_backoff_s)
                continue
            self.restarts += 1
            backoff = 1.0
            print(f"vLLM restarted at {self.engine.url} (restart {self.restarts})", flush=True)
