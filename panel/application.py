"""The panel application service: command methods (load, call one aggregate, save once) and queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, StoredEvent, Transcoding
from eventsourcing.utils import get_topic

from panel.catalogue import AttributeNames
from panel.config import SCHEMA_VERSION, SCHEMA_VERSION_SETTING, StoreVersionError
from panel.domain.engagement import Change, Engagement, engagement_id
from panel.domain.errors import (
    AlreadyRegisteredError,
    ConcurrentUpdateError,
    EngagementNotFoundError,
    ParticipantNotFoundError,
    ValidationError,
)
from panel.domain.participant import ConsentEntry, Participant, consent_item, erasure_item, fold_consents
from panel.domain.text import check_event_text
from panel.domain.values import EligibilityRule
from panel.records import ConsentRecord, EngagementDetails, ParticipantDetails, ParticipationRecord, PersonalData
from panel.store.conflicts import retrying
from panel.store.keys import KeyStore, keyed_id
from panel.store.recorders import WITH_STATEMENTS
from panel.store.sealing import merge_personal, seal
from panel.validation import (  # ConsentSpec and SignUp are defined there and still imported from here
    DEFAULT_SOURCE,
    CheckedSignUp,
    ConsentSpec,
    FieldError,
    InvalidSignUpError,
    NumericAttributes,
    SignUp,
    validate_attributes,
    validate_personal,
    validate_signup,
)

T = TypeVar("T")
REGISTERED_TOPIC = get_topic(Participant.Registered)
OPENED_TOPIC = get_topic(Engagement.Opened)
ERASED_TOPIC = get_topic(Participant.Erased)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def now() -> datetime:
    return datetime.now(UTC)


def _sealed(pid: UUID, s: SignUp, key: bytes) -> str:
    """The sealed personal data of a sign-up that ``validate_signup`` returned."""
    return seal(key, pid, {"personal": dict(s.personal), "attributes": dict(s.attributes)})


class TextCheckingMapper(Mapper[UUID]):
    """The application's mapper: every event's text is checked against the panel's limits before it is encoded.

    Each entry path validates its input first with field-named messages; this is the last check, so
    no command (today's or a future one) records text a read model cannot hold (a NUL, say).
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        check_event_text(vars(domain_event))
        return super().to_stored_event(domain_event)


def _signup_events(pid: UUID, s: SignUp, key: bytes) -> list[Any]:
    """The events of one new sign-up, its personal data sealed under ``key`` (the bulk path)."""
    at = s.at or now()
    return Participant.sign_up(
        id=pid,
        source=s.source,
        external_ref=s.ref,
        channel=s.channel,
        captured_by=s.captured_by,
        at=at,
        sealed=_sealed(pid, s, key),
        consents=[(c.purpose, c.notice_version, c.method, c.captured_by, c.at or at) for c in s.consents],
    )


class PanelApp(Application[UUID]):
    """The event-sourced panel: participants, engagements and what happens between them."""

    name = "panel"
    log_section_size = 1000

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Open the store; with the library's CREATE_TABLE (its default, and `panel init`) create or upgrade it.

        With CREATE_TABLE=no (every command but init and demo) nothing is created or written here.
        """
        super().__init__(env)
        dialect = "sqlite" if "sqlite" in type(self.factory).__module__ else "postgres"
        self.dialect = dialect
        self.keys = KeyStore(self.recorder.datastore, dialect, getattr(self.recorder.datastore, "schema", ""))
        create = getattr(self.factory, "env_create_table", lambda: True)
        self.creates_tables = bool(create())
        if self.creates_tables:
            self.keys.create_tables()
            if self.schema_version() < SCHEMA_VERSION:
                self.keys.put_setting(SCHEMA_VERSION_SETTING, str(SCHEMA_VERSION).encode())
        secret = self.keys.secret("participant_id", create=self.creates_tables)
        if secret is None:
            raise StoreVersionError("the store has no participant-id secret: run `panel init` to finish setting it up")
        self._id_secret = secret
        self._sources_noted: set[str] = set()
        self.attribute_names = AttributeNames(self)

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
        return keyed_id(self._id_secret, source, ref.strip())

    def resolve_participant(self, text: str) -> UUID:
        """A participant id from a full id or an external reference (``REF`` or ``SOURCE:REF``)."""
        try:
            pid = UUID(text)
        except ValueError:
            pass
        else:
            if self._exists(pid):
                return pid
        if ":" in text:
            source, _, ref = text.partition(":")
            pid = self.participant_id_for(ref, source)
            if self._exists(pid):
                return pid
        sources = dict.fromkeys([DEFAULT_SOURCE, *self.keys.sources()])
        found = {source: pid for source in sources if self._exists(pid := self.participant_id_for(text, source))}
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
        try:
            candidates.append(UUID(text))
        except ValueError:
            pass
        candidates.append(engagement_id(text.strip()))
        for eid in candidates:
            if self._exists(eid):
                return eid
        raise EngagementNotFoundError(
            f"no engagement has id or reference {text!r}: check it with `panel engagement list`"
        )

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # -- registration ----------------------------------------------------------------------
    def register(self, signup: SignUp) -> UUID:
        """Register one sign-up (with its consents); a second sign-up with the same reference is refused.

        The sign-up is validated whole first (``validate_signup``): if any field is invalid,
        InvalidSignUpError names each one and nothing is written.
        """
        signup = validate_signup(signup, self.numeric_attributes())
        pid = self.participant_id_for(signup.ref, signup.source)
        if self._exists(pid):
            raise AlreadyRegisteredError(
                f"reference {signup.ref!r} is already registered as {pid}: use `panel participant update`"
            )
        self._save_new([(pid, signup)])
        return pid

    def register_many(
        self,
        signups: Sequence[SignUp],
        batch: int = 2500,
        progress: Callable[[int], None] | None = None,
        history: Callable[[Participant, SignUp], None] | None = None,
    ) -> tuple[int, int, int]:
        """Register sign-ups in atomic batches, skipping those already present (idempotent).

        ``history`` may apply further commands to each new participant before the batch is saved
        (the demo uses it to add invitations and attendance). Returns (created, unchanged, events).
        Sign-ups not already validated (``CheckedSignUp``) are validated first, all of them before
        anything is written.
        """
        signups = self._checked(signups)
        if history is None and len(signups) > batch:
            from panel.store import bulk_import as bulk  # worker processes only pay off on a large import

            if bulk.worth_it(len(signups), batch):
                self._note_attribute_names(signups)
                return bulk.register_parallel(self, signups, batch, progress)
        created = unchanged = events = 0
        seen: set[UUID] = set()
        for start in range(0, len(signups), batch):
            chunk = signups[start : start + batch]
            fresh = self._fresh_items(chunk, seen)
            seen.update(pid for pid, _ in fresh)
            unchanged += len(chunk) - len(fresh)
            if fresh:
                events += self._save_new(fresh, history)
                created += len(fresh)
            if progress:
                progress(len(chunk))
        return created, unchanged, events

    def _checked(self, signups: Sequence[SignUp]) -> Sequence[SignUp]:
        """The sign-ups, each validated unless it already was; InvalidSignUpError names the references at fault."""
        if all(isinstance(s, CheckedSignUp) for s in signups):
            return signups
        numeric = self.numeric_attributes()
        checked: list[SignUp] = []
        errors: list[FieldError] = []
        for s in signups:
            try:
                checked.append(validate_signup(s, numeric))
            except InvalidSignUpError as exc:
                errors.extend(FieldError(e.field, f"sign-up {s.ref!r}: {e.message}") for e in exc.errors)
        if errors:
            raise InvalidSignUpError(errors)
        return checked

    def numeric_attributes(self) -> NumericAttributes:
        """The attributes some engagement's eligibility rule compares with a number (>=, <=, >, <), and why."""
        numeric: dict[str, str] = {}
        for details in self.engagements():
            for rule_text in details.eligibility:
                try:
                    rule = EligibilityRule.parse(rule_text)
                except ValidationError:
                    continue
                if rule.op in (">=", "<=", ">", "<"):
                    numeric.setdefault(
                        rule.field, f"engagement {details.ref}'s rule '{rule}' compares it with a number"
                    )
        return numeric

    def _fresh_items(self, chunk: Sequence[SignUp], seen: set[UUID]) -> list[tuple[UUID, SignUp]]:
        """The chunk's sign-ups with their ids, less those already stored or seen earlier in this run."""
        items = [(self.participant_id_for(s.ref, s.source), s) for s in chunk]
        present = self._existing({pid for pid, _ in items} - seen) | seen
        return [(pid, s) for pid, s in items if pid not in present]

    def _keys_for(self, items: list[tuple[UUID, SignUp]]) -> dict[UUID, bytes]:
        """Note any new sources, then create (idempotently) and return the data keys of ``items``."""
        new_sources = {s.source for _, s in items} - self._sources_noted
        if new_sources:
            self.keys.note_sources(new_sources)
            self._sources_noted |= new_sources
        return self.keys.ensure_keys(pid for pid, _ in items)

    def _save_new(
        self, items: list[tuple[UUID, SignUp]], history: Callable[[Participant, SignUp], None] | None = None
    ) -> int:
        keys = self._keys_for(items)
        pending: list[Any] = []
        for pid, s in items:
            if history is None:  # the bulk path: events built directly, same checks
                pending.extend(_signup_events(pid, s, keys[pid]))
                continue
            at = s.at or now()
            participant = Participant.register(
                id=pid,
                source=s.source,
                external_ref=s.ref,
                channel=s.channel,
                captured_by=s.captured_by,
                at=at,
                sealed=_sealed(pid, s, keys[pid]),
            )
            for c in s.consents:
                participant.grant_consent(
                    purpose=c.purpose,
                    notice_version=c.notice_version,
                    method=c.method,
                    captured_by=c.captured_by,
                    at=c.at or at,
                )
            history(participant, s)
            pending.extend(participant.collect_events())
        names = self.attribute_names.events_for(s for _, s in items)  # new attribute names, in the same transaction
        self._write_events([self.mapper.to_stored_event(e) for e in [*pending, *names]])
        return len(pending)

    def _write_events(self, stored: list[StoredEvent]) -> None:
        """Write one batch's stored events in one transaction."""
        try:
            # events go straight to the recorder: save() would check each event against a runtime
            # Protocol and build a Recording per event, which together cost more than writing it
            self.recorder.insert_events(stored)
        except IntegrityError:
            raise ConcurrentUpdateError(
                "another writer registered some of these references at the same time: re-run the command"
            ) from None

    def _existing(self, ids: set[UUID]) -> set[UUID]:
        """Those of ``ids`` that already have a first event."""
        if not ids:
            return set()
        table = self.recorder.events_table_name  # type: ignore[attr-defined]
        found: set[UUID] = set()
        with self.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            if self.dialect != "sqlite":  # one query, the ids as one binary uuid[] (no text escaping)
                c.execute(
                    f'SELECT originator_id FROM "{self.recorder.datastore.schema}"."{table}" '  # type: ignore[attr-defined]
                    "WHERE originator_version = 1 AND originator_id = ANY(%b)",
                    (list(ids),),
                )
                return {row["originator_id"] for row in c.fetchall()}
            values = [pid.hex for pid in ids]
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                c.execute(
                    f"SELECT originator_id FROM {table} WHERE originator_version = 1 AND "
                    f"originator_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found

    # -- commands on one participant -------------------------------------------------------
    def update_personal(
        self,
        pid: UUID,
        *,
        personal: dict[str, str],
        attributes: dict[str, str],
        captured_by: str | None,
        at: datetime | None = None,
    ) -> None:
        data = {
            "personal": validate_personal(personal),
            "attributes": validate_attributes(attributes, numeric=self.numeric_attributes()),
        }
        key = self._key(pid)
        if not data["personal"] and not data["attributes"]:
            raise ValidationError("nothing to update: pass --attr key=value or a contact option")

        def attempt() -> None:
            participant = self._participant(pid)
            participant.update_attributes(sealed=seal(key, pid, data), captured_by=captured_by, at=at or now())
            self.save(participant, *self.attribute_names.noting([data["attributes"]]))  # names noted with it

        self._retry(attempt)

    def grant_consent(self, pid: UUID, spec: ConsentSpec) -> bool:
        return self._change(
            pid,
            lambda p: p.grant_consent(
                purpose=spec.purpose,
                notice_version=spec.notice_version,
                method=spec.method,
                captured_by=spec.captured_by,
                at=spec.at or now(),
            ),
        )

    def withdraw_consent(
        self, pid: UUID, purpose: str, captured_by: str | None = None, at: datetime | None = None
    ) -> None:
        self._change(pid, lambda p: p.withdraw_consent(purpose=purpose, captured_by=captured_by, at=at or now()))

    def invite(
        self,
        eid: UUID,
        pids: Iterable[UUID],
        at: datetime | None = None,
        draw_id: UUID | None = None,
        override_reason: str | None = None,
    ) -> int:
        """Invite several people at once: all are checked first, then saved in one transaction."""
        engagement = self._engagement(eid)
        engagement.require_open()
        moment = at or now()
        ids = list(dict.fromkeys(pids))

        rules = self.fatigue_rules(eid)

        def attempt() -> int:
            people = [self._participant(pid) for pid in ids]
            for person in people:
                self._require_not_fatigued(person, engagement, moment, rules, override_reason)
                person.invite(engagement_id=eid, at=moment, draw_id=draw_id, override_reason=override_reason)
            self.save(*people)
            return len(people)

        return self._retry(attempt)

    def respond(self, eid: UUID, pid: UUID, *, accept: bool, at: datetime | None = None) -> None:
        self._engagement(eid)
        self._change(pid, lambda p: p.respond(engagement_id=eid, accept=accept, at=at or now()))

    def attend(self, eid: UUID, pid: UUID, day: date, *, half_day: bool = False, at: datetime | None = None) -> None:
        self._engagement(eid).require_session(day)
        self._change(pid, lambda p: p.attend(engagement_id=eid, session_date=day, half_day=half_day, at=at or now()))

    def record_no_show(self, eid: UUID, pid: UUID, day: date, at: datetime | None = None) -> None:
        self._engagement(eid).require_session(day)
        self._change(pid, lambda p: p.record_no_show(engagement_id=eid, session_date=day, at=at or now()))

    def withdraw_from(self, eid: UUID, pid: UUID, reason: str, at: datetime | None = None) -> None:
        self._engagement(eid)
        self._change(pid, lambda p: p.withdraw_from(engagement_id=eid, reason=reason, at=at or now()))

    def leave_panel(self, pid: UUID, reason: str, at: datetime | None = None) -> None:
        self._change(pid, lambda p: p.leave_panel(reason=reason, at=at or now()))

    def erase(self, pid: UUID, reason: str, at: datetime | None = None, erased_by: str | None = None) -> bool:
        """Record the erasure (and who carried it out) and delete the participant's data key in ONE
        transaction (crypto-shredding).

        Returns True; or False when the person was already erased and only their key was left (an
        erasure interrupted before this was atomic): the key is destroyed now.
        """
        if self._participant(pid).is_erased and self.finish_erasures([pid]):
            return False

        def attempt() -> None:
            participant = self._participant(pid)
            participant.erase(reason=reason, at=at or now(), erased_by=erased_by)
            self.save(participant, **{WITH_STATEMENTS: self.keys.deleting([pid])})

        self._retry(attempt)
        self.keys.destroy_keys([pid])  # scrubs what the deleted row left; deletes it if a recorder lacked the hook
        return True

    def finish_erasures(self, pids: Iterable[UUID] | None = None) -> list[UUID]:
        """Destroy every data key still held for an erased participant (of ``pids``, or of the whole store)."""
        erased = set(self._originators(ERASED_TOPIC)) if pids is None else set(pids)
        left = list(self.keys.get_keys(erased))
        if left:
            self.keys.destroy_keys(left)
        return left

    # -- engagements -----------------------------------------------------------------------
    def open_engagement(self, *, new_attributes: Sequence[str] = (), **fields: Any) -> UUID:
        """Open an engagement; its rules may only name known attributes, or ones confirmed as new."""
        at = fields.pop("at", None) or now()

        def attempt() -> UUID:
            engagement = Engagement.open(at=at, **fields)
            if self._exists(engagement.id):
                raise ValidationError(
                    f"an engagement with reference {engagement.ref!r} already exists: choose another name or --ref"
                )
            catalogue = self._declare_rule_names(engagement, engagement.rules, new_attributes, engagement.opened_by)
            self.save(engagement, *catalogue)
            return engagement.id

        return self._retry(attempt)

    def update_engagement(
        self, eid: UUID, *, new_attributes: Sequence[str] = (), at: datetime | None = None, **changes: Any
    ) -> list[str]:
        """Change an engagement's eligibility, sessions, target size or cooldown; returns what changed."""

        def attempt() -> list[str]:
            engagement = self._engagement(eid)
            changed = engagement.update(at=at or now(), **changes)
            rules = engagement.rules if changes.get("eligibility") is not None else []
            catalogue = self._declare_rule_names(engagement, rules, new_attributes, changes.get("changed_by"))
            self.save(engagement, *catalogue)
            return changed

        return self._retry(attempt)

    def known_attributes(self) -> set[str]:
        """The attribute names seen in sign-ups or declared for engagements (read from a small recorded list)."""
        return self.attribute_names.known()

    def _note_attribute_names(self, signups: Sequence[SignUp]) -> None:
        events = self.attribute_names.events_for(signups)
        if events:
            self._write_events([self.mapper.to_stored_event(e) for e in events])

    def _declare_rule_names(
        self, engagement: Engagement, rules: list[Any], confirmed: Sequence[str], by: str | None
    ) -> list[Any]:
        return self.attribute_names.declare(rules, confirmed, f"engagement {engagement.ref}", by)

    def engagement_changes(self, eid: UUID) -> list[Change]:
        """The recorded changes to an engagement since it was opened, oldest first."""
        return list(self._engagement(eid).changes)

    def close_engagement(self, eid: UUID, reason: str, at: datetime | None = None) -> None:
        engagement = self._engagement(eid)
        engagement.close(reason=reason, at=at or now())
        self.save(engagement)

    # -- queries ---------------------------------------------------------------------------
    def participant(self, pid: UUID) -> ParticipantDetails:
        return self._details(self._participant(pid))

    def participant_ids(self) -> Iterator[UUID]:
        yield from self._originators(REGISTERED_TOPIC)

    def participants(self, limit: int | None = None) -> list[ParticipantDetails]:
        result = []
        for pid in self.participant_ids():
            if limit is not None and len(result) >= limit:
                break
            result.append(self.participant(pid))
        return result

    def count_participants(self) -> int:
        return sum(1 for _ in self.participant_ids())

    def consent_history(self, pid: UUID, as_of: datetime | None = None) -> list[ConsentEntry]:
        """Consent as it stood at ``as_of``, read from the event log itself (the auditor's view)."""
        return self.consent_record(pid, as_of).consents

    def consent_record(self, pid: UUID, as_of: datetime | None = None) -> ConsentRecord:
        """Consent grants (each active, withdrawn or superseded) and the erasure, as they stood at ``as_of``."""
        items: list[dict[str, Any]] = []
        registered: Participant.Registered | None = None
        erasure = None
        for e in self.events.get(pid):
            if isinstance(e, Participant.Registered):
                registered = e
            elif (item := consent_item(e)) is not None:
                items.append(item)
            elif (erased := erasure_item(e)) is not None and (as_of is None or erased.at <= as_of):
                erasure = erased
        if registered is None:
            raise ParticipantNotFoundError(f"no participant has id {pid}: check `panel participant list`")
        return ConsentRecord(pid, registered.external_ref, registered.at, as_of, fold_consents(items, as_of), erasure)

    def engagement(self, eid: UUID) -> EngagementDetails:
        e = self._engagement(eid)
        return EngagementDetails(
            e.id,
            e.ref,
            e.name,
            e.purpose,
            e.kind,
            list(e.sessions),
            e.day_rate_pence,
            e.target_size,
            list(e.eligibility),
            e.cooldown_days,
            e.opened_at,
            e.closed_at,
            list(e.changes),
        )

    def engagements(self) -> list[EngagementDetails]:
        return [self.engagement(eid) for eid in self._originators(OPENED_TOPIC)]

    def engagement_aggregate(self, eid: UUID) -> Engagement:
        return self._engagement(eid)

    def participant_aggregate(self, pid: UUID) -> Participant:
        return self._participant(pid)

    def personal_data(self, participant: Participant) -> PersonalData:
        if participant.is_erased:
            return PersonalData(erased=True)
        key = self.keys.get_keys([participant.id]).get(participant.id)
        if key is None:
            return PersonalData(erased=True)
        return merge_personal(key, participant.id, participant.sealed)

    def _originators(self, topic: str) -> Iterator[UUID]:
        start = None
        while True:
            page = self.recorder.select_notifications(start=start, limit=1000, topics=[topic], inclusive_of_start=False)
            for n in page:
                yield n.originator_id  # type: ignore[misc]
            if len(page) < 1000:
                return
            start = page[-1].id

    # -- helpers ---------------------------------------------------------------------------
    def _details(self, p: Participant) -> ParticipantDetails:
        records = [
            ParticipationRecord(
                UUID(eid),
                r["status"],
                r["invited_at"],
                r["draw_id"],
                [tuple(a) for a in r["attended"]],
                list(r["no_shows"]),
                r["reason"],
            )
            for eid, r in p.participations.items()
        ]
        return ParticipantDetails(
            p.id,
            p.external_ref,
            p.source,
            p.channel,
            p.captured_by,
            p.registered_at,
            self.personal_data(p),
            p.consent_history(),
            records,
            p.left_panel_at,
            p.erased_at,
            p.version,
        )

    def _key(self, pid: UUID) -> bytes:
        participant = self._participant(pid)
        participant._require_not_erased()  # noqa: SLF001 - same rule, checked before sealing
        key = self.keys.get_keys([pid]).get(pid)
        if key is None:
            raise ValidationError(f"participant {participant.external_ref} has no data key: was it erased?")
        return key

    def _participant(self, pid: UUID) -> Participant:
        try:
            aggregate = self.repository.get(pid)
        except AggregateNotFoundError:
            raise ParticipantNotFoundError(f"no participant has id {pid}: check `panel participant list`") from None
        if not isinstance(aggregate, Participant):
            raise ParticipantNotFoundError(f"{pid} is not a participant")
        return aggregate

    def _engagement(self, eid: UUID) -> Engagement:
        try:
            aggregate = self.repository.get(eid)
        except AggregateNotFoundError:
            raise EngagementNotFoundError(f"no engagement has id {eid}: check `panel engagement list`") from None
        if not isinstance(aggregate, Engagement):
            raise EngagementNotFoundError(f"{eid} is not an engagement")
        return aggregate

    def _change(self, pid: UUID, action: Callable[[Participant], T]) -> T:
        def attempt() -> T:
            participant = self._participant(pid)
            result = action(participant)
            self.save(participant)
            return result

        return self._retry(attempt)

    @staticmethod
    def _retry(attempt: Callable[[], T]) -> T:
        """Run a load-change-save attempt, again when another writer got there first or the store was busy."""
        return retrying(attempt)

    # -- consultation fatigue (rules are FatiguePolicy aggregates; evaluation is panel.fatigue) ----
    def set_fatigue_rules(
        self,
        engagement_id: UUID | None,
        *,
        cooldown_days: int | None,
        max_per_year: int | None,
        set_by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Set the global rules (engagement_id None) or one engagement's rules, recorded as an event."""
        from panel.domain.policy import FatiguePolicy, policy_id

        if engagement_id is not None:
            self._engagement(engagement_id)

        def attempt() -> None:
            try:
                policy = self.repository.get(policy_id(engagement_id))
            except AggregateNotFoundError:
                policy = FatiguePolicy.start(engagement_id)
            policy.set_rules(cooldown_days=cooldown_days, max_per_year=max_per_year, set_by=set_by, at=at or now())
            self.save(policy)

        self._retry(attempt)

    def fatigue_policy(self, engagement_id: UUID | None, as_of: Mapping[UUID, int] | None = None) -> Any:
        """The rules explicitly set globally (None) or for one engagement, as FatigueRules (or None).

        ``as_of`` maps aggregate ids to versions: the rules as they stood at a past position.
        """
        from panel.domain.policy import policy_id
        from panel.fatigue import FatigueRules

        pid = policy_id(engagement_id)
        if as_of is not None and pid not in as_of:
            return None
        try:
            policy = self.repository.get(pid, version=None if as_of is None else as_of[pid])
        except AggregateNotFoundError:
            return None
        return FatigueRules(policy.cooldown_days, policy.max_per_year)

    def fatigue_rules(self, engagement_id: UUID | None = None, as_of: Mapping[UUID, int] | None = None) -> Any:
        """The rules in force for an engagement: global, then its own cooldown, then its own policy.

        ``as_of`` (aggregate id -> version) gives the rules as they stood at a past position.
        """
        from panel.fatigue import FatigueRules

        rules = self.fatigue_policy(None, as_of) or FatigueRules()
        if engagement_id is not None:
            if as_of is None:
                opened = self._engagement(engagement_id).cooldown_days
            else:
                opened = self.repository.get(engagement_id, version=as_of[engagement_id]).cooldown_days
            rules = rules.merged(FatigueRules(opened, None))
            rules = rules.merged(self.fatigue_policy(engagement_id, as_of) or FatigueRules())
        return rules

    def fatigue_excluded(
        self, participant: Participant, engagement_id: UUID, at: datetime, rules: Any = None
    ) -> str | None:
        """Why a fatigue rule excludes ``participant`` from ``engagement_id`` at ``at``, or None.

        Pool builders should fetch ``fatigue_rules(engagement_id)`` once and pass it as ``rules``.
        """
        from panel.fatigue import check, history_from_participations

        rules = self.fatigue_rules(engagement_id) if rules is None else rules
        if not rules.active:
            return None
        return check(rules, history_from_participations(participant.participations), engagement_id.hex, at)

    def _require_not_fatigued(
        self, person: Participant, engagement: Engagement, at: datetime, rules: Any, override_reason: str | None
    ) -> None:
        from panel.domain.policy import FatigueRuleError

        reason = self.fatigue_excluded(person, engagement.id, at, rules)
        if reason and not (override_reason and override_reason.strip()):
            raise FatigueRuleError(
                f"participant {person.external_ref} cannot be invited to {engagement.ref}: {reason}; "
                "invite later, or pass --override-reason TEXT to invite anyway (the reason is recorded)"
            )
