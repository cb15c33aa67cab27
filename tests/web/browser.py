"""Headless Chromium driven over the Chrome DevTools Protocol (websockets, no Selenium).

Enough of CDP for page tests: navigate, evaluate JavaScript (awaiting promises), wait
for a condition, and collect console errors, uncaught exceptions and failed loads
(CSP violations and 404s show up as log entries).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1366,900",
)


class Browser:
    """One Chromium process with one page."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="hl-chromium-"))
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._stack = ExitStack()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        try:
            port = self._devtools_port()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.loads(r.read())
            page = next(t for t in targets if t["type"] == "page")
            self.ws: ClientConnection = self._stack.enter_context(
                connect(page["webSocketDebuggerUrl"], max_size=None)
            )
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _devtools_port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.process.poll() is not None:
                raise RuntimeError("Chromium exited at start")
            time.sleep(0.05)
        raise RuntimeError("Chromium did not open its DevTools port")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events arriving meanwhile are kept)."""
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll ``expression`` until it is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is navigating
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"waited {timeout}s for: {expression}")

    def goto(self, url: str) -> None:
        """Navigate and wait for the document to load."""
        self.send("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        self.send("Runtime.evaluate", expression="1")  # drain events already sent
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(
                    " ".join(
                        str(a.get("value", a.get("description"))) for a in params.get("args", [])
                    )
                )
            elif method == "Runtime.exceptionThrown":
                found.append(
                    str(
                        params["exceptionDetails"]
                        .get("exception", {})
                        .get("description", params["exceptionDetails"])
                    )
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")
        return found

    def press(self, key: str, code: str, key_code: int) -> None:
        """Press and release one key, as a keyboard would (trusted events)."""
        for kind in ("rawKeyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=key_code,
            )
        if key == "Enter":
            self.send("Input.dispatchKeyEvent", type="char", text="\r")

    def screenshot(self, path: Path) -> None:
        """Write a PNG of the whole page (kept as a test artefact, never compared)."""
        size = self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        shot = self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], 6000), "scale": 1},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def axe_violations(self, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
        """Run the vendored axe-core on the page; its violations of the given impacts,
        one line each (rule, impact, the first offending element)."""
        self.evaluate(
            "new Promise((ok, fail) => { if (window.axe) return ok(true);"
            " const s = document.createElement('script'); s.src = '/static/vendor/axe.min.js';"
            " s.onload = () => ok(true); s.onerror = () => fail('axe did not load');"
            " document.head.append(s); })"
        )
        found = self.evaluate(
            "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.map("
            "v => ({ id: v.id, impact: v.impact, help: v.help,"
            " target: v.nodes.length ? String(v.nodes[0].target) : '' })))"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — {v['target']}"
            for v in found
            if v["impact"] in impacts
        ]

    def requested_hosts(self) -> set[str]:
        """Hosts of every resource the page asked for (from performance entries)."""
        hosts = self.evaluate(
            "performance.getEntriesByType('resource').map(e => new URL(e.name).host)"
        )
        return set(hosts)

    def close(self) -> None:
        """Stop Chromium and remove its profile."""
        try:
            self._stack.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)
