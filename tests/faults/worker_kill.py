"""A Celery worker is killed (SIGKILL) in the middle of a fetch: the fetch is done again, and finished once.

This script's own PostgreSQL, Redis and workers, and an article on 127.0.0.1 that takes a few
seconds to answer, so the fetch task is caught mid-run:

1. the worker's pool process is killed (what the OOM killer does): its task was acknowledged
   late and rejected on the lost process (CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST),
   so the same worker runs it again at once;
2. the whole worker is killed, main process and pool together (a lost machine or container):
   nothing acknowledged the task, and a new worker takes it once Redis's visibility timeout
   (shortened here to a few seconds with CELERY_VISIBILITY_TIMEOUT) has passed.

Each source must end fetched, with one snapshot and two runs (the killed one and the one that
finished), and the workers' logs must show one finished fetch per source, also after a further
visibility timeout.

    .venv/bin/python tests/faults/worker_kill.py --short
"""

from __future__ import annotations

import os
import signal
import time
from functools import partial

import harness
from harness import HOST, Article, check, log

ARTICLE_DELAY = 2.0  # seconds the article takes to answer: the task is killed meanwhile
# Longer than a fetch takes (a running task would be handed out a second time) and short
# enough to wait for. Production keeps the default hour.
VISIBILITY_TIMEOUT = 5


def fetch_killed(user, port: int, path: str, kill) -> tuple[int, float]:
    """Save a source, kill its fetch once it has reached the article, wait until it is done; (source id, seconds)."""
    source = harness.source_save(user, f"http://{HOST}:{port}{path}")
    harness.wait_until(lambda: Article.hits[path] >= 1, timeout=20, what="the fetch to reach the article")
    killed = time.monotonic()
    kill()
    harness.wait_until(
        lambda: harness.source_state(source.pk)["state"] == "done",
        timeout=45,
        interval=0.2,
        what="the killed fetch to be done again",
    )
    return source.pk, time.monotonic() - killed


def main(args, workdir, stack) -> None:
    postgres = harness.Postgres(workdir)
    postgres.init()
    stack.callback(postgres.shutdown)
    redis = harness.Redis(workdir)
    redis.start()
    stack.callback(redis.stop)
    server = harness.article_server()
    stack.callback(server.shutdown)
    Article.delay = ARTICLE_DELAY
    port = server.server_address[1]
    env = harness.app_env(
        postgres,
        workdir,
        redis=redis,
        FAULT_ARTICLE_PORT=port,
        CELERY_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
        LOG_LEVEL="INFO",
    )
    harness.migrate(env)
    harness.django_setup(env)
    user = harness.researcher()
    log("cluster, Redis and schema ready")

    rounds = 1 if args.short else 3
    first = harness.worker("worker0", env, workdir)
    stack.callback(first.stop)
    workers = [first]
    killed = []  # (what, source id, article path, seconds from the kill until done)
    for number in range(rounds):
        current = workers[-1]
        children = harness.wait_until(current.children, timeout=10, what="the worker's pool process")
        path = f"/pool-process-killed-{number}"
        source_id, seconds = fetch_killed(user, port, path, partial(os.kill, children[0], signal.SIGKILL))
        killed.append(("pool process killed", source_id, path, seconds))
        check(current.alive(), "the worker did not survive losing its pool process")

        def kill_worker(current=current):
            current.kill()
            name = f"worker{len(workers)}"
            replacement = harness.Service(name, harness.worker_command(name), env, workdir)
            stack.callback(replacement.stop)
            workers.append(replacement)

        path = f"/worker-killed-{number}"
        source_id, seconds = fetch_killed(user, port, path, kill_worker)
        killed.append(("whole worker killed, a new one started", source_id, path, seconds))

    time.sleep(VISIBILITY_TIMEOUT + 2)  # long enough for a second delivery of any of them to show
    finished = harness.succeeded(workers, "sources.source_fetch")
    for what, source_id, path, seconds in killed:
        state = harness.source_state(source_id)
        log(
            f"{what}: done {seconds:.1f} s after the kill; fetch runs {state['attempts']}, "
            f"article requests {Article.hits[path]}, snapshots {state['snapshots']}"
        )
        check(state["state"] == "done" and state["snapshots"] == 1, f"{what}: {state}")
        check(state["attempts"] == 2, f"{what}: the fetch ran {state['attempts']} times, not twice")
    log(f"fetch tasks finished in the workers' logs: {finished} for {len(killed)} killed fetches")
    check(finished == len(killed), f"{finished} fetches finished for {len(killed)} sources")
    log(f"visibility timeout {VISIBILITY_TIMEOUT} s; the article answers in {ARTICLE_DELAY:g} s")


if __name__ == "__main__":
    harness.run(main, description=__doc__)
