"""`panel consent expiring`: whom to ask again, before (or after) their consent lapses."""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import PERIOD, WHEN, echo_footer, json_option, paging_options
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.clock import now
from panel.consent_expiry import expiring_consents
from panel.domain.durations import Period
from panel.domain.values import PURPOSES
from panel.paging import Page


@click.command()
@click.option("--within", type=PERIOD, required=True, help="Window ahead, e.g. 30d, 6w, 3m.")
@click.option("--purpose", type=click.Choice(PURPOSES), default=None, help="Only this purpose.")
@click.option("--expired", "include_expired", is_flag=True, help="Also list consents already expired, not renewed.")
@click.option("--as-of", type=WHEN, default=None, help="Count the window from this moment (ISO 8601); default now.")
@paging_options(100, "consents")
@json_option
@click.pass_context
def expiring(
    ctx: click.Context,
    within: Period,
    purpose: str | None,
    include_expired: bool,
    as_of: datetime | None,
    page: Page,
    as_json: bool,
) -> None:
    """List consents that expire within a window, so staff know whom to ask again.

    Lists references (no names), the purpose and the expiry. A renewal (`panel consent grant`
    again, with a new expiry) takes a person off the list. People who left the panel or were
    erased are not listed. Soonest expiry first, a page at a time (--limit, --offset). The consent
    view names who may be listed (a grant expiring in the window); only they, and anyone with an
    event the view has not seen, are read back from the log and judged there.

    Example:

        panel consent expiring --within 30d --purpose panel_membership
    """
    from cli.wiring import projector
    from projections.expiry_narrowing import ViewExpiry

    app: PanelApp = ctx.obj.app
    moment = as_of or now()
    views = ViewExpiry(projector(ctx, catch_up=False))
    every = expiring_consents(app, moment, within, purpose=purpose, include_expired=include_expired, narrowing=views)
    found, more = page.window(every)
    if as_json:
        echo_json({"as_of": moment, "within": str(within), "until": within.after(moment), "consents": found,
                   **page.fields(more)})  # fmt: skip
        return
    if not found and not page.offset:
        say(
            f"No consent expires within {within} of {when(moment)}"
            + (" (and none has expired)" if include_expired else "")
        )
        return
    rows = [(c.ref, c.purpose, c.notice_version, when(c.granted_at), when(c.expires_at), c.state) for c in found]
    table(
        f"Consents expiring within {within} of {when(moment)}",
        ["ref", "purpose", "notice", "granted", "expires", "state"],
        rows,
    )
    echo_footer(page.footer(len(found), more, "consents"))
