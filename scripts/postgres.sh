#!/usr/bin/env bash
# A throw-away PostgreSQL server for the registry's tests.
#
#   url=$(scripts/postgres.sh start [DIR])  # installs Debian's postgresql if absent, starts a
#                                           # server on a free port in DIR (default: a new temp
#                                           # dir), prints its URL
#   MYOTRACK_TEST_POSTGRES_URL=$url pytest tests/web
#   scripts/postgres.sh stop [DIR]          # stops that server (default: every server this
#                                           # script started) and removes the temp dirs it made
#
# The server runs as a non-root user (the 'postgres' account when started as root), listens on
# 127.0.0.1 only and trusts local connections: it is for tests, never for data.
set -euo pipefail

STATE="${TMPDIR:-/tmp}/myotrack-postgres.dirs"

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
        fi
    done | sort -V | tail -n 1
}

install_postgres() {
    if [ -n "$(find_bin)" ]; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "postgresql is not installed and installing it needs root: apt-get install -y postgresql" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

as_owner() {
    # run a command as the server's owner: the 'postgres' account when we are root
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    install_postgres
    local bin dir port
    bin="$(find_bin)"
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
    if [ -n "${1:-}" ]; then
        dir="$1"
        mkdir -p "$dir"
        if [ -e "$dir/data" ]; then
            echo "$dir/data exists: give an empty folder" >&2
            exit 1
        fi
    else
        dir="$(mktemp -d "${TMPDIR:-/tmp}/myotrack-pg.XXXXXX")"
    fi
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir"
    fi
    port="$(free_port)"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >&2 \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir" >>"$STATE"
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

stop_one() {
    local bin="$1" dir="$2"
    if [ -n "$dir" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    case "$dir" in
        "${TMPDIR:-/tmp}"/myotrack-pg.*) rm -rf "$dir" ;;
    esac
}

stop() {
    local bin dir rest
    bin="$(find_bin)"
    if [ -n "${1:-}" ]; then
        stop_one "$bin" "$1"
        if [ -f "$STATE" ]; then
            rest="$(grep -vxF "$1" "$STATE" || true)"
            if [ -n "$rest" ]; then echo "$rest" >"$STATE"; else rm -f "$STATE"; fi
        fi
        return 0
    fi
    [ -f "$STATE" ] || return 0
    while read -r dir; do
        stop_one "$bin" "$dir"
    done <"$STATE"
    rm -f "$STATE"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start [DIR] | stop [DIR]" >&2; exit 2 ;;
esac
