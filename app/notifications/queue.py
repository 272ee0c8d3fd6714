"""rq plumbing for e-mail: the queue (JSON serializer only), the jobs and the worker.

Redis is never trusted with pickles: every queue and worker here uses rq's JSONSerializer, and
jobs carry nothing but an outbox id.
"""
import logging
import os

from flask import current_app
from redis import Redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.serializers import JSONSerializer

from app.core.db import db

log = logging.getLogger(__name__)
JOB_TIMEOUT_MARGIN = 60
QUEUED_JOB_TTL = 24 * 3600  # a job never picked up expires; its row is still swept


def redis_connection() -> Redis:
    """One connection pool per app; short timeouts so a dead Redis never blocks a request."""
    state = current_app.extensions.setdefault("pws_redis", {})
    url = current_app.config["REDIS_URL"]
    if state.get("url") != url:
        state["url"] = url
        state["connection"] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return state["connection"]


def mail_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["PWS_MAIL_QUEUE"], connection=connection or redis_connection(),
                 serializer=JSONSerializer)


def enqueue_messages(ids: list[int]) -> None:
    """One job per outbox row, retried with the configured backoff on temporary failures."""
    from app.notifications.sending import send_message

    config = current_app.config
    delays = list(config["PWS_MAIL_RETRY_DELAYS"])
    queue = mail_queue()
    with queue.connection.pipeline() as pipeline:
        for message_id in ids:
            queue.enqueue(
                send_message, int(message_id),
                retry=Retry(max=len(delays), interval=delays),
                job_timeout=config["PWS_MAIL_TIMEOUT"] * 3 + JOB_TIMEOUT_MARGIN,
                ttl=QUEUED_JOB_TTL, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                description=f"e-mail {message_id}", pipeline=pipeline,
            )
        pipeline.execute()


def sweep_job() -> dict:
    """rq job run by every worker each PWS_MAIL_SWEEP_SECONDS (see OutboxWorker)."""
    from app.notifications.delivery import sweep

    result = sweep()
    return {"reclaimed": result.reclaimed, "delivered": result.delivered}


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
