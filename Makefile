# Tether: build, test and demo on a Debian 12 machine with the Swift toolchain.
# `make test` and `make demo` install what they need (as root) on first use.

SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
DEBIAN_PACKAGES = unixodbc-dev odbc-postgresql libsqliteodbc python3-aiosmtpd libssl-dev \
	openssl postgresql-15 sqlite3 procps

.PHONY: all deps build test lint format demo clean bench bench-channels bench-net bench-smtp bench-pool bench-odbc \
	test-tsan test-asan fuzz fuzz-ci

all: build

deps:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# Builds everything, starts the throwaway servers, runs every test, stops the servers.
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	-@Benchmarks/SMTPPeer/unpack-postfix.sh >/dev/null
	scripts/with-test-servers.sh $(SWIFT) test --skip-build $(SWIFT_FLAGS)

lint:
	swift-format lint --strict --recursive --parallel Package.swift Sources Tests Examples Benchmarks

format:
	swift-format format --in-place --recursive --parallel Package.swift Sources Tests Examples Benchmarks

# Prepared SELECT 1 through TetherODBC beside a C program using unixODBC directly, 1 and 8 workers.
bench-odbc: deps
	scripts/with-test-servers.sh Benchmarks/ODBCPeer/bench-odbc.sh

demo: deps
	@scripts/demo.sh

# Every benchmark suite; each prints one JSON object per case and peer (see Docs/performance.md).
bench: bench-channels bench-net

# BoundedChannel beside AsyncStream and a buffered Go channel (Debian's golang-go), release build,
# measured alternately in one run of the Swift program, which starts the Go peer itself.
bench-channels:
	@scripts/install-deps.sh golang-go
	$(SWIFT) build -c release --product ChannelsBenchmark $(SWIFT_FLAGS)
	mkdir -p .build/bench
	go build -o .build/bench/channels-go Benchmarks/ChannelsGo/main.go
	.build/release/ChannelsBenchmark --go .build/bench/channels-go

# Cancel latency and idle TLS connections (threads, memory) against loopback servers it starts.
bench-net: deps
	$(SWIFT) build -c release --product NetBench $(SWIFT_FLAGS)
	.build/release/NetBench

# 20,000 messages of 1 KB to Postfix's smtp-sink, 1 and 8 connections, beside smtp-source.
bench-smtp: deps
	$(SWIFT) build -c release --product SMTPBenchmark $(SWIFT_FLAGS)
	.build/release/SMTPBenchmark "$$(Benchmarks/SMTPPeer/unpack-postfix.sh)"
# Pool overhead and fairness with fake connections: acquire + release, 1,000 tasks on 50
# connections, and latency while swapping.
bench-pool: deps
	$(SWIFT) build -c release --product PoolBenchmark $(SWIFT_FLAGS)
	.build/release/PoolBenchmark

# Every test under ThreadSanitizer, then under AddressSanitizer (leak detection off: XCTest
# leaks), each in its own build directory, one test at a time; a report fails the run even
# when the tests print "passed" (see Docs/reliability.md).
test-tsan: deps
	scripts/test-sanitized.sh thread

test-asan: deps
	scripts/test-sanitized.sh address

# Each libFuzzer target under Fuzz/ for FUZZ_SECONDS (default 300); crashes land in
# .build/fuzz/crashes. fuzz-ci is the short run CI makes.
FUZZ_SECONDS ?= 300
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci: deps
	scripts/fuzz.sh 45

clean:
	rm -rf .build
