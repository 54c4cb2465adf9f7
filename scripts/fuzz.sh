#!/usr/bin/env bash
# Builds the libFuzzer targets under Fuzz/ and runs each one for a set time.
#   scripts/fuzz.sh SECONDS [TARGET...]     (default: 60 seconds, every target)
# The modules a target needs are compiled with swiftc (-sanitize=fuzzer,address, testing
# enabled so targets reach internal encoders) into .build/fuzz; each target is one
# -parse-as-library file with an @_cdecl("LLVMFuzzerTestOneInput") entry, and libFuzzer
# supplies main. New inputs go to .build/fuzz/corpus/TARGET; crashes to .build/fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(SMTPReplyParser EmailAddress MessageEncoding ODBCConnectString)
fi

out=.build/fuzz
mkdir -p "$out/crashes"
# -package-name: TetherLocking declares package-level API, as SwiftPM would build it.
flags=(-swift-version 6 -sanitize=fuzzer,address -parse-as-library -enable-testing -O -g -package-name tether)
includes=(-I "$out" -I Sources/CTetherOpenSSL -I Sources/CTetherSystem -I Sources/CTetherODBC)

# Builds Sources/MODULE into a static library, unless it is newer than every source file.
module() {
    local name="$1"
    local library="$out/lib$name.a"
    if [ -f "$library" ] && [ -z "$(find "Sources/$name" -newer "$library" -name '*.swift')" ]; then
        return
    fi
    echo "fuzz: compiling $name"
    swiftc "${flags[@]}" "${includes[@]}" -module-name "$name" -emit-library -static \
        -emit-module -emit-module-path "$out/$name.swiftmodule" -o "$library" "Sources/$name"/*.swift
}

# The modules each target links, dependencies last, and the C libraries they need.
libraries() {
    case "$1" in
        SMTPReplyParser | EmailAddress | MessageEncoding)
            echo "-lTetherSMTP -lTetherNet -lTetherRetry -lTetherLocking -lssl -lcrypto" ;;
        ODBCConnectString)
            echo "-lTetherODBC -lTetherPool -lTetherRetry -lTetherLocking -lodbc" ;;
        *)
            echo "fuzz: unknown target $1" >&2
            exit 2 ;;
    esac
}

for name in TetherLocking TetherRetry TetherNet TetherSMTP TetherPool TetherODBC; do
    module "$name"
done

for target in "${targets[@]}"; do
    # shellcheck disable=SC2046
    swiftc "${flags[@]}" "${includes[@]}" -L "$out" Fuzz/Support/*.swift "Fuzz/$target"/*.swift \
        $(libraries "$target") -use-ld=lld -o "$out/$target"
done

status=0
for target in "${targets[@]}"; do
    corpus="$out/corpus/$target"
    mkdir -p "$corpus"
    options=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/crashes/$target-")
    [ -f "Fuzz/$target/options" ] && read -r -a extra < "Fuzz/$target/options" && options+=("${extra[@]}")
    [ -f "Fuzz/$target/dictionary" ] && options+=(-dict="Fuzz/$target/dictionary")
    echo "fuzz: $target for ${seconds}s"
    if ! "$out/$target" "${options[@]}" "$corpus" "Fuzz/$target/seeds" 2>"$out/$target.log"; then
        status=1
        echo "fuzz: $target FAILED; see $out/$target.log and $out/crashes/"
        grep -E "property violated|Fatal error|ERROR:" "$out/$target.log" | head -5 || true
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$out/$target.log" | sed "s/^/fuzz: $target /" || true
done
exit "$status"
