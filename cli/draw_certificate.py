"""`panel draw certificate` and `panel draw check-certificate`: the fairness certificate of a leximin draw."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import json_option, pass_app
from cli.render import echo_json, say
from panel.application import PanelApp


@click.command("certificate")
@click.argument("draw_id")
@pass_app
def certificate(app: PanelApp, draw_id: str) -> None:
    """Print a leximin draw's fairness certificate (JSON) for anyone to check.

    The selection is re-run from the draw's record; the certificate holds the type table, quotas,
    the lottery with its probabilities and, level by level, the dual proof that no lottery gives
    the worst-off a higher chance. Members are named by slot only. Check it with
    `panel draw check-certificate` or the standalone scripts/check_certificate.py (numpy only).

    Example:

        panel draw certificate 3f2a9c1e > cert.json
    """
    from panel.draws import Draws
    from panel.draws.certificate import draw_certificate

    draws = Draws(app)
    echo_json(draw_certificate(draws, draws.get(draws.resolve(draw_id))))


@click.command("check-certificate")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
def check_certificate(path: Path, as_json: bool) -> None:
    """Check a fairness certificate without the solver: lottery feasibility, probabilities, dual bounds.

    Exit 0 when every check passes, 1 when one fails (each failure listed). Needs no store.

    Example:

        panel draw check-certificate cert.json
    """

    from panel.domain.errors import ValidationError
    from panel.draws.certificate import check_certificate as run_check

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(
            f"{path}: cannot read the certificate ({type(exc).__name__}); give the JSON file "
            "`panel draw certificate` wrote"
        ) from None
    result = run_check(data)
    if as_json:
        echo_json(result)
    else:
        for line in result["failures"]:
            click.echo(f"FAILED: {line}", err=True)
        for line in result["notes"]:
            say(f"Note: {line}")
        if result["valid"]:
            say(
                f"Certificate valid: {result['people']} people, a lottery of {result['lottery_size']} feasible "
                f"panels with the stated probabilities; {result['levels']} leximin levels proven optimal "
                f"(lowest {result['minimum_probability']:.4%}); worst shortfall {result['worst_shortfall']:.4%}"
            )
    if not result["valid"]:
        raise SystemExit(1)
