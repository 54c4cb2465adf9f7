#!/usr/bin/env bash
# Controls the throwaway PostgreSQL cluster of one test run, for tests that
# restart or stop the database on purpose.
#   scripts/pg-ctl.sh DIR restart|stop|start [fast|immediate]
set -euo pipefail
dir="${1:?DIR}"; action="${2:?action}"; mode="${3:-fast}"
pg_bin=/usr/lib/postgresql/15/bin
data="$dir/pg/data"
case "$action" in
    stop) runuser -u postgres -- "$pg_bin/pg_ctl" -D "$data" -m "$mode" -w stop >/dev/null ;;
    start) runuser -u postgres -- "$pg_bin/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" \
               -o "$(cat "$dir/pg/options")" -w start >/dev/null
           head -1 "$data/postmaster.pid" >> "$dir/pids" ;;
    restart) runuser -u postgres -- "$pg_bin/pg_ctl" -D "$data" -l "$dir/pg/postgres.log" -m "$mode" -w restart >/dev/null
           head -1 "$data/postmaster.pid" >> "$dir/pids" ;;
    *) echo "pg-ctl.sh: unknown action '$action' (restart, stop or start)" >&2; exit 2 ;;
esac
