"""Delivery of outbox rows after commit (rq with REDIS_URL, in-process otherwise)."""


def deliver_after_commit(ids: list[int]) -> None:
    """Hand the committed outbox rows to the sender."""
