"""A pool built from the read models' candidates, each re-checked from their own history.

The views (through a ``PoolNarrowing`` the wiring supplies) leave out the people they know to be
out at their position; everyone they keep, everyone with an event after the earlier of their
position and the draw's snapshot (a stale view never drops anyone), and anyone the caller names
(a verification names the recorded pool) is read back from the event log as of the snapshot and
judged by the same rules as the full replay (``pool_builder.evaluate``). The pool is the same as
the full replay's; only who is read differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from panel.domain.confirmation import EmailConfirmation, awaits_confirmation, confirmation_id
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.domain.policy import policy_id
from panel.draws.history import events_table, rows_of
from panel.draws.loading import Memo, load_many, versions_of
from panel.draws.pool_builder import UNREADABLE_HISTORY, PoolSnapshot, Rule, Standing, evaluate, pool_rules
from panel.draws.protocols import PoolNarrowing
from panel.fatigue import Fatigue

if TYPE_CHECKING:
    from panel.application import PanelApp

LEFT_OUT = "left out by the read models (no consents, left, erased, not eligible or over a fatigue limit)"
PARTICIPANT_TOPICS = "panel.domain.participant:Participant.%"


def participants_changed_since(app: PanelApp, position: int) -> set[UUID]:
    """The participants with an event after ``position`` (what a view at ``position`` has not seen)."""
    mark = "?" if app.dialect == "sqlite" else "%s"
    column = "rowid" if app.dialect == "sqlite" else "notification_id"
    sql = f"SELECT DISTINCT originator_id FROM {events_table(app)} WHERE {column} > {mark} AND topic LIKE {mark}"  # noqa: S608 - the table name is the recorder's, values are bound
    return {
        r["originator_id"] if isinstance(r["originator_id"], UUID) else UUID(str(r["originator_id"]))
        for r in rows_of(app, sql, (position, PARTICIPANT_TOPICS))
    }


def narrowed_pool(
    app: PanelApp,
    engagement: Engagement,
    at: datetime,
    narrowing: PoolNarrowing,
    *,
    position: int,
    features: Sequence[str] | None = None,
    household_by: str | None = None,
    extra_rules: Iterable[Rule] = (),
    include: Iterable[UUID] = (),
    unknown_reason: str | None = "erased",
    memo: Memo | None = None,
) -> PoolSnapshot:
    """The pool for ``engagement`` at ``at`` as the history stood at ``position`` (``build_pool``'s with a
    position), reading only the views' candidates, the people changed since the views' position, and
    ``include``; ``memo`` shares the participants read with a verification's other checks."""
    versions = versions_of(app, [engagement.id, policy_id(None), policy_id(engagement.id)], position)
    if engagement.id not in versions:
        raise AggregateNotFoundError(f"engagement {engagement.ref} had no event by position {position}")
    engagement = app.repository.get(engagement.id, version=versions[engagement.id])
    fatigue = Fatigue(app).fatigue_rules(engagement.id, as_of=versions)
    narrowed = narrowing.narrow(engagement, at, fatigue)
    wanted = set(narrowed.ids) | participants_changed_since(app, min(narrowed.position, position)) | set(include)
    loaded, unreadable = load_many(app, wanted, position, memo)
    people = sorted((p for p in loaded.values() if isinstance(p, Participant)), key=lambda p: p.id.hex)
    snapshot = evaluate(
        people,
        app.keys.get_keys(p.id for p in people),
        engagement,
        at,
        pool_rules(app, fatigue, extra_rules),
        features=features,
        household_by=household_by,
        considered=max(narrowed.considered, len(people)),
        unknown_reason=unknown_reason,
        confirmed=confirmed_by(app, [p.id for p in people if might_await(p)], at, position),
    )
    for pid in unreadable:
        snapshot.standings[pid] = Standing(UNREADABLE_HISTORY)
        snapshot.excluded[UNREADABLE_HISTORY] = snapshot.excluded.get(UNREADABLE_HISTORY, 0) + 1
    if narrowed.considered > len(snapshot.standings):
        snapshot.excluded[LEFT_OUT] = narrowed.considered - len(snapshot.standings)
    return snapshot


def might_await(person: Participant) -> bool:
    """Whether ``person`` awaits an email confirmation if their sealed record holds an address: only they
    are ever asked about (``assess`` asks only when ``awaits_confirmation`` holds), so only their
    EmailConfirmations are read."""
    return awaits_confirmation(person.source, person.channel, email="an address")


def confirmed_by(app: PanelApp, ids: Sequence[UUID], at: datetime, position: int) -> Callable[[UUID], bool]:
    """Whether each participant's email address was confirmed by ``at``, as the history stood at ``position``
    (their EmailConfirmation aggregates read in a few queries, as ``pool_builder.confirmations`` reads one)."""
    of = {confirmation_id(pid): pid for pid in ids}
    found, _ = load_many(app, of, position)
    done = {of[cid] for cid, c in found.items() if isinstance(c, EmailConfirmation) and c.confirmed_at <= at}
    return done.__contains__


def log_intact(app: PanelApp, position: int, notes: list[str]) -> bool:
    """Whether the log up to ``position`` is as written (its hash chain holds): only then may read models built
    from it narrow a verification's pool; otherwise the caller replays everyone, and a note says why."""
    from panel.audit import Audit

    report = Audit(app).verify(stop=position)
    if not report.ok:
        notes.append(
            f"the event log's hash chain breaks at position {report.position} ({report.kind}; see `panel audit "
            "verify`): the read models were not trusted, the pool was rebuilt from everyone's history"
        )
    return report.ok
