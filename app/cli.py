"""``flask pws …``: set-up, demo data, tokens and workers."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.notifications.cli import (email_audience_command, purge_outbox_command, sweep_outbox_command,
                                   worker_command)
from app.sync.agent import main as sync_agent_command
from app.sync.cli import purge_feed_command, sync_token_cli


@click.group("pws", help="Comandos do PWS.")
def pws_cli():
    pass


@pws_cli.command("init")
@click.option("--no-migrate", is_flag=True, help="Não roda as migrações (banco já criado).")
@with_appcontext
def init_command(no_migrate):
    """Migrate the schema and seed roles and permissions (safe to run again)."""
    from app.accounts.seeding import sync_roles

    if not no_migrate:
        upgrade()
    sync_roles(current_app.appbuilder)
    click.echo("Perfis e permissões atualizados.")


@pws_cli.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Administrador")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_admin_command(email, name, password):
    """Create an Admin Revenda user."""
    from app.accounts.services import create_user
    from app.accounts.roles import ADMIN

    create_user(email=email, name=name, password=password, profile=ADMIN)
    click.echo(f"Admin Revenda criado: {email}")


@pws_cli.command("demo")
@click.option("--scale", default="small", help="small (padrão), medium, large ou um número de chamados.")
@click.option("--if-empty", is_flag=True, help="Só carrega quando o banco não tem empresas.")
@with_appcontext
def demo_command(scale, if_empty):
    """Load realistic demo data and print the demo logins once."""
    from app.demo import load_demo

    load_demo(scale=scale, if_empty=if_empty, echo=click.echo)


@pws_cli.command("rebuild-indicators")
@click.option("--batch", default=5000, show_default=True, help="Chamados por transação.")
@with_appcontext
def rebuild_indicators_command(batch):
    """Recompute every call's SLA outcome and the monthly and weekly sums (history, bulk loads)."""
    from app.indicators import outcomes
    from app.core.db import db, refresh_statistics

    done = outcomes.rebuild(db.session, batch=max(batch, 1),
                            report=lambda n: click.echo(f"{n} chamados", err=True))
    refresh_statistics(db.session)
    click.echo(f"Indicadores refeitos: {done} chamados.")


@pws_cli.command("refresh-statistics")
@with_appcontext
def refresh_statistics_command():
    """Refresh MariaDB's index statistics after a bulk load (an ERP's first sync, an import)."""
    from app.core.db import db, refresh_statistics

    if refresh_statistics(db.session):
        click.echo("Estatísticas dos índices atualizadas.")
    else:
        click.echo("Nada a fazer: só o MariaDB guarda estatísticas que precisem ser atualizadas.")


@pws_cli.command("roles")
@with_appcontext
def roles_command():
    """Print each profile and function with the resources it may read or write."""
    from app.accounts.roles import FUNCTIONS, PROFILES

    for name, grants in [(p.name, p.grants) for p in PROFILES] + list(FUNCTIONS.items()):
        click.echo(name)
        for resource, perms in sorted(grants.items()):
            click.echo(f"  {resource}: {', '.join(perms)}")


@pws_cli.command("purge-gps")
@click.option("--days", type=int, default=None, help="Retenção em dias (padrão: PWS_GPS_RETENTION_DAYS).")
@with_appcontext
def purge_gps_command(days):
    """Delete GPS data older than the retention (LGPD); run it daily."""
    from app.field.services import purge_gps

    result = purge_gps(days=days)
    click.echo(f"GPS anterior a {result['cutoff']:%d/%m/%Y %H:%M} UTC apagado: {result['points']} pontos, "
               f"{result['positions']} últimas posições, {result['events']} posições de eventos.")


@pws_cli.command("purge-idempotency")
@with_appcontext
def purge_idempotency_command():
    """Drop the form tokens past their repeat window (24 h); run it daily."""
    from app.core.idempotency import KEPT_HOURS, purge

    click.echo(f"Chaves de envio com mais de {KEPT_HOURS} h apagadas: {purge()}.")


pws_cli.add_command(worker_command)
pws_cli.add_command(sweep_outbox_command)
pws_cli.add_command(purge_outbox_command)
pws_cli.add_command(email_audience_command)
pws_cli.add_command(sync_token_cli)
pws_cli.add_command(purge_feed_command)
pws_cli.add_command(sync_agent_command)
