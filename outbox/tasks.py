from celery import shared_task

from .services import outbox_flush


# Safe to run twice or side by side: each message is sent under its row's lock, once.
@shared_task(name="outbox.flush", acks_late=True, ignore_result=True)
def outbox_flush_task() -> int:
    """Every minute (beat): send what could not be handed to the broker when it was saved."""
    return outbox_flush()
