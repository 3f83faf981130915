"""``flask --app wsgi imi …``: the system operator's commands."""

from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..extensions import db
from ..operator import OperatorError, add_module, bootstrap, parse_labelled


@click.group("imi", cls=AppGroup)
@with_appcontext
def imi_cli():
    """IMI access management: operator commands."""
    # Mail that a command queues is delivered in the command's own thread before it exits,
    # never by a background thread that the exit would kill mid-send (issue 15).
    deliverer = current_app.extensions["imi_outbox"]
    deliverer.foreground()
    click.get_current_context().call_on_close(deliverer.finish_foreground)


@contextmanager
def operator_transaction():
    """Commit what the block did; on an OperatorError roll it back and print its message."""
    try:
        yield
    except OperatorError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()


@imi_cli.command("bootstrap")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code, e.g. LV.")
@click.option("--country-name-lv", default=None, help="The country's name in Latvian (for a new country).")
@click.option("--country-name-en", default=None, help="The country's name in English (for a new country).")
@click.option("--authority-name", required=True, help="Official name of the national IMI coordinator.")
@click.option("--first-name", required=True)
@click.option("--surname", required=True)
@click.option("--email", required=True, help="The first administrator's e-mail (gets the temporary password).")
@click.option("--language", type=click.Choice(["lv", "en"]), default="lv", show_default=True)
def bootstrap_command(email, **options):
    """Create a country's NIMIC and its first administrator.

    Prints the username and the temporary password on this console only.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.ClickException(f"--email: {exc}") from exc
    # The options are named after bootstrap()'s parameters, so they pass through as they are.
    with operator_transaction():
        _authority, user, password = bootstrap(email=email, **options)
    click.echo(f"username: {user.username}")
    click.echo(f"temporary password: {password}")


@imi_cli.command("add-module")
@click.option("--code", required=True)
@click.option("--name-lv", required=True)
@click.option("--name-en", required=True)
@click.option("--information-request/--no-information-request", default=False, show_default=True)
@click.option("--linked-coordinator-required/--no-linked-coordinator-required", default=False, show_default=True)
@click.option("--classification", multiple=True, metavar="CODE=LV|EN", help="A classification entry; repeat.")
@click.option("--right", "rights", multiple=True, metavar="CODE=LV|EN", help="A user right; repeat.")
def add_module_command(classification, rights, **options):
    """Introduce a new module (R-4.1)."""
    with operator_transaction():
        module = add_module(
            classification=[parse_labelled(v) for v in classification],
            rights=[parse_labelled(v) for v in rights],
            **options,  # named after add_module()'s parameters
        )
    click.echo(
        f"module {module.code} added with {len(module.rights)} user rights"
        f" and {len(classification)} classification entries"
    )


@imi_cli.command("deliver-mail")
@click.option("--limit", default=1000, show_default=True)
def deliver_mail_command(limit):
    """Deliver the pending mail of the outbox (retries what failed before)."""
    from ..outbox import deliver_pending

    counts = deliver_pending(limit=limit)
    click.echo(f"{counts['sent']} sent, {counts['failed']} failed")


@imi_cli.command("run-jobs")
def run_jobs_command():
    """Run every scheduled job once (safe to run repeatedly and on several servers)."""
    from ..jobs import run_jobs

    for name, report in run_jobs():
        click.echo(f"{name}: {report}")


@imi_cli.command("purge-deactivated")
def purge_deactivated_command():
    """Delete the authorities deactivated long enough ago (R-5.3); print what was deleted.

    Safe to run repeatedly and on several servers at once.
    """
    from ..jobs import lease
    from ..purge import purge_deactivated

    with lease("purge-deactivated") as taken:
        if not taken:
            click.echo("skipped: running on another server")
            return
        deleted = purge_deactivated()
    for item in deleted:
        click.echo(str(item))
    click.echo(f"{len(deleted)} authorit{'y' if len(deleted) == 1 else 'ies'} deleted")


@imi_cli.command("demo")
def demo_command():
    """Load the demo data set (idempotent) and print the demo logins."""
    from ..demo import load_demo

    for line in load_demo():
        click.echo(line)
