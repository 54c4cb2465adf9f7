#!/usr/bin/python3
"""`make bench-smtp-tls`: our SMTP client beside Go's net/smtp, one STARTTLS connection each.

Starts the Go STARTTLS sink (Benchmarks/Peers/tls-sink) on loopback, writes the benchmark
message once (so both clients send the same bytes), then alternates our client
(SMTPSendBenchmark) and the Go client (Benchmarks/Peers/go-smtp), MESSAGES messages per run.

    bench_smtp_tls.py SWIFT_BENCHMARK TLS_SINK GO_SMTP

Environment: BENCH_SMTP_TLS_MESSAGES (default 10000), BENCH_PAIRS, BENCH_WARMUP.
"""

import os
import subprocess
import sys
import tempfile
import time

import benchlib

MESSAGES = int(os.environ.get("BENCH_SMTP_TLS_MESSAGES", "10000"))
SIZE = 1024


def start_sink(sink, directory):
    """Starts the sink; returns the process and its port once it listens."""
    ready = os.path.join(directory, "sink.port")
    process = subprocess.Popen(
        [sink, "-listen", "127.0.0.1:0", "-cert-out", os.path.join(directory, "sink.pem"), "-ready-file", ready])
    for _ in range(100):
        if os.path.exists(ready) and os.path.getsize(ready) > 0:
            with open(ready) as file:
                return process, int(file.read())
        time.sleep(0.05)
    process.kill()
    benchlib.fail("the TLS sink did not start")


def main():
    if len(sys.argv) != 4:
        benchlib.fail("usage: bench_smtp_tls.py SWIFT_BENCHMARK TLS_SINK GO_SMTP")
    ours, sink, go_client = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="tether-smtp-tls-") as directory:
        message = os.path.join(directory, "message.eml")
        subprocess.run([ours, "write-message", message, str(SIZE)], check=True)
        process, port = start_sink(sink, directory)
        try:
            certificate = os.path.join(directory, "sink.pem")
            peer = [go_client, "-addr", f"127.0.0.1:{port}", "-ca", certificate, "-message", message,
                    "-n", str(MESSAGES)]
            for mode in ["single", "batch"]:
                runs = benchlib.alternate({
                    "ours": lambda: benchlib.run_fields([ours, "send", str(port), certificate, str(MESSAGES),
                                                         str(SIZE), mode]),
                    "peer": lambda: benchlib.run_fields(peer),
                })
                benchlib.report(
                    "smtp-tls", f"{MESSAGES} messages of 1 KB, 1 STARTTLS connection, {mode}", "msg/s",
                    benchlib.column(runs["ours"], "rate"), "go-net-smtp", benchlib.column(runs["peer"], "rate"),
                    message_bytes=os.path.getsize(message))
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
