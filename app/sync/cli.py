"""``flask pws sync-token create|revoke|list``, ``flask pws purge-feed``, ``flask pws sync-agent``."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.core.db import db
from app.core.timefmt import format_datetime
from app.feed.changes import purge_feed
from app.sync import services


@click.group("sync-token", help="Tokens do sincronizador ILUX.")
def sync_token_cli():
    pass


@sync_token_cli.command("create")
@click.argument("name")
@with_appcontext
def create_command(name):
    """Create a token; the token alone is printed on the last line, once."""
    try:
        token, plain = services.create_token(name)
    except services.SyncError as problem:
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    click.echo(f"Token {token.name} criado. Guarde-o agora: ele não será mostrado de novo.")
    click.echo(plain)


@sync_token_cli.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name):
    token = services.token_named(name)
    if token is None:
        raise click.ClickException(f"Token {name} não encontrado.")
    services.revoke_token(token)
    db.session.commit()
    click.echo(f"Token {name} revogado.")


@sync_token_cli.command("list")
@with_appcontext
def list_command():
    for row in services.monitor_tokens():
        token = row["token"]
        status = "ativo" if token.active else f"revogado em {format_datetime(token.revoked_at)}"
        click.echo(f"{token.name}\t{status}\túltimo uso: {format_datetime(token.last_used_at) or '-'}"
                   f"\tpendentes: {row['pending']}")


@click.command("purge-feed")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Retenção em dias (padrão: PWS_SYNC_FEED_RETENTION_DAYS).")
@with_appcontext
def purge_feed_command(days):
    """Delete change-feed entries older than the retention (cursors before them get 410)."""
    days = days or current_app.config["PWS_SYNC_FEED_RETENTION_DAYS"]
    removed = purge_feed(days)
    click.echo(f"{removed} alteração(ões) com mais de {days} dias removida(s) do feed.")

