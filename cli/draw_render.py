"""What `panel draw show` and `panel draw run` print: the draw, its panel and its replacements.

People are named by reference; a name is «erased» only for people who were erased, "-" when none
was given. The panel's names are personal data: `show_draw` records the showing first
(`panel audit access`); a dry run shows references only and so records nothing. A draw with a
type table records probabilities by slot, so a person's probability is shown only while their key
exists.
"""

from __future__ import annotations

import statistics
from typing import Any
from uuid import UUID

import click

from cli.render import say, table
from panel.application import PanelApp
from panel.draws.reserves_model import summary
from panel.queries import Queries


def rounding_line(lot: dict[str, Any]) -> str:
    """The lottery's size, its bound and the realised worst deviation, in one line."""
    size = lot["size"]
    met = (
        f"met: nobody falls more than 1/{size} = {lot['bound']:.4%} below their optimal probability"
        if lot["bound_met"]
        else f"NOT met for {lot['below_bound']} people"
    )
    return (
        f"Lottery of {size} panels ({lot['size_rule']}); bound 1/L {met}; realised worst shortfall "
        f"{lot['worst_shortfall']:.4%}, worst deviation {lot['worst_deviation']:.4%}; "
        f"{lot['at_zero']} people with a chance at zero{_new_panels(lot)}"
    )


def _new_panels(lot: dict[str, Any]) -> str:
    """Version 3's new panels, when the rounding needed any (outside the optimal lottery's support)."""
    added = lot.get("new_panels", 0)
    if not added:
        return ""
    return f"; {added} panel{'s' if added != 1 else ''} added beyond the optimal lottery's to meet the bound"


def reserves_model_line(m: dict[str, Any]) -> str:
    """The dropout model and the expected shortfall of the reserves against the plain list, in one line."""
    kept = (
        "the plain list scored better in training and was kept"
        if m["kept"] == "plain"
        else "the dropout-aware list is used"
    )
    return (
        f"Reserves model: dropout (pooled dropout rate {m['prior_rate']:.1%} from {m['history_accepted']} "
        f"acceptances, {m['history_dropped']} dropped out; {kept}); expected quota shortfall after dropouts "
        f"{m['expected_shortfall']:.3f} against {m['plain_expected_shortfall']:.3f} for the plain ordered list "
        f"(difference {m['difference']:+.3f} +/- {m['difference_standard_error']:.3f}; "
        f"{m['no_reserves_expected_shortfall']:.3f} with no reserves; {m['scenarios']} scenarios, seed {m['seed']})"
        + settings_text(m.get("settings") or {})
    )


def settings_text(settings: dict[str, Any]) -> str:
    """The model settings that differ from the defaults, as given (``--model-setting``), or nothing."""
    from panel.draws.dropout_settings import DropoutSettings

    default = DropoutSettings().to_dict()
    changed = [f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in settings.items() if default.get(k) != v]
    return f"; settings {' '.join(changed)}" if changed else ""


def draw_json(app: PanelApp, d: Any, *, per_person: bool) -> dict[str, Any]:
    from panel.draws import Draws
    from panel.draws.results import RefBook

    draws = Draws(app)
    ref = RefBook(draws)
    probs = list(d.probabilities.values())
    data = {
        "id": d.id,
        "engagement": Queries(app).engagement(d.engagement_id).ref,
        "round": d.round,
        "drawn_at": d.drawn_at,
        "size": d.size,
        "algorithm": d.algorithm,
        "algorithm_version": d.algorithm_version,
        "solver": d.solver,
        "solver_version": d.solver_version,
        "seed": d.seed,
        "seed_from": d.seed_from,
        "lottery_size": d.lottery_size,
        "lottery_index": d.lottery_index,
        "pool_size": len(d.pool),
        "pool_sha256": d.pool_sha256,
        "quotas": d.quotas,
        "panel": [{"id": pid, "ref": ref(UUID(pid))} for pid in d.panel],
        "selected": [ref(UUID(pid)) for pid in d.selected],
        "reserves": [ref(UUID(pid)) for pid in d.reserves],
        "replacements": [replacement_json(r, ref) for r in d.replacements],
        "report": d.report,
        "lottery": d.report.get("lottery"),
        "probability": {"min": min(probs), "median": statistics.median(probs), "max": max(probs)},
        "reserves_model": summary(d.reserves_model),
    }
    if per_person:
        data["probabilities"] = {ref(pid): p for pid, p in sorted(draws.person_probabilities(d).items())}
    return data


