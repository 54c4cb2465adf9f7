# Tether: build, test and demo on a Debian 12 machine with the Swift toolchain.
# `make test` and `make demo` install what they need (as root) on first use.

SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
DEBIAN_PACKAGES = unixodbc-dev odbc-postgresql libsqliteodbc python3-aiosmtpd libssl-dev \
	openssl postgresql-15 sqlite3 procps

.PHONY: all deps build test lint format demo clean bench bench-channels bench-net bench-smtp bench-pool bench-odbc \
	bench-smtp-tls bench-pool-peers bench-mailer test-tsan test-asan fuzz fuzz-ci chaos chaos-short

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
	$(MAKE) chaos-short

lint:
	swift-format lint --strict --recursive --parallel Package.swift Sources Tests Examples Benchmarks Fuzz

format:
	swift-format format --in-place --recursive --parallel Package.swift Sources Tests Examples Benchmarks Fuzz

# Prepared SELECT 1 through TetherODBC beside a C program using unixODBC directly, 1 and 8 workers.
bench-odbc: deps
	scripts/with-test-servers.sh Benchmarks/ODBCPeer/bench-odbc.sh

demo: deps
	@scripts/demo.sh

# Every benchmark suite, one after another; each prints one JSON object per case and peer (see
# Docs/performance.md). The peer suites also record their lines in Benchmarks/.out/results.jsonl,
# from which the chart Docs/pool-throughput.svg and the table for performance.md are made.
bench:
	mkdir -p Benchmarks/.out
	rm -f Benchmarks/.out/results.jsonl
	$(MAKE) bench-channels bench-net bench-smtp bench-pool bench-smtp-tls bench-pool-peers bench-mailer
	/usr/bin/python3 Benchmarks/Peers/chart.py
	/usr/bin/python3 Benchmarks/Peers/table.py

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
# 10,000 messages of 1 KB over one STARTTLS connection to a loopback Go sink, our client
# (one at a time, and in batches of 100) beside Go's net/smtp reusing its connection.
bench-smtp-tls: deps
	@scripts/install-deps.sh golang-go
	$(SWIFT) build -c release --product SMTPSendBenchmark $(SWIFT_FLAGS)
	mkdir -p .build/bench
	go build -o .build/bench/tls-sink Benchmarks/Peers/tls-sink/main.go
	go build -o .build/bench/go-smtp Benchmarks/Peers/go-smtp/main.go
	/usr/bin/python3 Benchmarks/Peers/bench_smtp_tls.py .build/release/SMTPSendBenchmark \
		.build/bench/tls-sink .build/bench/go-smtp

# SELECT 1 at 1, 8 and 32 workers through TetherPool + TetherODBC beside HikariCP (JDBC) and
# pgbench (the ceiling), and the raw ODBC loop at one worker; then throughput and p99 during ten
# hot swaps between two roles, beside HikariCP's credential change and soft evict.
bench-pool-peers: deps
	@scripts/install-deps.sh default-jdk-headless libhikaricp-java libpostgresql-jdbc-java libslf4j-java
	$(SWIFT) build -c release --product PoolPeersBenchmark $(SWIFT_FLAGS)
	mkdir -p .build/bench/java
	javac -d .build/bench/java -cp /usr/share/java/HikariCP.jar Benchmarks/Peers/HikariSelectOne.java
	cc -O2 -Wall -I Benchmarks/BenchTurns/include -o .build/bench/raw_odbc_peer Benchmarks/ODBCPeer/raw_odbc_peer.c \
		Benchmarks/BenchTurns/bench_turns.c -lodbc -lpthread
	scripts/with-test-servers.sh /usr/bin/python3 Benchmarks/Peers/bench_pool_peers.py \
		.build/release/PoolPeersBenchmark .build/bench/raw_odbc_peer .build/bench/java
	/usr/bin/python3 Benchmarks/Peers/chart.py

# 20,000 requests from PostgreSQL through queue-mailer to smtp-sink over 8 connections, beside our
# bare SMTP client sending as many messages over as many connections; then two instances.
bench-mailer: deps
	$(SWIFT) build -c release --product queue-mailer $(SWIFT_FLAGS)
	$(SWIFT) build -c release --product SMTPSendBenchmark $(SWIFT_FLAGS)
	scripts/with-test-servers.sh /usr/bin/python3 Benchmarks/Peers/bench_mailer.py .build/release/queue-mailer \
		.build/release/SMTPSendBenchmark "$$(Benchmarks/SMTPPeer/unpack-postfix.sh)"

# Pool overhead and fairness with fake connections: acquire + release, 1,000 tasks on 50
# connections, and latency while swapping.
# The pool's own figures with fake connections, then the pool over ODBC beside the raw C loop
# (bench-odbc), so that one run holds every figure issue #5 sets a target for.
bench-pool: deps
	$(SWIFT) build -c release --product PoolBenchmark $(SWIFT_FLAGS)
	.build/release/PoolBenchmark
	$(MAKE) bench-odbc

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

# The chaos soak (Docs/reliability.md): two queue-mailer instances on one PostgreSQL queue under
# faults drawn from CHAOS_SEED (random unless set; printed) for CHAOS_SECONDS, then the invariants.
# The debug build: `make test` has just built it, and it keeps the state machines' traps.
CHAOS_SECONDS ?= 300
chaos: deps
	$(SWIFT) build --product queue-mailer $(SWIFT_FLAGS)
	/usr/bin/python3 -m unittest discover -s scripts/chaos
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_SEED=$(CHAOS_SEED) scripts/chaos/run.sh .build/debug/queue-mailer

# The short chaos run `make test` ends with: one minute, a fixed seed.
chaos-short:
	$(MAKE) chaos CHAOS_SECONDS=60 CHAOS_SEED=8

clean:
	rm -rf .build
