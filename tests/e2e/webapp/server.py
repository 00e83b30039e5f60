"""Run the real `panel serve` in a subprocess on a free port, and stop it (by its own process id)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers.proc import panel_script


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], *options: str) -> Iterator[str]:
    """The base URL of a running `panel serve` (with ``options``, e.g. ``--workers 2``) over the store ``env`` names."""
    port = free_port()
    process = subprocess.Popen(
        [panel_script(), "serve", "--port", str(port), *options],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise AssertionError(f"panel serve stopped: {process.stderr.read() if process.stderr else ''}")
            try:
                with urllib.request.urlopen(base + "/accessibility", timeout=1) as answer:  # noqa: S310 - our own http://127.0.0.1 server
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("panel serve did not answer within 20 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