def replacement_json(r: dict[str, Any], ref: Any) -> dict[str, Any]:
    return {
        "at": r["at"],
        "dropout": ref(UUID(r["dropout"])),
        "replacement": None if r["replacement"] is None else ref(UUID(r["replacement"])),
        "reason": r["reason"],
        "quota_ok": r["quota_ok"],
        "broken": r.get("broken", []),
        "quota_break_allowed": r.get("override_reason") is not None,
        "rule": r.get("rule", "first"),
        "skipped": [{"ref": ref(UUID(pid)), "why": why} for pid, why in r.get("skipped", [])],
    }


def _name(app: PanelApp, pid: UUID) -> str:
    """A panel member's name; «erased» only for people who were erased, "-" when none was given."""
    person = Queries(app).participant(pid)
    if person.erased_at is not None or person.personal.erased:
        return "«erased»"
    return person.personal.name or "-"


def show_draw(what: str, app: PanelApp, d: Any) -> None:
    """Record that the panel's names are about to be shown by command ``what``, then print the draw."""
    click.get_current_context().obj.record_access(what, [UUID(pid) for pid in d.panel])
    render_draw(app, d)


def render_draw(app: PanelApp, d: Any, *, names: bool = True) -> None:
    """Print the draw; with ``names`` its panel's names too (call through `show_draw`, which records that)."""
    from panel.draws import Draws

    data = draw_json(app, d, per_person=False)
    p = data["probability"]
    randomness = f"seed {d.seed}" if d.seed is not None else f"public randomness {d.seed_from!r}"
    round_text = f" (round {d.round})" if d.round > 1 else ""
    say(
        f"Draw {d.id} for {data['engagement']}{round_text}: {d.size} of {len(d.pool)} people in the pool, "
        f"{d.algorithm} v{d.algorithm_version} ({d.solver} {d.solver_version}), {randomness}, "
        f"panel {d.lottery_index + 1} of a {d.lottery_size}-panel lottery"
    )
    say(
        f"Selection probability: min {p['min']:.1%}, median {p['median']:.1%}, max {p['max']:.1%} "
        f"(k/n = {d.size / len(d.pool):.1%})"
    )
    if d.report.get("lottery"):
        say(rounding_line(d.report["lottery"]))
    if d.report.get("unused_quotas"):
        say("Note: quotas on values nobody in the pool has: " + "; ".join(d.report["unused_quotas"]))
    excluded = d.report.get("excluded", {})
    if excluded:
        say("Not in the pool: " + ", ".join(f"{n} {why}" for why, n in sorted(excluded.items(), key=lambda x: -x[1])))
    quota_rows = d.report.get("quotas") or []
    if quota_rows:
        table(
            "Target vs pool vs selected (as drawn)",
            ["feature", "value", "min", "max", "pool", "selected"],
            [
                (q.get("feature"), q.get("value"), q.get("min"), q.get("max"), q.get("pool"), q.get("selected"))
                for q in quota_rows
            ],
        )
    chance = Draws(app).person_probabilities(d)
    panel = []
    for member in data["panel"]:
        pid = UUID(member["id"])
        shown = f"{chance[pid]:.1%}" if pid in chance else "-"
        panel.append((member["ref"], _name(app, pid), shown) if names else (member["ref"], shown))
    table("Panel", ["ref", "name", "probability"] if names else ["ref", "probability"], panel)
    if d.reserves:
        say("Reserves in order: " + ", ".join(data["reserves"]))
    if d.reserves_model:
        say(reserves_model_line(data["reserves_model"]))
    if data["replacements"]:
        table(
            "Replacements",
            ["at", "dropped out", "replaced by", "reason", "quotas", "reserves skipped"],
            [
                (
                    r["at"].isoformat(timespec="minutes"),
                    r["dropout"],
                    r["replacement"] or "-",
                    r["reason"],
                    "kept" if r["quota_ok"] else "broken (allowed): " + "; ".join(r["broken"]),
                    "; ".join(f"{s['ref']}: {s['why']}" for s in r["skipped"]) or "-",
                )
                for r in data["replacements"]
            ],
        )
