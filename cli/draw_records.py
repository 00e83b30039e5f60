"""`panel draw show|list|verify|replace`: what happens to a recorded draw (registered by cli/draw.py).

Show it or list them all, re-check it against the history, and replace a member who dropped out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.draw_render import draw_json, show_draw
from cli.options import at_option, echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table
from panel.application import PanelApp
from panel.paging import Page
from panel.queries import Queries


@click.command("show")
@click.argument("draw_id")
@json_option
@click.pass_context
def show(ctx: click.Context, draw_id: str, as_json: bool) -> None:
    """Show a draw: the panel, target vs pool vs selected, and the probabilities.

    The panel's names are personal data: showing them is recorded first (`panel audit access`);
    --json gives references only and records nothing.

    Example:

        panel draw show 3f2a9c1e
    """
    from panel.draws import Draws

    app: PanelApp = ctx.obj.app
    draws = Draws(app)
    recorded = draws.get(draws.resolve(draw_id))
    if as_json:
        echo_json(draw_json(app, recorded, per_person=True))
        return
    show_draw("draw show", app, recorded)


@click.command("verify")
@click.argument("draw_id")
@pass_app
def verify(app: PanelApp, draw_id: str) -> None:
    """Re-run a draw and check it against the history: pool, panel, reserves, invitations.

    The pool is rebuilt from everyone's history as of the draw (consents, eligibility, fatigue);
    the selection is re-run from the draw's recorded type table; the invitations recorded for the
    draw must be its panel and replacements. Differences are listed on stderr (exit 1); what can no
    longer be re-checked (members erased since) is stated.

    Example:

        panel draw verify 3f2a9c1e
    """
    from cli.wiring import draw_service
    from panel.domain.errors import PanelError

    draws = draw_service(click.get_current_context())
    did = draws.resolve(draw_id)
    found = draws.verify(did)
    recorded = draws.get(did)
    for note in found.notes:
        click.echo(f"Not re-checked: {note}", err=True)
    if found.differences:
        for line in found.differences:
            click.echo(f"- {line}", err=True)
        raise PanelError(f"draw {did} does not verify: {len(found.differences)} difference(s) listed above")
    partly = " as far as it can be re-checked (see the notes on stderr)" if found.notes else ""
    if recorded.reserves_model:
        partly += ", dropout-aware reserves re-derived from the recorded model, history counts and seed"
    if "announcement" in recorded.report:
        partly += f", revealed from announcement {recorded.report['announcement']['id'][:8]} by its published rule"
    say(
        f"Verified draw {did}{partly}: same pool as the history gives ({len(recorded.pool)} people, hash "
        f"{recorded.pool_sha256[:12]}), same panel, reserves and probabilities ({recorded.algorithm} "
        f"v{recorded.algorithm_version}, {recorded.solver} {recorded.solver_version}), invitations as recorded"
    )


@click.command("replace")
@click.argument("draw_id")
@click.argument("participant")
@click.option(
    "--reason",
    required=True,
    help="Why the member drops out (and, with --allow-quota-break, why the break is accepted).",
)
@click.option(
    "--allow-quota-break",
    is_flag=True,
    help="Record the replacement even if no reserve keeps every quota (recorded on the draw with --reason).",
)
@at_option
@pass_app
def replace(
    app: PanelApp, draw_id: str, participant: str, reason: str, allow_quota_break: bool, at: datetime | None
) -> None:
    """Replace a panel member who dropped out by the reserve who restores the quotas best.

    That is the first reserve in the list who keeps every quota and the household rule. Reserves who
    were erased, left, no longer consent to contact or would break a quota are skipped, and the
    message says why. When no reserve keeps the quotas nothing is recorded, unless
    --allow-quota-break is given: then the reserve leaving the fewest people missing from (or above)
    the quotas is taken, the earlier in the list on ties.

    Example:

        panel draw replace 3f2a9c1e VES-014 --reason "started a job"
    """
    from panel.draws import Draws
    from panel.draws.replace import describe
    from panel.draws.results import RefBook

    draws = Draws(app)
    did = draws.resolve(draw_id)
    outcome = draws.replace(did, app.resolve_participant(participant), reason, at, allow_quota_break=allow_quota_break)
    say(describe(outcome, RefBook(draws)))


@click.command("list")
@paging_options(100, "draws")
@json_option
@pass_app
def list_(app: PanelApp, page: Page, as_json: bool) -> None:
    """List draws, oldest first, a page at a time (--limit, --offset).

    Example:

        panel draw list
    """
    from panel.draws import Draws

    draws, more = Draws(app).recorded_page(page)
    rows: list[dict[str, Any]] = [
        {
            "id": d.id,
            "engagement": Queries(app).engagement(d.engagement_id).ref,
            "round": d.round,
            "at": d.drawn_at,
            "size": d.size,
            "pool": len(d.pool),
            "algorithm": d.algorithm,
            "replacements": len(d.replacements),
        }
        for d in draws
    ]
    if as_json:
        echo_json({"draws": rows, **page.fields(more)})
        return
    keys = ("engagement", "round", "at", "size", "pool", "algorithm", "replacements")
    cells = [[str(r["id"]), *(r[k].isoformat(timespec="minutes") if k == "at" else r[k] for k in keys)] for r in rows]
    table("Draws", ["id", "engagement", "round", "drawn at", "size", "pool", "algorithm", "replacements"], cells)
    echo_footer(page.footer(len(rows), more, "draws"))


COMMANDS = (show, list_, verify, replace)
