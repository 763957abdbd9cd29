"""Leases: which worker runs which periodic job, when several share one database.

A job (``source:<name>``: polling that source) has one :class:`~bot.models.Lease` row. A
worker *claims* the jobs that are due and whose lease is free (never taken, expired, or its
own) in one statement, ``INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING``; the row
lock that statement takes makes the claim atomic on PostgreSQL and SQLite alike. While it works
the worker *holds* the lease (in the same transaction as the work's results: if the lease was
lost, the work is rolled back rather than written twice), then *releases* it with the time the
job is next due. A worker that dies keeps its leases only until they expire (``ttl``); then any
other worker claims the job. Idle, a worker costs one claim statement per tick.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from bot.models import Lease


def worker_id() -> str:
    """A name for this worker process, unique across machines: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def source_job(name: str) -> str:
    """The lease name of polling source ``name``."""
    return f"source:{name}"


def claim_due(
    session: Session, names: Sequence[str], holder: str, ttl: float, now: datetime
) -> list[str]:
    """Claim for ``holder`` (until ``now + ttl``) every job of ``names`` that is due and not
    leased to another worker; the names claimed. One statement, in the caller's transaction."""
    if not names:
        return []
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    until = now + timedelta(seconds=ttl)
    stmt = module.insert(Lease).values(
        [{"name": n, "holder": holder, "until": until, "due_at": now, "runs": 1} for n in names]
    )
    table: Any = Lease.__table__  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={"holder": holder, "until": until, "runs": table.c.runs + 1},
        where=(
            or_(table.c.holder.is_(None), table.c.holder == holder, table.c.until < now)
            & or_(table.c.due_at.is_(None), table.c.due_at <= now)
        ),
    ).returning(table.c.name)
    return sorted(session.execute(stmt).scalars())


def hold(session: Session, name: str, holder: str, ttl: float, now: datetime) -> bool:
    """Extend ``holder``'s lease on ``name``; False if another worker has it now (the caller
    then rolls back what it did under the lease). In the caller's transaction, whose row lock
    keeps others from claiming the job until it ends."""
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(until=now + timedelta(seconds=ttl))
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release(session: Session, name: str, holder: str, due_at: datetime) -> bool:
    """Free ``holder``'s lease on ``name``; the job is next due at ``due_at``. False if the
    lease had already passed to another worker (then its due time is theirs to set)."""
    result = session.execute(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(holder=None, until=None, due_at=due_at)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_all(session: Session, holder: str) -> int:
    """Free every lease ``holder`` has (a worker stopping cleanly); the number freed. Their
    jobs keep their due times."""
    result = session.execute(
        update(Lease).where(col(Lease.holder) == holder).values(holder=None, until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def leases(session: Session) -> list[Lease]:
    """Every lease, by name (for ``salon status``)."""
    return list(session.scalars(select(Lease).order_by(col(Lease.name))))
