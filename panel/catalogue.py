"""The application's side of the attribute catalogue: noting names from sign-ups and checking rules.

Each command that brings in attributes (a sign-up, an import batch, an attribute update) or names
them in rules (opening or updating an engagement) saves the catalogue's new events in the same
transaction as its own, so the list never runs ahead of, or behind, what the store holds. A store
written before the catalogue existed is listed once by ``panel init`` (``build_from_history``),
the only time anyone's sealed data is read for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from panel.domain.attributes import CATALOGUE_ID, AttributeCatalogue, attribute_names, check_rule_names
from panel.domain.engagement import Engagement
from panel.domain.errors import ValidationError
from panel.domain.participant import Participant
from panel.domain.values import EligibilityRule
from panel.queries import Queries

if TYPE_CHECKING:
    from panel.application import PanelApp
    from panel.validation import SignUp

_LEADING_NAME = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)")
STORE_TOPICS = [get_topic(Participant.Registered), get_topic(Engagement.Opened)]
KNOWN_NAMES = "attribute_names_known"  # app.memo: (catalogue version, names it held when read): a sign-up whose
# names are all among them adds nothing to the catalogue, and the names a catalogue holds are never taken back


class AttributeNames:
    """The store's list of known attribute names, kept by the ``AttributeCatalogue`` aggregate."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def load(self) -> AttributeCatalogue | None:
        try:
            catalogue: Aggregate = self.app.repository.get(CATALOGUE_ID)
        except AggregateNotFoundError:
            return None
        if not isinstance(catalogue, AttributeCatalogue):
            raise TypeError(f"{CATALOGUE_ID} is not the attribute catalogue")
        return catalogue

    def known(self) -> set[str]:
        """Every attribute name seen in a sign-up or declared for an engagement."""
        catalogue = self.load()
        if catalogue is None:
            self._refuse_if_unlisted()
            return set()
        return set(catalogue.names)

    def noted(self) -> list[tuple[str, str, str | None, datetime]]:
        """(name, origin, noted by, when) for every known name, in the order they were noted."""
        catalogue = self.load()
        return [] if catalogue is None else list(catalogue.noted)

    def events_for(self, signups: Iterable[SignUp]) -> list[Any]:
        """The catalogue events that note the attribute names of ``signups`` (to be saved with them)."""
        return [e for c in self.noting(s.attributes for s in signups) for e in c.collect_events()]

    def noting(self, attributes: Iterable[dict[str, str]]) -> list[AttributeCatalogue]:
        """The catalogue with the names of ``attributes`` noted (to be saved with them), or [] if nothing is new."""
        names = attribute_names({k for attrs in attributes for k, v in attrs.items() if str(v).strip()})
        known = self.app.memo.get(KNOWN_NAMES)
        if known is not None and names <= known[1]:
            return []  # nothing to note: names once noted stay noted, so no need to read the catalogue again
        catalogue = self.load()
        if catalogue is not None:  # a stored catalogue: what it held is known for good
            self.app.memo[KNOWN_NAMES] = (catalogue.version, frozenset(catalogue.names))
        elif self._store_has_history():
            return []  # a store from before the catalogue: `panel init` lists it from the history
        else:
            catalogue = AttributeCatalogue.start(datetime.now(UTC))
        catalogue.note(names, origin="sign-up", noted_by=None, at=datetime.now(UTC))
        return [catalogue]

    def declare(
        self, rules: Sequence[EligibilityRule], confirmed: Sequence[str], origin: str, by: str | None
    ) -> list[AttributeCatalogue]:
        """Check the rules' names (known, or confirmed as new) and return the catalogue to save with the change."""
        catalogue = self.load()
        if catalogue is None:
            self._refuse_if_unlisted()
        new = check_rule_names(rules, set() if catalogue is None else set(catalogue.names), confirmed)
        catalogue = catalogue or AttributeCatalogue.start(datetime.now(UTC))
        catalogue.note(new, origin=origin, noted_by=by, at=datetime.now(UTC))
        return [catalogue]

    def build_from_history(self) -> int:
        """List the names of a store written before the catalogue existed (once); returns how many."""
        if self.load() is not None or not self._store_has_history():
            return 0
        names: set[str] = set()
        ids = list(Queries(self.app).participant_ids())
        for start in range(0, len(ids), 500):
            people = [self.app.load(pid, Participant) for pid in ids[start : start + 500]]
            for person in people:
                names |= set(self.app.personal_data(person).attributes)
        for engagement in Queries(self.app).engagements():  # the leading name of each rule, however it was written then
            names |= attribute_names(m[1] for text in engagement.eligibility if (m := _LEADING_NAME.match(text)))
        catalogue = AttributeCatalogue.start(datetime.now(UTC))
        catalogue.note(names, origin="history", noted_by=None, at=datetime.now(UTC))
        self.app.save(catalogue)
        return len(names)

    def _store_has_history(self) -> bool:
        return bool(self.app.recorder.select_notifications(start=None, limit=1, topics=STORE_TOPICS))

    def _refuse_if_unlisted(self) -> None:
        if self._store_has_history():
            raise ValidationError(
                "this store's attribute names have not been listed yet (it predates the list): "
                "run `panel init` once, then try again"
            )
