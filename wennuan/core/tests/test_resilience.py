"""The long-running processes outlive a database restart (bench/faults.py --pg-down)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from wennuan.core.management.commands import scheduler as scheduler_command
from wennuan.core.management.commands import worker as worker_command

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def signal_handlers_restored() -> Iterator[None]:
    # The commands install their own stop handlers; give the test process its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_scheduler_keeps_running_while_the_database_is_unreachable(
    monkeypatch: Any, settings: Any, capsys: Any
) -> None:
    # Given a database that refuses the first tick and answers the next
    settings.SCHEDULER_TICK_SECONDS = 0
    ticks: list[str] = []

    def tick(*, holder: str) -> list[str]:
        ticks.append(holder)
        if len(ticks) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        os.kill(os.getpid(), signal.SIGTERM)  # the scheduler's own stop handler ends the loop
        return ["sla-sweep"]

    monkeypatch.setattr(scheduler_command, "run_scheduler_tick", tick)
    # When the scheduler runs
    call_command("scheduler")
    # Then it reported the outage, went on, and enqueued on the next tick
    out = capsys.readouterr()
    assert len(ticks) == 2
    assert "database unreachable" in out.err
    assert "enqueued sla-sweep" in out.out


def test_database_worker_takes_up_the_queue_again_after_the_database_returns(
    monkeypatch: Any, settings: Any, capsys: Any
) -> None:
    # Given the database queue, and a db_worker that loses its database once
    settings.TASKS_BACKEND = "database"
    monkeypatch.setattr(worker_command, "RETRY_SECONDS", 0)
    runs: list[tuple[Any, ...]] = []

    def db_worker(name: str, *args: Any, **kwargs: Any) -> None:
        runs.append(args)
        if len(runs) == 1:
            raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(worker_command, "call_command", db_worker)
    # When the worker runs
    call_command("worker")
    # Then it did not exit with the error: it ran db_worker again
    assert len(runs) == 2
    assert "database unreachable" in capsys.readouterr().err
