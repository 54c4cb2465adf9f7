#!/usr/bin/env bash
# Builds and runs every test under one sanitizer, with the throwaway servers up.
#   scripts/test-sanitized.sh thread|address
# Each sanitizer builds into its own scratch path, so it does not throw away the normal
# debug build. The exit code decides: a test run that ThreadSanitizer reported on can
# still print "passed", so the log is also searched for reports. Tests run one at a time:
# under a sanitizer code runs several times slower, and suites that bound how fast
# something happens ("cancelling returns at once") need the machine to themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer="$1"
case "$sanitizer" in
    thread)
        suppressions="$PWD/scripts/tsan-suppressions.txt"
        export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1 suppressions=$suppressions}" ;;
    # XCTest itself leaks, so leak detection stays off; every other address check is on.
    address)
        suppressions="$PWD/scripts/asan-suppressions.txt"
        export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0 suppressions=$suppressions}" ;;
    *) echo "usage: $0 thread|address" >&2; exit 2 ;;
esac
scratch=".build/$( [ "$sanitizer" = thread ] && echo tsan || echo asan )"
log="$scratch/test.log"
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch" -Xswiftc -warnings-as-errors
set +e
scripts/with-test-servers.sh swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" \
    --no-parallel 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
reports=$(grep -c -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" || true)
echo "test-sanitized: $sanitizer: exit $status, $reports sanitizer reports (log: $log)"
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
    exit 1
fi
