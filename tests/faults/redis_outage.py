"""Redis stops while a researcher saves a source: the save succeeds, and the fetch runs once Redis is back.

This script's own PostgreSQL, Redis, Celery worker and beat (the outbox flush every 2 s), and an
article served on 127.0.0.1. With Redis stopped, a researcher saves a source as "Add from article"
does: the save must succeed at once with the fetch recorded as queued (the outbox row). Redis then
starts again, empty (nothing was kept on disk): beat's flush hands the fetch to the worker, which
must fetch the article exactly once (the article server's count, the source's fetch_attempts and
its snapshots), and keep doing so for a few more flushes.

    .venv/bin/python tests/faults/redis_outage.py --short
"""

from __future__ import annotations

import time

import harness
from harness import HOST, VENV_BIN, Article, check, log

FLUSH_SECONDS = 2
SAVE_LIMIT = 3.0  # seconds a save may take while Redis is down


def main(args, workdir, stack) -> None:
    postgres = harness.Postgres(workdir)
    postgres.init()
    stack.callback(postgres.shutdown)
    redis = harness.Redis(workdir)
    redis.start()
    stack.callback(redis.stop)
    server = harness.article_server()
    stack.callback(server.shutdown)
    port = server.server_address[1]
    env = harness.app_env(
        postgres, workdir, redis=redis, FAULT_ARTICLE_PORT=port, OUTBOX_FLUSH_SECONDS=FLUSH_SECONDS, LOG_LEVEL="INFO"
    )
    harness.migrate(env)
    harness.django_setup(env)
    user = harness.researcher()
    log("cluster, Redis and schema ready")

    worker = harness.worker("worker", env, workdir)
    stack.callback(worker.stop)
    beat_command = [str(VENV_BIN / "celery"), "-A", "casetracker", "beat", "--loglevel=INFO"]
    beat = harness.Service("beat", [*beat_command, f"--schedule={workdir / 'beat-schedule'}"], env, workdir)
    stack.callback(beat.stop)
    beat.wait_for_log("beat: Starting...", timeout=30)
    services = [worker]

    # With Redis up, the fetch is sent on commit and done within seconds.
    before = harness.source_save(user, f"http://{HOST}:{port}/with-redis")
    harness.wait_until(lambda: harness.source_state(before.pk)["state"] == "done", timeout=30, what="the first fetch")
    log("with Redis up: saved and fetched")

    outages = 1 if args.short else 3
    for outage in range(outages):
        path = f"/saved-while-redis-was-down-{outage}"
        redis.stop()
        down = time.monotonic()
        started = time.monotonic()
        source = harness.source_save(user, f"http://{HOST}:{port}{path}")
        took = time.monotonic() - started
        state = harness.source_state(source.pk)
        log(f"Redis down: the save took {took:.2f} s; source {source.pk} is {state['state']}, outbox {state['outbox']}")
        check(took < SAVE_LIMIT, f"the save took {took:.1f} s while Redis was down")
        check(state["state"] == "queued", f"the source is {state['state']}, not queued")
        check(state["outbox"] and not state["outbox"][0][0], "the queued fetch was not kept in the outbox")
        time.sleep(FLUSH_SECONDS * 1.5)  # beat tries to flush meanwhile, and cannot

        redis.start()
        back = time.monotonic()
        log(f"Redis back after {back - down:.1f} s, empty")
        harness.wait_until(
            lambda source=source: harness.source_state(source.pk)["state"] == "done",
            timeout=45,
            interval=0.2,
            what="the fetch saved while Redis was down",
        )
        fetched = time.monotonic() - back
        time.sleep(FLUSH_SECONDS * 3)  # more flushes, to catch a second send
        state = harness.source_state(source.pk)
        log(
            f"fetched {fetched:.1f} s after Redis was back; article requests {Article.hits[path]}, "
            f"fetch runs {state['attempts']}, snapshots {state['snapshots']}, outbox {state['outbox']}"
        )
        check(Article.hits[path] == 1, f"the article was fetched {Article.hits[path]} times")
        check(state["attempts"] == 1, f"the fetch ran {state['attempts']} times")
        check(state["snapshots"] == 1, f"{state['snapshots']} snapshots were kept")
        check(len(state["outbox"]) == 1 and state["outbox"][0][0], "the outbox row is not marked sent")

    runs = harness.succeeded(services, "sources.source_fetch")
    log(f"fetch tasks finished on the worker: {runs} (sources saved: {1 + outages})")
    check(runs == 1 + outages, f"the worker finished {runs} fetches for {1 + outages} sources")
    check(worker.alive() and beat.alive(), "the worker or beat did not survive the outage")


if __name__ == "__main__":
    harness.run(main, description=__doc__)
