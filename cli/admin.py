"""`panel init` and `panel demo`."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.render import counted, say, stderr_is_terminal, table
from panel.application import PanelApp
from panel.catalogue import AttributeNames
from panel.demo import build_demo
from panel.email_index import EmailIndex
from panel.queries import Queries


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the store, or upgrade its tables to this version; safe to run again.

    The only command (with `panel demo`) that creates a store or changes its schema: every other
    command refuses a missing or older store. It also makes an SQLite store readable by its owner
    only, finishes any erasure that was interrupted before its data key was destroyed, and puts
    applicants who confirmed their email address before the email index existed into it.

    Example:

        PANEL_DB=./panel.db panel init
    """
    wiring = ctx.obj
    setup = wiring.create_store()
    app: PanelApp = setup.app
    for path in setup.tightened:
        say(f"Made {path} readable by its owner only (mode 0600)")
    if app.chained_at_upgrade:
        say(f"Chained the {app.chained_at_upgrade} events already stored (done once): check with `panel audit verify`")
    if app.key_changes.moved:
        say(f"Moved {app.key_changes.moved} data keys to PANEL_KEYS_URL (done once): the events' database holds none")
    if app.key_changes.wrapped:
        say(f"Wrapped {app.key_changes.wrapped} data keys with the master key (done once)")
    for name in setup.rebuilt:
        say(f"Rebuilt the {name} view to fill the columns this version added (done once)")
    if setup.erasures:
        say(f"Finished {len(setup.erasures)} interrupted erasure(s): their data keys are destroyed")
    listed = AttributeNames(app).build_from_history()  # once, for a store older than the list of names
    if listed:
        say(f"Listed {listed} attribute names from the store's history (done once)")
    indexed = EmailIndex(app).add_confirmed()  # people who confirmed before the email index existed
    if indexed:
        say(f"Added {indexed} confirmed applicant(s) to the email index (those who confirmed before it existed)")
    say(
        f"Store ready: {wiring.location.describe()} "
        f"({counted(app.recorder.max_notification_id() or 0, 'event')}, "
        f"{counted(Queries(app).count_participants(), 'participant')})"
    )


@click.command()
@click.option(
    "--people", type=click.IntRange(min=1), default=400, show_default=True, help="How many demo sign-ups to create."
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed: the same seed gives the same data.")
@click.pass_context
def demo(ctx: click.Context, people: int, seed: int) -> None:
    """Build a realistic demo store (Faker en_GB people, consents, engagements, history).

    Creates the store first if there is none (like `panel init`). Showing the demo panel's names is
    recorded first (`panel audit access`), as for any draw.

    Example:

        panel demo --people 400 --seed 2026
    """
    app: PanelApp = ctx.obj.create_store().app
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True, disable=not stderr_is_terminal()) as bar:
        task = bar.add_task("Registering demo sign-ups", total=people)
        summary = build_demo(app, people, seed, progress=lambda n: bar.advance(task, n))
    say(
        f"Demo store (seed {seed}): {summary.created} people registered, {summary.unchanged} already present, "
        f"{summary.events} events written"
    )
    rows = []
    for ref in summary.engagements:
        e = Queries(app).engagement(app.resolve_engagement(ref))
        rows.append(
            (
                e.ref,
                e.kind,
                len(e.sessions),
                e.sessions[0].isoformat() if e.sessions else "-",
                "; ".join(e.eligibility) or "everyone",
            )
        )
    table("Engagements", ["ref", "type", "sessions", "first session", "eligibility"], rows)
    import selection
    from cli.draw_render import show_draw
    from panel.demo import demo_draw
    from panel.domain.errors import PanelError
    from panel.draws import Draws

    try:
        draw_id, fresh = demo_draw(app, seed)
    except (selection.SelectionError, PanelError) as exc:
        say(f"No demo draw: {exc} (try more --people)")
        return
    say(
        ("Drew" if fresh else "Already drawn:") + " a fair panel of 6 for vested-youth-panel "
        "(quotas on age band, gender and Core20; leximin; reserves 3)"
    )
    show_draw("demo", app, Draws(app).get(draw_id))
    say(f"Check it any time with: panel draw verify {draw_id}")


def register(group: click.Group) -> None:
    group.add_command(init)
    group.add_command(demo)
