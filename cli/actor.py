"""Who runs each command, recorded with every event it writes (``panel.actor``).

The root command names the actor once (``Wiring.actor``: PANEL_USER, else the operating-system
user). A command with a ``--by NAME`` option (the staff member doing it) records NAME instead: when
a command module is loaded, ``adopt_by_options`` gives each such option a callback that names the
actor as the option is parsed, so a new command with ``--by`` is covered without a line of its own.
A ``--by`` that groups instead of naming someone is left alone: one that chooses among fixed values
(`panel pay export --by budget`) and those of the commands in GROUPING (`panel reach --by age_band`).
"""

from __future__ import annotations

from typing import Any

import click

from panel.actor import act_as

_ADOPTED = "_panel_names_actor"
GROUPING = frozenset({"reach"})  # commands whose free-text --by names attributes, not a person


def adopt_by_options(command: click.Command) -> None:
    """Make every person-naming ``--by`` option in ``command`` (and its subcommands) name the actor."""
    for param in () if command.name in GROUPING else command.params:
        if _names_a_person(param) and not getattr(param, _ADOPTED, False):
            param.callback = _naming(param.callback)
            setattr(param, _ADOPTED, True)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt_by_options(sub)


def _names_a_person(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and "--by" in param.opts and not isinstance(param.type, click.Choice)


def _naming(original: Any) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            act_as(value)
        return original(ctx, param, value) if original is not None else value

    return callback
