"""rq plumbing for e-mail: the queue (JSON serializer only) and the sending jobs (the worker that
runs them and the sweep: app.notifications.worker).

Redis is never trusted with pickles: every queue and worker here uses rq's JSONSerializer, and
jobs carry nothing but an outbox id.
"""
import logging

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.serializers import JSONSerializer

from app.core.connections import redis_connection
from app.notifications.sending import send_message

log = logging.getLogger(__name__)
JOB_TIMEOUT_MARGIN = 60
QUEUED_JOB_TTL = 24 * 3600  # a job never picked up expires; its row is still swept


def mail_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["PWS_MAIL_QUEUE"], connection=connection or redis_connection(),
                 serializer=JSONSerializer)


def enqueue_messages(ids: list[int]) -> None:
    """One job per outbox row, retried with the configured backoff on temporary failures."""
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
