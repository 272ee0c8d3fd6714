"""The e-mail worker: rq's worker on the mail queue, with the outbox sweep and the change feed's
numbering on its maintenance tick."""
import logging
import os

from flask import current_app
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from app.core.connections import redis_connection
from app.core.db import db
from app.feed.changes import sequence_committed
from app.notifications.delivery import sweep
from app.notifications.queue import mail_queue

log = logging.getLogger(__name__)
TICK_TASKS = "pws_worker_tick_tasks"


def sweep_job() -> dict:
    """rq job run by every worker each PWS_MAIL_SWEEP_SECONDS (see OutboxWorker). It also numbers
    the change feed's backlog, chunk by chunk, so the ERP's reads never have to, and queues the
    periodic e-mails the areas registered with :func:`on_tick` (the monthly indicators)."""
    result = sweep()
    numbered = sequence_committed()
    done = {name: task() for name, task in current_app.extensions.get(TICK_TASKS, {}).items()}
    return {"reclaimed": result.reclaimed, "delivered": result.delivered, "feed_numbered": numbered, **done}


def on_tick(app, name: str, task) -> None:
    """Run ``task()`` on every maintenance tick of the e-mail worker (an area's periodic e-mails,
    declared where they are made: no cron, and no import of that area here)."""
    app.extensions.setdefault(TICK_TASKS, {})[name] = task


class _SweepingMixin:
    """The sweeper rides on rq's maintenance tick: no rq-scheduler, no cron.

    rq runs maintenance at start-up and every ``maintenance_interval`` seconds (the worker's
    blocking wait is shortened to match); each tick enqueues one sweep job.
    """

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            self.queues[0].enqueue(sweep_job, job_timeout=300, result_ttl=600, ttl=300,
                                   description="varredura da fila de e-mails")
        except Exception:  # the next tick tries again
            log.exception("could not enqueue the outbox sweep")


class OutboxWorker(_SweepingMixin, Worker):
    """Forks a work horse per job (the production worker)."""


class OutboxSimpleWorker(_SweepingMixin, SimpleWorker):
    """Runs jobs in its own process (tests, and platforms without fork)."""


def build_worker(*, simple: bool = False) -> Worker:
    sweep_seconds = current_app.config["PWS_MAIL_SWEEP_SECONDS"]
    worker_class = OutboxSimpleWorker if simple else OutboxWorker
    if not simple:
        # A forked horse must not reuse the parent's database connections.
        engine = db.engine
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return worker_class(
        [mail_queue()], connection=redis_connection(), serializer=JSONSerializer,
        maintenance_interval=sweep_seconds,
        # rq blocks for worker_ttl - 15 s waiting for jobs: wake up at least every sweep.
        worker_ttl=sweep_seconds + 15,
    )
