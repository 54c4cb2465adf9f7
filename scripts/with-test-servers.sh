#!/usr/bin/env bash
# Runs a command with the throwaway test servers up and their addresses exported,
# and stops them afterwards whatever the command's outcome.
#   scripts/with-test-servers.sh swift test
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/tether-servers.XXXXXX)"
trap '"$here/test-servers.sh" stop "$dir"' EXIT
"$here/test-servers.sh" start "$dir"
# shellcheck disable=SC1091
source "$dir/env"
set +e
"$@"
status=$?
set -e
exit "$status"
