#!/usr/bin/env bash
# Runs a command beside a real PostgreSQL streaming replica of the primary on 127.0.0.1:5432,
# then takes the replica down again, whatever the command did:
#
#   tests/replica/with_replica.sh .venv/bin/pytest tests/casetracker/test_replica.py
#
# The replica is `pg_basebackup -R` of the whole primary cluster into a temporary directory,
# started as a hot standby on a free 127.0.0.1 port; the command finds it in REPLICA_TEST_URL
# and is stopped after REPLICA_RUN_TIMEOUT seconds (600 unless set).
# Needs root (as CI is) or the postgres user, and the server binaries of the primary's major
# version. The primary must allow replication (wal_level replica or logical, max_wal_senders
# above 0; both are PostgreSQL's defaults). If its pg_hba.conf lets no replication connection in
# from 127.0.0.1, a trust line for the postgres user on 127.0.0.1 only is put first for this run
# and removed at the end (each with a reload). No replication slot is made: none can be left
# behind to hold WAL on the primary.
set -euo pipefail
exec </dev/null

PRIMARY_HOST=127.0.0.1
PRIMARY_PORT="${PRIMARY_PORT:-5432}"  # the primary answers on 127.0.0.1 (the pg_hba.conf line is for it)
PG_USER=postgres
# Upper bounds, never waits: every loop below polls every 0.1 s and ends as soon as it can.
COPY_TIMEOUT=120
START_TIMEOUT=30
# The command itself; on overrun it is stopped and the replica still taken down.
RUN_TIMEOUT="${REPLICA_RUN_TIMEOUT:-600}"

[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

log() { printf 'with_replica: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now_ms() { date +%s%3N; }

if [ "$(id -un)" = "$PG_USER" ]; then
    as_postgres() { "$@"; }
elif [ "$(id -u)" -eq 0 ]; then
    # initdb, pg_basebackup and postgres refuse root, and the data directory must be postgres's.
    as_postgres() { runuser -u "$PG_USER" -- "$@"; }
else
    die "run as root or as the $PG_USER user"
fi

primary_sql() { psql -X -w -q -At -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_USER" -d postgres -c "$1"; }
can_replicate() {
    psql -X -w -q -At "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PG_USER dbname=postgres replication=true" \
        -c "IDENTIFY_SYSTEM" >/dev/null 2>&1
}

version_num="$(primary_sql "SHOW server_version_num")" || die "no PostgreSQL answers on $PRIMARY_HOST:$PRIMARY_PORT"
major=$((version_num / 10000))
BIN="/usr/lib/postgresql/$major/bin"
[ -x "$BIN/pg_basebackup" ] && [ -x "$BIN/pg_ctl" ] || die "no PostgreSQL $major server binaries in $BIN"
wal_level="$(primary_sql "SHOW wal_level")"
[ "$wal_level" != "minimal" ] || die "the primary has wal_level=minimal; a replica needs replica (the default)"
[ "$(primary_sql "SHOW max_wal_senders")" -gt 0 ] || die "the primary has max_wal_senders=0"

WORKDIR="$(mktemp -d /tmp/casetracker-replica.XXXXXX)"
DATA="$WORKDIR/data"
HBA_FILE=""
HBA_MARK="casetracker tests/replica/with_replica.sh $$"
REPLICA_PORT=""

teardown() {
    local status=$?
    if [ -n "$REPLICA_PORT" ] && [ -f "$DATA/postmaster.pid" ]; then
        log "stopping the replica on port $REPLICA_PORT"
        as_postgres "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t "$START_TIMEOUT" stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORKDIR"
    if [ -n "$HBA_FILE" ] && grep -qF "$HBA_MARK" "$HBA_FILE"; then
        sed -i "/$(printf '%s' "$HBA_MARK" | sed 's/[\/.]/\\&/g')/d" "$HBA_FILE"
        primary_sql "SELECT pg_reload_conf()" >/dev/null || true
        log "removed the replication line from $HBA_FILE"
    fi
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for SECONDS WHAT COMMAND...: poll every 0.1 s
    local seconds="$1" what="$2"
    shift 2
    local deadline=$(($(now_ms) + seconds * 1000))
    until "$@"; do
        [ "$(now_ms)" -lt "$deadline" ] || die "$what: not within ${seconds} s"
        sleep 0.1
    done
}

if ! can_replicate; then
    HBA_FILE="$(primary_sql "SHOW hba_file")"
    [ -w "$HBA_FILE" ] || die "replication from $PRIMARY_HOST is refused and $HBA_FILE is not writable"
    # First match wins in pg_hba.conf, so the line goes first.
    sed -i "1i host replication $PG_USER 127.0.0.1/32 trust  # $HBA_MARK" "$HBA_FILE"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
    log "added a replication line for $PG_USER from 127.0.0.1 to $HBA_FILE (removed at the end)"
    wait_for 10 "replication connections after the reload" can_replicate
fi

REPLICA_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chown "$PG_USER" "$WORKDIR" 2>/dev/null || true
chmod 700 "$WORKDIR"

started=$(now_ms)
# --checkpoint=fast: a spread checkpoint could make the copy wait minutes for nothing.
as_postgres timeout "$COPY_TIMEOUT" "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_USER" -w \
    -D "$DATA" -R -X stream --checkpoint=fast --no-sync
copied=$(now_ms)
log "pg_basebackup copied $(du -sh "$DATA" | cut -f1) in $((copied - started)) ms"

# A Debian primary keeps postgresql.conf and pg_hba.conf outside its data directory, so the
# copy has neither; the replica gets its own. A hot standby needs these at least as large as the
# primary's, so they are the primary's.
{
    echo "hot_standby = on"
    echo "fsync = off"
    echo "shared_buffers = 32MB"
    for setting in max_connections max_worker_processes max_wal_senders max_prepared_transactions \
        max_locks_per_transaction; do
        echo "$setting = $(primary_sql "SHOW $setting")"
    done
} >"$DATA/postgresql.conf"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DATA/pg_hba.conf"
chown "$PG_USER" "$DATA/postgresql.conf" "$DATA/pg_hba.conf" 2>/dev/null || true

# Where it listens is given on the command line, which wins over a postgresql.auto.conf copied
# from the primary.
as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$WORKDIR/replica.log" -w -t "$START_TIMEOUT" \
    -o "-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$WORKDIR" start >/dev/null ||
    { tail -n 20 "$WORKDIR/replica.log" >&2; die "the replica did not start"; }
replica_sql() { psql -X -w -q -At -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PG_USER" -d postgres -c "$1" 2>/dev/null; }
streaming() {
    [ "$(replica_sql "SELECT pg_is_in_recovery()")" = "t" ] &&
        [ "$(replica_sql "SELECT status FROM pg_stat_wal_receiver")" = "streaming" ]
}
wait_for "$START_TIMEOUT" "the replica streaming from the primary" streaming
log "hot standby streaming on 127.0.0.1:$REPLICA_PORT, $(($(now_ms) - copied)) ms after the copy"

export REPLICA_TEST_URL="postgres://$PG_USER@127.0.0.1:$REPLICA_PORT/postgres"
status=0
timeout "$RUN_TIMEOUT" "$@" || status=$?
[ "$status" -ne 124 ] || log "the command did not finish within $RUN_TIMEOUT s"
exit "$status"
