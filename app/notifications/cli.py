"""``flask pws worker``, ``flask pws sweep-outbox``, ``flask pws purge-outbox`` and
``flask pws email-audience``."""
import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Processa o que está na fila e termina.")
@with_appcontext
def worker_command(burst):
    """rq worker for e-mail, with rq's scheduler (retries) and the outbox sweeper every minute."""
    if not current_app.config["REDIS_URL"]:
        raise click.ClickException(
            "REDIS_URL não configurado: sem Redis os e-mails são enviados no próprio processo "
            "(use 'flask pws sweep-outbox' para reenviar pendentes)."
        )
    from app.notifications.worker import build_worker

    build_worker().work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.command("sweep-outbox")
@with_appcontext
def sweep_outbox_command():
    """Reclaim stuck e-mails and deliver every due pending one (the worker does this each minute)."""
    from app.notifications.delivery import sweep

    result = sweep()
    click.echo(f"E-mails retomados: {result.reclaimed}; entregues à fila ou enviados: {result.delivered}")


@click.command("purge-outbox")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retenção em dias (padrão: PWS_OUTBOX_RETENTION_DAYS).")
@with_appcontext
def purge_outbox_command(days):
    """Drop the bodies of e-mails sent more than the retention ago, keeping their metadata; run it daily."""
    from app.notifications.retention import drop_sent_bodies

    days = days or current_app.config["PWS_OUTBOX_RETENTION_DAYS"]
    dropped = drop_sent_bodies(days)
    click.echo(f"{dropped} e-mail(s) enviado(s) há mais de {days} dias sem o texto (dados do envio mantidos).")


@click.command("email-audience")
def email_audience_command():
    """The table of who receives each e-mail kind (docs/email.md), from the code."""
    from app.notifications.audience_table import audience_markdown

    click.echo(audience_markdown(), nl=False)
