"""`panel participant import`: sign-ups from a CSV file, all checked before any is written."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress

from cli.options import pass_app
from cli.render import err, say, stderr_is_terminal
from panel.application import PanelApp
from panel.domain import text as limits
from panel.domain.values import CHANNELS
from panel.importer import ImportFileError, import_csv, write_rejects

IMPORT_HELP = f"""Import sign-ups from a CSV file; re-running the same file changes nothing.

Every row is checked first, by the same rules as `panel participant register`. By default one
bad row means nothing is written; each bad row is reported with its line.

The file: UTF-8, commas between columns (a file using ';' or tabs is refused, with how to save
it), a first line naming the columns, then one sign-up per line. Column names are not case
sensitive, and spaces and hyphens in them read as _. Columns:

\b
  ref                 required: the application's reference, e.g. VES-001
                      (never an email or phone number; at most {limits.REFERENCE} characters)
  channel             online, phone, paper, in_person or partner_referral, any case
                      (blank: --channel)
  captured_by         the staff member who took it; needed for every channel but online
  registered_at       when they signed up, ISO 8601, e.g. 2026-01-10T09:30Z (blank: now)
  name, address       free text (at most {limits.PERSONAL_LIMITS["name"]} and
                      {limits.PERSONAL_LIMITS["address"]} characters)
  email               an email address
  phone               a UK number, e.g. 07700 900123, or + and a country code
  postcode            a UK postcode, e.g. LS6 1AA
  consent_contact, consent_panel_membership, consent_data_processing
                      the privacy notice version shown when that consent was given,
                      e.g. v3 (at most {limits.NOTICE_VERSION} characters); blank: not given
  consent_method      online, written or verbal (blank: online for online sign-ups,
                      written for paper and partner referrals, verbal otherwise)
  consent_at          when consent was given, ISO 8601 (blank: registered_at)
  any other column    a self-described attribute: lower-case letters, digits and _
                      (e.g. age_band, gender); values up to {limits.ATTRIBUTE_VALUE} characters; blank or
                      "prefer not to say" allowed; a number where an engagement's
                      eligibility rule compares it with >=, <=, > or <

\b
Example file:
  ref,channel,captured_by,name,email,phone,postcode,age_band,consent_contact,consent_panel_membership
  VES-001,online,,Sam Patel,sam@example.org,,LS6 1AA,18-21,v3,v3
  VES-002,Phone,amy,Bo Chen,,07700 900123,LS2 2BB,prefer not to say,v3,

The format in full, with how each field is checked and stored: docs/participants.md.

Example:

    panel participant import signups.csv --channel online
"""


@click.command("import", help=IMPORT_HELP)
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--channel",
    type=click.Choice(CHANNELS, case_sensitive=False),
    default="online",
    show_default=True,
    help="Channel for rows without a channel column.",
)
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Where the references come from; ids are stable per (source, ref).",
)
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and write the bad ones to a reject file.")
@pass_app
def import_command(app: PanelApp, file: Path, channel: str, source: str, skip_invalid: bool) -> None:
    with Progress(transient=True, console=None, disable=not stderr_is_terminal()) as bar:
        task = bar.add_task("Importing", total=None)
        report = import_csv(
            app,
            file,
            channel=channel,
            source=source,
            skip_invalid=skip_invalid,
            progress=lambda n: bar.advance(task, n),
        )
    for line, reason in report.rejected:
        err(f"{file}:{line}: {reason}")
    if report.rejected and not skip_invalid:
        raise ImportFileError(
            f"{file}: {len(report.rejected)} of {report.rows} rows are invalid, nothing was imported: "
            "fix them, or pass --skip-invalid to import the rest"
        )
    if report.rejected:
        rejects = write_rejects(file.with_suffix(".rejects.csv"), file, report.rejected)
        err(f"Wrote {len(report.rejected)} rejected rows to {rejects}")
    say(
        f"Imported {file}: {report.created} new, {report.unchanged} already present, "
        f"{len(report.rejected)} rejected, {report.events} events written"
    )
