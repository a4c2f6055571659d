"""What one anonymous reader does, for locust: the public list with filters, profiles, and the API.

Run through tests/load/run_load.py, which starts gunicorn on 127.0.0.1 and reads the results;
by hand: `locust --headless -f tests/load/locustfile.py --host http://127.0.0.1:8000 -u 6 -r 6 -t 20s`.
Only a 200 counts as a success: redirects are not followed, so a 302 or 304 is a failure too.
The people are whoever the API lists when the test starts (the demo's published people), so
no slug is written here and a draft is never asked for.
"""

import ipaddress
import json
import os
import random
import urllib.parse
import urllib.request

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

# Filters of the README's examples: released since June 2025 (the 21 June 2025 group), newest first.
RELEASED_SINCE = "status=released&released_after=2025-06-01"
PEOPLE: list[dict] = []
# Where to write the final figures for run_load.py, if set. Locust's --csv files are rewritten
# once a second and not at the end, so they can miss the last second's requests.
RESULTS_FILE = os.environ.get("LOAD_RESULTS_FILE")
_ENVIRONMENT = []


@events.init.add_listener
def remember_environment(environment, **kwargs):
    _ENVIRONMENT[:] = [environment]


@events.test_start.add_listener
def discover_people(environment, **kwargs):
    """Read the public people once, outside the statistics."""
    if not _is_loopback(environment.host):
        raise RuntimeError(f"refusing to load {environment.host}: only this machine's loopback is a target")
    url = f"{environment.host.rstrip('/')}/api/v1/prisoners/?page_size=500"
    with urllib.request.urlopen(url, timeout=30) as response:
        PEOPLE[:] = json.load(response)["results"]
    if not PEOPLE:
        raise RuntimeError("the API lists no people: was load_demo run on this database?")


def _is_loopback(host):
    hostname = urllib.parse.urlsplit(host).hostname or ""
    try:
        return hostname == "localhost" or ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class Reader(FastHttpUser):
    # No think time: each user asks again as soon as it is answered, so requests per second is
    # the throughput at this many concurrent readers and the percentiles include the queueing.
    wait_time = constant(0)

    def on_start(self):
        if not PEOPLE:
            raise StopUser()

    def _get(self, path, name, check=None):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif check is not None and (problem := check(response)):
                response.failure(problem)

    @staticmethod
    def _html(response):
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            return f"content type {response.headers.get('Content-Type')!r}"
        return None

    @task(1)
    def public_list(self):
        self._get("/prisoners/", "/prisoners/", self._html)

    @task(2)
    def public_list_released(self):
        self._get(f"/prisoners/?{RELEASED_SINCE}&sort=-released", "/prisoners/?status&released_after&sort", self._html)

    @task(1)
    def public_list_name_search(self):
        # One word of a listed person's name, as a reader types it: the name search path.
        word = random.choice(PEOPLE)["slug"].split("-")[-1]
        self._get(f"/prisoners/?q={word}", "/prisoners/?q", self._html)

    @task(3)
    def profile(self):
        self._get(f"/prisoners/{random.choice(PEOPLE)['slug']}/", "/prisoners/<slug>/", self._html)

    @task(1)
    def api_list(self):
        self._get("/api/v1/prisoners/", "/api/v1/prisoners/", _json_results)

    @task(2)
    def api_list_released(self):
        self._get(f"/api/v1/prisoners/?{RELEASED_SINCE}", "/api/v1/prisoners/?status&released_after", _json_results)

    @task(3)
    def api_detail(self):
        slug = random.choice(PEOPLE)["slug"]
        self._get(f"/api/v1/prisoners/{slug}/", "/api/v1/prisoners/<slug>/", lambda r: _json_slug(r, slug))


def _json_results(response):
    try:
        results = response.json()["results"]
    except (ValueError, KeyError, TypeError) as error:
        return f"not a page of results: {error!r}"
    return None if results else "an empty page"


def _json_slug(response, slug):
    try:
        found = response.json()["slug"]
    except (ValueError, KeyError, TypeError) as error:
        return f"not a person: {error!r}"
    return None if found == slug else f"asked for {slug}, got {found}"


@events.quit.add_listener
def write_results(exit_code, **kwargs):
    """The final statistics, as locust computes them, per endpoint and in total."""
    if not RESULTS_FILE or not _ENVIRONMENT:
        return
    stats = _ENVIRONMENT[0].stats
    entries = [*sorted(stats.entries.values(), key=lambda entry: entry.name), stats.total]
    results = {
        "rows": [
            {
                "name": "total" if entry is stats.total else entry.name,
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "rps": entry.total_rps,
                "p50": entry.get_response_time_percentile(0.5),
                "p95": entry.get_response_time_percentile(0.95),
            }
            for entry in entries
        ],
        "errors": [
            {"name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
        "exit_code": exit_code,
    }
    with open(RESULTS_FILE, "w") as file:
        json.dump(results, file, indent=2)
