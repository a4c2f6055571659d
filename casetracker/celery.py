import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings.dev")

app = Celery("casetracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="casetracker.ping")
def ping() -> str:
    """Round trip through the broker; CI uses it to prove a real worker is answering."""
    return "pong"
