"""PostgreSQL restarts under traffic: every acknowledged write survives, and the site recovers by itself.

A researcher adds status events through the real admin add form while anonymous readers load
the public list and a profile, all against gunicorn (this script's own, on 127.0.0.1) and this
script's own PostgreSQL cluster. PostgreSQL is stopped (cleanly, then as in a crash) and started
again while that traffic runs. Afterwards every write the client saw acknowledged (302 after the
POST) must be in the database, no request sent after PostgreSQL was back may fail, and the time
until the site answered again is printed. gunicorn is never restarted (its worker pids are kept).

    .venv/bin/python tests/faults/pg_restart.py --short
"""

from __future__ import annotations

import html.parser
import threading
import time
import uuid
from dataclasses import dataclass, field

import harness
import httpx
from harness import HOST, VENV_BIN, check, log

# Once PostgreSQL accepts connections again, the site must answer within this long.
RECOVERY_LIMIT = 5.0
PASSWORD = "fault-script-password"  # noqa: S105 - a throwaway account in a throwaway cluster
MAX_REQUESTS = 20_000


class FormFields(html.parser.HTMLParser):
    """Every field of the admin form as the browser would send it untouched."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("checkbox", "radio", "file", "button"):
            self.values.setdefault(name, attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


@dataclass
class Request:
    kind: str
    started: float
    ended: float
    ok: bool
    detail: str
    marker: str = ""


@dataclass
class Traffic:
    """Readers and one writer, one request at a time, until told to stop (bounded in count and time)."""

    base: str
    profile: str
    person_id: int
    form: dict
    run_id: str
    limit_seconds: float
    requests: list[Request] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    # Set by the script to hold the traffic; `idle` says no request is in flight meanwhile.
    hold: threading.Event = field(default_factory=threading.Event)
    idle: threading.Event = field(default_factory=threading.Event)

    def login(self, client: httpx.Client) -> None:
        client.get("/admin/login/")
        response = client.post(
            "/admin/login/",
            data={
                "username": "fault-researcher",
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
                "next": "/admin/",
            },
        )
        check(response.status_code == 302, f"the researcher could not log in ({response.status_code})")

    def run(self) -> None:
        deadline = time.monotonic() + self.limit_seconds
        with httpx.Client(base_url=self.base, timeout=5.0) as client:
            self.login(client)
            for number in range(MAX_REQUESTS):
                if self.stop.is_set() or time.monotonic() > deadline:
                    break
                while self.hold.is_set() and not self.stop.is_set() and time.monotonic() < deadline:
                    self.idle.set()
                    time.sleep(0.01)
                self.idle.clear()
                kind = ("list", "profile", "write")[number % 3]
                self.requests.append(self.one(client, kind, number))
                time.sleep(0.02)

    def one(self, client: httpx.Client, kind: str, number: int) -> Request:
        started = time.monotonic()
        marker = ""
        try:
            if kind == "list":
                response = client.get("/prisoners/")
                ok = response.status_code == 200
            elif kind == "profile":
                response = client.get(self.profile)
                ok = response.status_code == 200 and b"<h1" in response.content
            else:
                marker = f"fault-{self.run_id}-{number}"
                data = {**self.form, "note": marker, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
                response = client.post("/admin/prisoners/statusevent/add/", data=data)
                # Acknowledged: the admin saved it and sends the researcher on to the list.
                ok = response.status_code == 302 and "/admin/prisoners/statusevent/" in response.headers["location"]
            detail = str(response.status_code)
        except httpx.HTTPError as error:
            ok, detail = False, type(error).__name__
        return Request(kind, started, time.monotonic(), ok, detail, marker)


def prepare_data() -> tuple[str, int]:
    """Demo people to read, a draft person to write on, and a researcher; returns (profile path, person id)."""
    from django.contrib.auth.models import Group, User
    from django.db import connections

    from prisoners.demo import load_demo
    from prisoners.models import Person
    from prisoners.roles import SYSTEM
    from prisoners.services import record_save

    load_demo()
    profile = Person.objects.public().order_by("pk").first()
    check(profile is not None, "the demo data has no public person")
    draft = record_save(acting_user=SYSTEM, obj=Person(display_name="Fault Test Person"), reason="fault script")
    user = User.objects.create_user("fault-researcher", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Researcher"))
    path = profile.get_absolute_url()
    connections.close_all()
    return path, draft.pk


def gunicorn_workers(master: harness.Service) -> set[int]:
    return set(master.children())


def main(args, workdir, stack) -> None:
    postgres = harness.Postgres(workdir)
    postgres.init()
    stack.callback(postgres.shutdown)
    env = harness.app_env(postgres, workdir)  # no broker: this script is about the database
    log("cluster up")
    harness.migrate(env)
    log("migrated")
    harness.django_setup(env)
    profile, person_id = prepare_data()
    postgres.checkpoint()
    log("cluster, schema and demo data ready")

    port = harness.free_port()
    gunicorn = harness.Service(
        "gunicorn",
        [
            str(VENV_BIN / "gunicorn"),
            "casetracker.wsgi:application",
            f"--bind={HOST}:{port}",
            "--workers=2",
            "--timeout=30",
            "--graceful-timeout=5",
            "--preload",
        ],
        env,
        workdir,
    )
    stack.callback(gunicorn.stop)
    base = f"http://{HOST}:{port}"
    harness.wait_until(
        lambda: _answers(f"{base}/prisoners/"), timeout=30, interval=0.3, what="gunicorn to serve /prisoners/"
    )
    workers_before = gunicorn_workers(gunicorn)
    log("gunicorn answers")

    with httpx.Client(base_url=base, timeout=5.0) as client:
        probe = Traffic(base, profile, person_id, {}, "", 0)
        probe.login(client)
        parser = FormFields()
        parser.feed(client.get("/admin/prisoners/statusevent/add/").text)
    form = {**parser.values, "person": str(person_id), "date": "2025-06-21", "status": "detained", "_save": "Save"}
    # Every write is the same event on purpose; told so, the form records each instead of
    # offering the first one as already recorded (prisoners.corroboration).
    form["repeat_choice"] = "separate"
    form.pop("_addanother", None)
    form.pop("_continue", None)

    # "quiet": no request while PostgreSQL restarts, so each gunicorn worker still holds a connection
    # from before it; the next request must check it (CONN_HEALTH_CHECKS) rather than fail on it.
    rounds = (
        ["fast", "immediate", "quiet"] if args.short else ["fast", "immediate", "quiet", "immediate", "fast", "quiet"]
    )
    outage, settle = (2.0, 2.5) if args.short else (5.0, 5.0)
    traffic = Traffic(base, profile, person_id, form, uuid.uuid4().hex[:8], limit_seconds=60 + 20 * len(rounds))
    thread = threading.Thread(target=traffic.run, daemon=True)
    thread.start()
    time.sleep(settle)
    windows = []
    for mode in rounds:
        quiet = mode == "quiet"
        if quiet:
            traffic.hold.set()
            check(traffic.idle.wait(10), "the traffic did not pause")
        stopping = time.monotonic()
        postgres.stop("fast" if quiet else mode)
        stopped = time.monotonic()
        time.sleep(0.5 if quiet else outage)
        postgres.start()
        back = time.monotonic()
        traffic.hold.clear()
        windows.append((mode, stopping, stopped, back))
        log(f"PostgreSQL stopped ({mode}) for {back - stopped:.1f} s")
        time.sleep(settle)
    traffic.stop.set()
    thread.join(15)
    check(not thread.is_alive(), "the traffic loop did not stop")

    requests = traffic.requests
    answered = sorted(r.ended - r.started for r in requests if r.ok)
    if answered:
        log(f"answered requests took {answered[len(answered) // 2] * 1000:.0f} ms (median)")
    log(f"{len(requests)} requests: {sum(r.ok for r in requests)} answered, {sum(not r.ok for r in requests)} failed")
    recoveries = []
    ends = [window[1] for window in windows[1:]] + [float("inf")]
    for (mode, stopping, _stopped, back), next_stop in zip(windows, ends, strict=True):
        failed_in_outage = [r for r in requests if stopping <= r.started < back and not r.ok]
        after = [r for r in requests if back <= r.started and r.ended < next_stop]
        check(after, f"no request was sent after the {mode} restart")
        first_ok = next((r for r in after if r.ok), None)
        check(first_ok is not None, f"the site did not answer again after the {mode} restart")
        recovery = first_ok.ended - back
        recoveries.append(recovery)
        failed_after = [r for r in after if not r.ok]
        log(
            f"{mode} restart: {len(failed_in_outage)} requests failed while PostgreSQL was down; "
            f"site answered {recovery:.2f} s after PostgreSQL was back; {len(failed_after)} failed after that"
        )
        check(recovery <= RECOVERY_LIMIT, f"the site took {recovery:.1f} s to answer after the {mode} restart")
        check(
            not failed_after,
            f"requests failed after PostgreSQL was back ({mode}): "
            + ", ".join(f"{r.kind} {r.detail}" for r in failed_after[:5]),
        )

    from django.db import connections

    from prisoners.models import StatusEvent

    connections.close_all()  # this script's own connection died with the restarts
    acknowledged = {r.marker for r in requests if r.kind == "write" and r.ok}
    attempted = [r.marker for r in requests if r.kind == "write"]
    saved = list(
        StatusEvent.objects.filter(person_id=person_id, note__startswith=f"fault-{traffic.run_id}-").values_list(
            "note", flat=True
        )
    )
    lost = acknowledged - set(saved)
    log(
        f"writes: {len(attempted)} sent, {len(acknowledged)} acknowledged, {len(saved)} in the database, "
        f"{len(lost)} acknowledged but missing, {len(set(saved) - acknowledged)} saved without an acknowledgement"
    )
    check(len(acknowledged) >= 5, "too few writes were acknowledged to say anything")
    check(not lost, f"acknowledged writes are missing: {sorted(lost)[:5]}")
    check(len(saved) == len(set(saved)), "a write was saved twice")
    workers_after = gunicorn_workers(gunicorn)
    log(f"gunicorn workers replaced: {len(workers_before - workers_after)} of {len(workers_before)}")
    check(workers_before == workers_after, "gunicorn had to replace workers to recover")
    log(f"recovery after PostgreSQL was back: worst {max(recoveries):.2f} s (limit {RECOVERY_LIMIT:g} s)")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    harness.run(main, description=__doc__)
