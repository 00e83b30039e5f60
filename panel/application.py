"""The panel application: the store, identity and reference resolution, one typed loader, one retry.

Use cases live in their own modules, each a ``Service(app)`` object: ``panel.registration``
(sign-ups), ``panel.participation`` (consent, invitation ... erasure), ``panel.engagements``,
``panel.queries`` (plain dataclasses), ``panel.fatigue``, ``panel.draws`` and ``panel.payments``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, StoredEvent, Transcoding

from panel import actor
from panel.config import CHAINED_SINCE, SCHEMA_VERSION, SCHEMA_VERSION_SETTING, StoreVersionError
from panel.domain.engagement import Engagement, engagement_id
from panel.domain.errors import EngagementNotFoundError, PanelError, ParticipantNotFoundError, ValidationError
from panel.domain.participant import Participant
from panel.domain.text import check_event_text
from panel.payments.domain import register_moved_topics
from panel.records import PersonalData
from panel.store.append_only import adopt as adopt_lock_function
from panel.store.chain import UPGRADE_SETTING
from panel.store.conflicts import retrying
from panel.store.keys import KeyStore, keyed_id
from panel.store.keys_db import KeyChanges, open_data_keys
from panel.store.rate_counts import RateCounts
from panel.store.recorders import sql_recorder
from panel.store.sealing import merge_personal
from panel.validation import DEFAULT_SOURCE

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)
PAGE = 1000


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TextCheckingMapper(Mapper[UUID]):
    """The application's mapper: every event's text is checked against the panel's limits before it is encoded.

    Each entry path validates its input first with field-named messages; this is the last check, so
    no command (today's or a future one) records text a read model cannot hold (a NUL, say).

    It also stores who wrote the event (``panel.actor``): the actor of the running command or request
    goes into the encoded state under ``ACTOR_KEY`` (so the chain covers it), and comes out again
    when the event is read, so the domain event is the one that was saved.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        check_event_text(vars(domain_event))
        who = actor.current()
        if who is not None:
            domain_event = _with_actor(domain_event, who)
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        return self.with_actor(stored_event)[0]

    def with_actor(self, stored_event: StoredEvent) -> tuple[DomainEventProtocol[UUID], str | None]:
        """The domain event and who wrote it (None: stored before actors were recorded, or by nobody named)."""
        domain_event = super().to_domain_event(stored_event)
        who = vars(domain_event).pop(actor.ACTOR_KEY, None)
        return domain_event, who if isinstance(who, str) else None


def _with_actor(domain_event: DomainEventProtocol[UUID], who: str) -> DomainEventProtocol[UUID]:
    """A copy of the (frozen) event whose attributes include the actor, for the library's encoding."""
    copy = object.__new__(type(domain_event))
    object.__setattr__(copy, "__dict__", {**vars(domain_event), actor.ACTOR_KEY: who})
    return copy


def _not_found(kind: type[Aggregate], aggregate_id: UUID, found: bool) -> PanelError:
    if kind is Participant:
        text = f"{aggregate_id} is not a participant" if found else f"no participant has id {aggregate_id}"
        return ParticipantNotFoundError(f"{text}: check `panel participant list`")
    if kind is Engagement:
        text = f"{aggregate_id} is not an engagement" if found else f"no engagement has id {aggregate_id}"
        return EngagementNotFoundError(f"{text}: check `panel engagement list`")
    return ValidationError(f"no {kind.__name__} has id {aggregate_id}")


register_moved_topics()  # payment events stored before the payments subdomain had its own folder


class PanelApp(Application[UUID]):
    """The event-sourced panel: the store, identities, and loading and saving aggregates."""

    name = "panel"
    log_section_size = PAGE

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Open the store; with the library's CREATE_TABLE (its default, and `panel init`) create or upgrade it.

        With CREATE_TABLE=no (every command but init and demo) nothing is created or written here.
        """
        super().__init__(env)
        self.dialect = "sqlite" if "sqlite" in type(self.factory).__module__ else "postgres"
        datastore = sql_recorder(self.recorder).datastore
        self.keys = KeyStore(datastore, self.dialect, getattr(datastore, "schema", ""))
        self.rate_counts = RateCounts(datastore, self.dialect, getattr(datastore, "schema", ""))  # web limits
        self.chained_at_upgrade = 0  # events of an older store's log chained by this opening (`panel init`)
        self.memo: dict[str, tuple[int, Any]] = {}  # derived facts kept with the log position they were read at
        create = getattr(self.factory, "env_create_table", lambda: True)
        self.creates_tables = bool(create())
        if self.creates_tables:
            self.keys.create_tables()
            self.rate_counts.create_table()
            if self.schema_version() < SCHEMA_VERSION:
                if self.schema_version() < CHAINED_SINCE:  # chain the log written before the chain, once
                    chained, last = self.recorder.extend_chain()  # type: ignore[attr-defined]
                    self.chained_at_upgrade = chained
                    if chained:
                        when = datetime.now(UTC).isoformat(timespec="seconds")
                        self.keys.put_setting(UPGRADE_SETTING, f"{chained} {last} {when}".encode())
                self.keys.put_setting(SCHEMA_VERSION_SETTING, str(SCHEMA_VERSION).encode())
        self.key_changes = KeyChanges()  # what `panel init` did to the data keys (moved, wrapped)
        try:
            self.keys.data, self.key_changes = open_data_keys(self.env, self.keys, create=self.creates_tables)
        except BaseException:
            self.close()
            raise
        secret = self.keys.secret("participant_id", create=self.creates_tables)
        if secret is None:
            raise StoreVersionError("the store has no participant-id secret: run `panel init` to finish setting it up")
        self.id_secret = secret
        adopt_lock_function(self)  # PostgreSQL: insert under the owner's lock function (panel.store.append_only)

    def close(self) -> None:
        super().close()
        if hasattr(self, "keys"):
            self.keys.close()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=TextCheckingMapper)

    def schema_version(self) -> int:
        """The schema version recorded in the store (0: none, a store made before versions were recorded)."""
        value = self.keys.setting(SCHEMA_VERSION_SETTING)
        return int(value.decode()) if value else 0

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- identity --------------------------------------------------------------------------
    def participant_id_for(self, ref: str, source: str = DEFAULT_SOURCE) -> UUID:
        return keyed_id(self.id_secret, source, ref.strip())

    def resolve_participant(self, text: str) -> UUID:
        """A participant id from a full id or an external reference (``REF`` or ``SOURCE:REF``)."""
        try:
            pid = UUID(text)
        except ValueError:
            pass
        else:
            if self.exists(pid):
                return pid
        if ":" in text:
            source, _, ref = text.partition(":")
            pid = self.participant_id_for(ref, source)
            if self.exists(pid):
                return pid
        sources = dict.fromkeys([DEFAULT_SOURCE, *self.keys.sources()])
        found = {source: pid for source in sources if self.exists(pid := self.participant_id_for(text, source))}
        if len(found) > 1:
            raise ParticipantNotFoundError(
                f"reference {text!r} exists in several sources ({', '.join(found)}): write SOURCE:REF, "
                f"e.g. {next(iter(found))}:{text}"
            )
        if found:
            return next(iter(found.values()))
        raise ParticipantNotFoundError(
            f"no participant has id or reference {text!r}: check it with `panel participant list`"
        )

    def resolve_engagement(self, text: str) -> UUID:
        candidates = []
        with contextlib.suppress(ValueError):
            candidates.append(UUID(text))
        candidates.append(engagement_id(text.strip()))
        for eid in candidates:
            if self.exists(eid):
                return eid
        raise EngagementNotFoundError(
            f"no engagement has id or reference {text!r}: check it with `panel engagement list`"
        )

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event was recorded for ``aggregate_id``."""
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # -- loading, saving, scanning -----------------------------------------------------------
    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate ``aggregate_id``, which must be a ``kind``; a missing one is a clear not-found error."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise _not_found(kind, aggregate_id, found=False) from None
        if not isinstance(aggregate, kind):
            raise _not_found(kind, aggregate_id, found=True)
        return aggregate

    def change(self, pid: UUID, action: Callable[[Participant], T]) -> T:
        """Load a participant, apply ``action``, save: again when another writer got there first."""

        def attempt() -> T:
            participant = self.load(pid, Participant)
            result = action(participant)
            self.save(participant)
            return result

        return self.retry(attempt)

    @staticmethod
    def retry(attempt: Callable[[], T]) -> T:
        """Run a load-change-save attempt, again when another writer got there first or the store was busy."""
        return retrying(attempt)

    def originators(self, topic: str) -> Iterator[UUID]:
        """The ids of the aggregates whose events of ``topic`` were recorded, in log order (paged; through the
        topic's partial index where `panel init` made one: ``panel.store.topic_index``)."""
        after = getattr(self.recorder, "originators_after", None)
        if after is not None:
            position = 0
            while True:
                rows = after(topic, position, PAGE)
                for _, aggregate_id in rows:
                    yield aggregate_id
                if len(rows) < PAGE:
                    return
                position = rows[-1][0]
        for n in self.notifications(topic):
            yield n.originator_id  # type: ignore[misc]

    def notifications(self, topic: str) -> Iterator[Notification]:
        """Every event of ``topic`` as the log holds it, in log order, read a page (``PAGE``) at a time: for a
        reader that needs what the events say (``originators`` needs only their aggregates' ids)."""
        start = None
        while True:
            page = self.recorder.select_notifications(start=start, limit=PAGE, topics=[topic], inclusive_of_start=False)
            yield from page
            if len(page) < PAGE:
                return
            start = page[-1].id

    def originators_page(self, topic: str, offset: int, limit: int) -> list[UUID]:
        """``limit`` ids of ``originators(topic)`` after the first ``offset``, paged in the database."""
        page = getattr(self.recorder, "originators_page", None)
        if page is None:  # a recorder without SQL (tests in memory): stream the log instead
            return list(islice(self.originators(topic), offset, offset + limit))
        return list(page(topic, offset, limit))

    def originators_count(self, topic: str) -> int:
        """How many ids ``originators(topic)`` gives, counted in the database."""
        count = getattr(self.recorder, "originators_count", None)
        if count is None:  # a recorder without SQL (tests in memory): stream the log instead
            return sum(1 for _ in self.originators(topic))
        return int(count(topic))

    # -- personal data -------------------------------------------------------------------------
    def personal_data(self, participant: Participant) -> PersonalData:
        """The participant's personal data and attributes, unsealed; «erased» once their key is gone."""
        if participant.is_erased:
            return PersonalData(erased=True)
        key = self.keys.get_keys([participant.id]).get(participant.id)
        if key is None:
            return PersonalData(erased=True)
        return merge_personal(key, participant.id, participant.sealed)

    def data_key(self, pid: UUID) -> bytes:
        """The data key of a participant who is not erased (to seal new personal data)."""
        participant = self.load(pid, Participant)
        participant.require_not_erased()
        key = self.keys.get_keys([pid]).get(pid)
        if key is None:
            raise ValidationError(f"participant {participant.external_ref} has no data key: was it erased?")
        return key
