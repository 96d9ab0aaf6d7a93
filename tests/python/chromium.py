"""Headless Debian Chromium driven over the DevTools protocol on a pipe: no driver, no port.

`--remote-debugging-pipe` makes Chromium read protocol commands from fd 3 and write replies and
events to fd 4, each a JSON message ended by a NUL byte. That needs neither chromedriver nor a
websocket client (nothing to pin), and opens no debugging port. Chromium starts with every
network feature that talks to Google switched off and a fresh profile, so the only traffic is
what the page under test asks for, which `Page.requests` records.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")

#: No sandbox (we run as root in a container), no GPU, and nothing that phones home.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--hide-scrollbars",
    "--window-size=1400,900",
    "--remote-debugging-pipe",
)


class ChromiumError(RuntimeError):
    """The browser died, answered with an error, or a page never reached the awaited state."""


def _high_fd(fd: int) -> int:
    """Move a pipe end to fd >= 10, so the shell's `3<&N 4>&M` can never clobber the other end."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@dataclass
class Browser:
    """One Chromium process and its protocol pipe; open pages with `page()`."""

    process: subprocess.Popen[bytes]
    to_browser: int
    from_browser: int
    log: Path
    _next_id: int = 0
    _buffer: bytes = b""
    _events: list[dict[str, Any]] = field(default_factory=list)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: str = "") -> Any:
        """Send one command and wait for its reply; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout=30.0)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._events.append(reply)

    def events(self, method: str, *, session: str = "") -> list[dict[str, Any]]:
        """Params of every event of one kind received so far (after draining the pipe)."""
        while True:
            try:
                self._events.append(self._receive(timeout=0.0))
            except TimeoutError:
                break
        return [
            e.get("params", {})
            for e in self._events
            if e.get("method") == method and (not session or e.get("sessionId") == session)
        ]

    def _receive(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self.from_browser], [], [], timeout)
            if not ready:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise ChromiumError(f"Chromium closed the pipe; see {self.log}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def page(self) -> Page:
        """A new tab with network and page events on, attached in flat session mode."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable", session=session)
        return Page(self, session)


@dataclass
class Page:
    browser: Browser
    session: str

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.send(method, params, session=self.session)

    def navigate(self, url: str) -> None:
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise ChromiumError(f"{url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (awaiting a promise)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 60.0) -> Any:
        """Poll a JavaScript expression until it is truthy; its value, or a ChromiumError.

        A bound against a hung page, not a measurement: on a slow machine it only waits longer.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"page never showed {what} (waited {timeout:.0f} s)")
            time.sleep(0.2)

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    @property
    def requests(self) -> list[str]:
        """Every URL the page asked for, in order."""
        return [
            e["request"]["url"]
            for e in self.browser.events("Network.requestWillBeSent", session=self.session)
        ]

    def responses(self) -> dict[str, int]:
        """HTTP status by URL of every response received."""
        return {
            e["response"]["url"]: int(e["response"]["status"])
            for e in self.browser.events("Network.responseReceived", session=self.session)
        }


@contextmanager
def chromium(profile_dir: Path, log: Path, *, isolation: Sequence[str] = ()) -> Iterator[Browser]:
    """Start Chromium with a fresh profile; always stop it (and only it) on the way out.

    `isolation`: a command prefix that runs it in a network namespace of its own (`unshare
    --net`: no interface but a downed loopback), so a page that tried to reach anything would
    find no network at all.
    """
    if not CHROMIUM.exists():
        raise ChromiumError(f"{CHROMIUM} not found: `make test` installs Debian's chromium")
    commands_read, commands_write = map(_high_fd, os.pipe())
    replies_read, replies_write = map(_high_fd, os.pipe())
    # bash (dash takes single-digit fds only) puts the pipe ends on fds 3 and 4, where
    # --remote-debugging-pipe expects them.
    shell = f'exec "$0" "$@" 3<&{commands_read} 4>&{replies_write}'
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                *isolation,
                "/bin/bash",
                "-c",
                shell,
                str(CHROMIUM),
                *FLAGS,
                f"--user-data-dir={profile_dir}",
            ],
            pass_fds=(commands_read, replies_write),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    os.close(commands_read)
    os.close(replies_write)
    browser = Browser(process, commands_write, replies_read, log)
    try:
        yield browser
    finally:
        with suppress(ChromiumError, TimeoutError, OSError):
            browser.send("Browser.close")
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(commands_write)
        os.close(replies_read)
