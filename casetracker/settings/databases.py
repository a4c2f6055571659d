"""DATABASES (the primary and an optional read replica) and their router, the same in every settings module."""

from .env import env

PRIMARY = "default"
REPLICA = "replica"
ROUTER = "casetracker.db_router.PrimaryReplicaRouter"
PUBLIC_READ_MIDDLEWARE = "casetracker.db_router.PublicReadMiddleware"

# Name search asks PostgreSQL for every variant sharing at least this share of trigrams with
# a typed word (pg_trgm's `%>`, served by a GIN index), then ranks them in Python. Low, so
# the candidates are a superset of what the ranking accepts.
TRIGRAM_WORD_SIMILARITY = 0.5
# Session settings of every PostgreSQL connection the app opens (libpq's `options`).
# jit=off: PostgreSQL's JIT compiles any plan whose estimated cost passes jit_above_cost, and
# does it again on every request, since nothing caches the compiled code between statements.
# Our expensive plans are the counts and lists readers ask for all day: at 100,000 people JIT
# cost more than it saved (issue 13: home page 708 -> 381 ms, the stats of one day 33 -> 13.8 s,
# the sitemap 20.7 -> 14.4 s with it off). Per connection rather than in postgresql.conf, so the
# app behaves the same on any server, and an analyst's session can still turn it on.
POSTGRES_SESSION_OPTIONS = f"-c jit=off -c pg_trgm.word_similarity_threshold={TRIGRAM_WORD_SIMILARITY}"


def connection_settings(url: str) -> dict:
    """One alias's settings from its URL: our session options on PostgreSQL, connections reused and checked."""
    config = env.db_url_config(url)
    if config.get("ENGINE", "").endswith("postgresql"):
        config.setdefault("OPTIONS", {})["options"] = POSTGRES_SESSION_OPTIONS
    # Connections are reused for a minute and checked before each request reuses one, so after a
    # PostgreSQL restart the next request reconnects instead of failing on a dead connection.
    config.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    config["CONN_HEALTH_CHECKS"] = True
    return config


def databases(primary_url: str, replica_url: str = "") -> dict:
    """The primary, plus the read replica (casetracker/db_router.py) when replica_url is given."""
    configured = {PRIMARY: connection_settings(primary_url)}
    if replica_url:
        # A test run has no replica of its test database: there the alias reads the primary's
        # test database (tests/casetracker/test_replica.py points it at a real replica itself).
        configured[REPLICA] = {**connection_settings(replica_url), "TEST": {"MIRROR": PRIMARY}}
    return configured


def routing(configured: dict, middleware: list[str]) -> tuple[list[str], list[str]]:
    """DATABASE_ROUTERS and MIDDLEWARE for these databases: the router and its middleware come only with a replica."""
    middleware = [name for name in middleware if name != PUBLIC_READ_MIDDLEWARE]
    if REPLICA not in configured:
        return [], middleware
    # First, so the whole request, and a streamed response's body, is read the same way.
    return [ROUTER], [PUBLIC_READ_MIDDLEWARE, *middleware]
