# One image for web, worker and beat (see docker-compose.yml).
# No secrets at build time: collectstatic needs SECRET_KEY (prod settings refuse to start
# without it), so it runs when the web container starts, not here.
FROM python:3.11-slim

# Settings find templates/, static/ and locale/ next to the casetracker package (BASE_DIR),
# and those are not installed into site-packages; importing the code from /app keeps
# BASE_DIR=/app. `pip install .` below still brings in the pinned dependencies.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=casetracker.settings.prod \
    PYTHONPATH=/app

RUN groupadd --system app && useradd --system --gid app --home-dir /app --no-create-home app

WORKDIR /app

# .dockerignore keeps .venv, db.sqlite3, uploads and .git out of the image.
COPY . .

RUN pip install . \
    && rm -rf build casetracker.egg-info \
    && mkdir -p /app/staticfiles /var/lib/casetracker/media \
    && chown app:app /app/staticfiles /var/lib/casetracker/media \
    && chmod 750 /var/lib/casetracker/media

USER app

EXPOSE 8000

CMD ["gunicorn", "casetracker.wsgi:application", "--bind", "0.0.0.0:8000"]
