"""rq plumbing for e-mail: the queue (JSON serializer only) and the sending jobs (the worker that
runs them and the sweep: app.notifications.worker).

Redis is never trusted with pickles: every queue and worker here uses rq's JSONSerializer, and
jobs carry nothing but an outbox id.
"""
import logging

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from app.core.connections import redis_connection
from app.notifications.sending import send_message

log = logging.getLogger(__name__)
JOB_TIMEOUT_MARGIN = 60
QUEUED_JOB_TTL = 24 * 3600  # a job never picked up expires; its row is still swept


def mail_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["PWS_MAIL_QUEUE"], connection=connection or redis_connection(),
                 serializer=JSONSerializer)


# A row's job still waiting in the queue: the sweeper leaves the row alone. A "started" job
# does not count (a running job holds its row in "sending": a pending row whose job says
# "started" lost its worker), nor one scheduled for an rq retry (the row's next_attempt_at is
# the authority: when it is due the row is queued once more, and its job id is then queued).
IN_FLIGHT = frozenset({JobStatus.QUEUED, JobStatus.DEFERRED})


def job_id(queue: Queue, message_id: int) -> str:
    """One job id per outbox row and queue: a row is never queued twice at once."""
    return f"{queue.name}-outbox-{int(message_id)}"


def without_jobs_in_flight(ids: list[int]) -> list[int]:
    """The rows among ``ids`` that have no job waiting in the queue (their job finished, failed,
    expired, lost its worker, waits for a retry, or was never made): what the sweeper may queue."""
    queue = mail_queue()
    jobs = Job.fetch_many([job_id(queue, pk) for pk in ids], connection=queue.connection,
                          serializer=JSONSerializer)
    return [pk for pk, job in zip(ids, jobs) if job is None or job.get_status(refresh=False) not in IN_FLIGHT]


def enqueue_messages(ids: list[int]) -> None:
    """One job per outbox row, retried with the configured backoff on temporary failures."""
    config = current_app.config
    delays = list(config["PWS_MAIL_RETRY_DELAYS"])
    queue = mail_queue()
    with queue.connection.pipeline() as pipeline:
        for message_id in ids:
            queue.enqueue(
                send_message, int(message_id), job_id=job_id(queue, message_id),
                retry=Retry(max=len(delays), interval=delays),
                job_timeout=config["PWS_MAIL_TIMEOUT"] * 3 + JOB_TIMEOUT_MARGIN,
                ttl=QUEUED_JOB_TTL, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                description=f"e-mail {message_id}", pipeline=pipeline,
            )
        pipeline.execute()
