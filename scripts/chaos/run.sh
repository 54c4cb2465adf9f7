#!/usr/bin/env bash
# `make chaos`: the orchestrator inside the throwaway PostgreSQL of with-test-servers.sh (which
# always stops it), and a last sweep on exit for the case where the orchestrator itself was
# killed before its own cleanup ran.
#   scripts/chaos/run.sh QUEUE_MAILER
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
CHAOS_DIR="$(realpath -m "${CHAOS_DIR:-.build/chaos}")"
export CHAOS_DIR

# Kills what the orchestrator recorded in CHAOS_DIR/pids and is still running, checking first
# that the process is ours (its command line names CHAOS_DIR), since a pid may have been reused.
sweep() {
    [[ -f "$CHAOS_DIR/pids" ]] || return 0
    while read -r pid; do
        if { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "$CHAOS_DIR"; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    done < "$CHAOS_DIR/pids"
}
trap sweep EXIT
"$here/../with-test-servers.sh" /usr/bin/python3 "$here/chaos.py" "$@"
