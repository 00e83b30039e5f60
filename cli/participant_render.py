"""How `panel participant show` and `list` render a participant: status, details, consents and participation."""

from __future__ import annotations

from cli.consent import expiry_state
from cli.render import table, when
from panel.application import PanelApp
from panel.clock import now
from panel.queries import Queries
from panel.records import ParticipantDetails


def status(p: ParticipantDetails) -> str:
    if p.erased_at:
        return "erased"
    if p.left_panel_at:
        return "left"
    return "active"


def render_participant(app: PanelApp, p: ParticipantDetails) -> None:
    erased = "«erased»"
    personal = p.personal
    rows = [
        ("id", str(p.id)),
        ("reference", f"{p.ref} (source {p.source})"),
        ("channel", p.channel),
        ("captured by", p.captured_by or "-"),
        ("registered", when(p.registered_at)),
        ("status", status(p)),
    ]
    for field in ("name", "email", "phone", "address", "postcode"):
        value = getattr(personal, field)
        rows.append((field, erased if personal.erased else (value or "-")))
    for key, value in sorted(personal.attributes.items()):
        rows.append((key, value))
    table(f"Participant {p.ref}", ["field", "value"], rows)
    if p.consents:
        table(
            "Consents",
            ["purpose", "notice", "method", "captured by", "granted", "ended", "state"],
            [
                (
                    c.purpose,
                    c.notice_version,
                    c.method,
                    c.captured_by,
                    when(c.granted_at),
                    when(c.ended_at),
                    expiry_state(c, now()) if c.state == "active" else c.state,
                )
                for c in p.consents
            ],
        )
    if p.participations:
        refs = {}
        for r in p.participations:
            refs[r.engagement_id] = Queries(app).engagement(r.engagement_id).ref
        table(
            "Participation",
            ["engagement", "status", "invited", "attended", "no-shows"],
            [
                (
                    refs[r.engagement_id],
                    r.status,
                    r.invited_at.date().isoformat(),
                    ", ".join(f"{d}{' (half)' if half else ''}" for d, half in r.attended) or "-",
                    ", ".join(r.no_shows) or "-",
                )
                for r in p.participations
            ],
        )
