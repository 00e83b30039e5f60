"""One sign-up, one write transaction: its data key, events, reference source and email index row commit together.

On SQLite and PostgreSQL through the ``app`` fixture.
"""

from __future__ import annotations

from typing import Any

import pytest

from panel.application import PanelApp
from panel.confirmations import Confirmations
from panel.email_index import EmailIndex
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import SignUp


def online(ref: str, email: str) -> SignUp:
    return SignUp(ref=ref, source="campaign:t", channel="online", personal={"name": "Ama Owusu", "email": email})


class Refused(Exception):
    """Raised by the test's own statement, inside the sign-up's transaction."""


def refuse(cursor: Any) -> None:
    raise Refused


def test_a_failed_sign_up_leaves_no_data_key_no_source_and_no_events(app: PanelApp) -> None:
    signup = online("K-1", "ama@example.org")
    pid = app.participant_id_for(signup.ref, signup.source)
    with pytest.raises(Refused):
        Registration(app).save_new([(pid, signup)], also=refuse)
    assert app.keys.get_keys([pid]) == {}  # a key written in a transaction of its own would have stayed
    assert not app.exists(pid)
    assert "campaign:t" not in app.keys.sources()
    Registration(app).save_new([(pid, signup)])  # and the same sign-up then goes through whole
    assert Queries(app).participant(pid).personal.email == "ama@example.org"
    assert "campaign:t" in app.keys.sources()


def test_a_key_stored_earlier_for_the_id_is_the_one_its_data_is_sealed_under(app: PanelApp) -> None:
    signup = online("K-2", "kofi@example.org")
    pid = app.participant_id_for(signup.ref, signup.source)
    earlier = app.keys.ensure_keys([pid])[pid]  # e.g. left by a store of an earlier version
    Registration(app).register(signup)
    assert app.keys.get_keys([pid]) == {pid: earlier}
    assert Queries(app).participant(pid).personal.email == "kofi@example.org"


def test_an_online_sign_up_notes_its_address_with_the_person(app: PanelApp) -> None:
    first = Registration(app).register(online("E-1", "sam@example.org"), refuse_duplicate=True, note_email=True)
    assert EmailIndex(app).owner("Sam@Example.org") == first
    later = Registration(app).register(online("E-2", "sam@example.org"), refuse_duplicate=True, note_email=True)
    assert EmailIndex(app).owner("sam@example.org") == later  # nobody confirmed it: the latest applicant holds it


def test_a_confirmed_holder_is_never_displaced_by_a_later_sign_up(app: PanelApp) -> None:
    holder = Registration(app).register(online("C-1", "jo@example.org"), note_email=True)
    assert Confirmations(app).confirm(holder)
    # staff adding a second person with the address anyway (no duplicate refusal), noted in the same transaction
    other = Registration(app).register(online("C-2", "jo@example.org"), note_email=True)
    assert app.exists(other)
    assert EmailIndex(app).confirmed_owner("jo@example.org") == holder


def test_without_note_email_the_index_is_untouched(app: PanelApp) -> None:
    Registration(app).register(online("N-1", "lee@example.org"))
    assert EmailIndex(app).owner("lee@example.org") is None
