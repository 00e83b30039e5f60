"""`panel audit access`: who was shown a person's data, and when (the subject-access question)."""

from __future__ import annotations

import click

from cli.options import echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table, when
from panel.access import AccessLog
from panel.application import PanelApp
from panel.paging import Page


@click.command("access")
@click.option("--participant", "participant_ref", default=None, help="Whose data (reference or id).")
@click.option("--actor", default=None, help="Only what this person was shown.")
@paging_options(100, "records")
@json_option
@pass_app
def access(app: PanelApp, participant_ref: str | None, actor: str | None, page: Page, as_json: bool) -> None:
    """List when personal data was shown in clear, to whom, by which command and why.

    Recorded before the data is shown by `panel participant show`, `participant list`, and the
    text of `draw show`, `draw run`, `draw reveal` and `demo` (the panel's names); who is
    PANEL_USER, else the operating-system user. The records hold no personal data. Oldest
    first, a page at a time (--limit, --offset): the records are read one at a time up to the page.

    Example:

        panel audit access --participant VES-001
    """
    if participant_ref is None and actor is None:
        raise click.UsageError("give --participant REF, --actor NAME, or both")
    pid = app.resolve_participant(participant_ref) if participant_ref else None
    entries, more = page.window(AccessLog(app).matching(pid, actor))
    if as_json:
        echo_json({"access": [{"at": e.at.isoformat(), "actor": e.actor, "what": e.what, "purpose": e.purpose,
                               "channel": e.channel, "people_shown": e.people} for e in entries],
                   **page.fields(more)})  # fmt: skip
        return
    if not entries:
        say("No access to personal data is recorded" + (f" for {participant_ref}" if participant_ref else ""))
        return
    table(
        f"Access to personal data{f' of {participant_ref}' if participant_ref else ''}",
        ["when", "who", "what", "people shown", "purpose"],
        [(when(e.at), e.actor, e.what, e.people, e.purpose or "-") for e in entries],
    )
    echo_footer(page.footer(len(entries), more, "records"))
