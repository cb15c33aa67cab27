"""Helpers for the server-mode tests and bench/fleet.py: simulated organisations on one
Spektrix simulator, and ``houselights worker`` processes against a PostgreSQL schema."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.orgs.service import add_org
from houselights.sources.kit.connections import save_connection
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    FaultConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)

__all__ = ["Workers", "connect_fleet", "fleet_config", "org_of", "poll", "workers"]


def org_of(client: str) -> str:
    return f"org-{client}"


def fleet_config(
    count: int, *, tickets: int = 120, latency_ms: float = 30.0, rate_limit: float | None = None
) -> SimulatorConfig:
    """``count`` small simulated Spektrix systems (clients ``c000``, ``c001``…)."""
    return SimulatorConfig(
        clients=tuple(
            ClientConfig(name=f"c{i:03d}", seed=i + 1, scale=ScaleConfig(tickets=tickets))
            for i in range(count)
        ),
        latency_ms=latency_ms,
        rate_limit=rate_limit,
        faults=FaultConfig(seed=5, timeout_seconds=2.0, retry_after_seconds=1),
    )


def connect_fleet(hl: Houselights, sim: SpektrixSimulator, **settings: Any) -> list[str]:
    """An organisation per simulated client, connected with ``settings``; their slugs."""
    orgs: list[str] = []
    for creds in sim.credentials()["clients"]:
        org = org_of(creds["client"])
        with hl.warehouse.connect() as s, s.transaction():
            add_org(s, org, f"Organisation {creds['client']}")
        save_connection(hl, org, "spektrix", {
            "client": creds["client"],
            "base_url": creds["base_url"],
            "api_login": creds["api_login"],
            "api_key": creds["api_key"],
            "report_user": creds["report_user"],
            "report_password": creds["report_password"],
            "audit_report_url": creds["audit_report_url"],
            "timeout_seconds": 5.0,
            "backoff_seconds": 0.05,
            **settings,
        })
        orgs.append(org)
    return orgs


def poll(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.2) -> Any:
    """Wait for ``condition()`` to be truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class Workers:
    """``houselights worker`` processes on one warehouse."""

    def __init__(self, url: str, data_dir: Path, env: dict[str, str], log_dir: Path) -> None:
        self.url, self.data_dir, self.env, self.log_dir = url, data_dir, env, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Any] = []

    def start(self, count: int = 1, *, concurrency: int = 1) -> list[int]:
        pids = []
        for _ in range(count):
            n = len(self.procs)
            log = (self.log_dir / f"worker-{n}.log").open("wb")
            self.files.append(log)
            proc = subprocess.Popen(
                [sys.executable, "-m", "houselights.cli", "--db", self.url,
                 "--data-dir", str(self.data_dir), "worker", "--concurrency", str(concurrency),
                 "--name", f"w{n}"],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
            )
            self.procs.append(proc)
            pids.append(proc.pid)
        return pids

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        for proc in self.procs:
            if proc.pid == pid:
                proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        for log in self.files:
            log.close()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.log_dir.glob("worker-*.log")))


@contextmanager
def workers(url: str, data_dir: Path, log_dir: Path, **env: Any) -> Iterator[Workers]:
    """Worker processes (started with :meth:`Workers.start`), stopped at the end."""
    log_dir.mkdir(parents=True, exist_ok=True)
    pool = Workers(url, data_dir, {f"HOUSELIGHTS_{k.upper()}": str(v) for k, v in env.items()},
                   log_dir)
    try:
        yield pool
    finally:
        pool.stop()
