#!/usr/bin/env bash
# Unpacks Debian's postfix package (for smtp-sink and smtp-source) under Benchmarks/.out/postfix
# without installing it. Idempotent; prints the directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/Benchmarks/.out"
target="$out/postfix"
if [[ ! -x "$target/usr/sbin/smtp-sink" ]]; then
    mkdir -p "$out"
    cd "$out"
    if ! ls postfix_*.deb >/dev/null 2>&1; then
        apt-get download postfix >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download postfix >/dev/null; }
    fi
    dpkg -x postfix_*.deb "$target"
fi
echo "$target"
