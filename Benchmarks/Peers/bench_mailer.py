#!/usr/bin/python3
"""`make bench-mailer`: queue-mailer end to end, beside our bare SMTP client (the ceiling).

Run under scripts/with-test-servers.sh (it reads the TETHER_PG_* variables). Starts Postfix's
smtp-sink on loopback, creates the mailer's tables in the throwaway PostgreSQL, enqueues
REQUESTS requests once with `queue-mailer enqueue` and keeps them as a template. Each round:

- bare: SMTPSendBenchmark sends REQUESTS messages of about 1 KB over 8 connections;
- one: the queue is refilled from the template (SQL, not timed), then one
  `queue-mailer run --until-empty` with 8 relay connections; timed from its start until it
  exits with every request `done` and one `sent` result each;
- two: the same with two instances started together on the same queue.

Prints the one-instance rate against the bare client, and two instances against one.

    bench_mailer.py QUEUE_MAILER SMTP_SEND POSTFIX_DIR

Environment: BENCH_MAILER_REQUESTS (default 20000), BENCH_PAIRS, BENCH_WARMUP.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import benchlib

REQUESTS = int(os.environ.get("BENCH_MAILER_REQUESTS", "20000"))
CONNECTIONS = 8
BODY = ("0123456789abcdef" * 4 + "\n") * 11


class Database:
    """psql against the throwaway PostgreSQL of scripts/with-test-servers.sh."""

    def __init__(self):
        try:
            self.env = dict(os.environ, PGPASSWORD=os.environ["TETHER_PG_PASSWORD"])
            self.args = ["-h", os.environ["TETHER_PG_HOST"], "-p", os.environ["TETHER_PG_PORT"],
                         "-U", os.environ["TETHER_PG_USER"], "-d", os.environ["TETHER_PG_DATABASE"]]
            self.connect_string = os.environ["TETHER_PG_DSN"].split("Pwd=")[0]
            self.password = os.environ["TETHER_PG_PASSWORD"]
        except KeyError as missing:
            benchlib.fail(f"{missing} is not set: run under scripts/with-test-servers.sh")
        if os.environ["TETHER_PG_HOST"] not in ("127.0.0.1", "::1"):
            benchlib.fail("TETHER_PG_HOST must be a loopback address")

    def sql(self, statement):
        completed = subprocess.run(["psql", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement] + self.args,
                                   env=self.env, capture_output=True, text=True, check=True)
        return completed.stdout.strip()


class Mailer:
    """queue-mailer with a configuration for the sink, 8 relay connections."""

    def __init__(self, binary, database, sink_port, directory):
        self.binary, self.database = binary, database
        self.config = os.path.join(directory, "mailer.json")
        with open(self.config, "w") as file:
            json.dump({
                "database": {"connect_string": database.connect_string, "pool_size": CONNECTIONS + 3},
                "relay": {"host": "127.0.0.1", "port": sink_port, "tls": "none", "connections": CONNECTIONS,
                          "max_messages_per_connection": REQUESTS},
                "queue": {"concurrency": CONNECTIONS},
                "log": {"level": "warning"},
            }, file)
        self.env = dict(os.environ, QUEUE_MAILER_CONFIG=self.config,
                        QUEUE_MAILER_DATABASE_PASSWORD=database.password)

    def command(self, *arguments, stdin=None):
        subprocess.run([self.binary] + list(arguments), env=self.env, input=stdin, text=True, check=True,
                       capture_output=True)

    def prepare(self, directory):
        """Creates the tables and the template of REQUESTS requests, once."""
        self.database.sql("DROP TABLE IF EXISTS mail_result, mail_request, mail_schema_version, bench_template")
        self.command("migrate")
        lines = [json.dumps({"idempotency_key": f"bench-{n}", "from": "bench@tether.test",
                             "to": ["sink@tether.test"], "subject": f"benchmark {n}", "text": BODY})
                 for n in range(REQUESTS)]
        self.command("enqueue", "-", stdin="\n".join(lines) + "\n")
        self.database.sql("CREATE TABLE bench_template AS SELECT * FROM mail_request")

    def refill(self):
        self.database.sql("TRUNCATE mail_result, mail_request RESTART IDENTITY CASCADE; "
                          "INSERT INTO mail_request SELECT * FROM bench_template")

    def run(self, instances):
        """Refills the queue, runs `instances` mailers until it is empty; returns requests per second."""
        self.refill()
        start = time.monotonic()
        processes = [subprocess.Popen([self.binary, "run", "--until-empty"],
                                      env=dict(self.env, QUEUE_MAILER_INSTANCE_NAME=f"bench-{i}"),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                     for i in range(instances)]
        failures = [(p.wait(), p.stderr.read()) for p in processes]
        elapsed = time.monotonic() - start
        for code, errors in failures:
            if code != 0:
                raise RuntimeError(f"queue-mailer exited with {code}: {errors[-1500:]}")
        done = self.database.sql("SELECT count(*) FROM mail_request WHERE state = 'done'")
        sent = self.database.sql("SELECT count(DISTINCT request_id) FROM mail_result WHERE outcome = 'sent'")
        if int(done) != REQUESTS or int(sent) != REQUESTS:
            raise RuntimeError(f"{done} of {REQUESTS} requests done, {sent} with a sent result")
        return {"rate": REQUESTS / elapsed}


def start_sink(postfix):
    """Starts smtp-sink on a free loopback port; returns the process and the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [os.path.join(postfix, "usr/sbin/smtp-sink"), "-4"]
    if os.getuid() == 0:
        command += ["-u", "nobody"]
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(postfix, "usr/lib/postfix"))
    process = subprocess.Popen(command + [f"127.0.0.1:{port}", "1024"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    process.kill()
    benchlib.fail("smtp-sink did not start")


def main():
    if len(sys.argv) != 4:
        benchlib.fail("usage: bench_mailer.py QUEUE_MAILER SMTP_SEND POSTFIX_DIR")
    binary, sender, postfix = sys.argv[1:]
    probe = subprocess.run([binary, "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        # The queue-mailer lands separately; until then the suite says so and does not fail the others.
        print(json.dumps({"suite": "mailer", "skipped": f"queue-mailer --help failed: {probe.stderr.strip()}"},
                         separators=(",", ":")), flush=True)
        return
    database = Database()
    sink, port = start_sink(postfix)
    try:
        with tempfile.TemporaryDirectory(prefix="tether-mailer-bench-") as directory:
            mailer = Mailer(binary, database, port, directory)
            mailer.prepare(directory)
            bare = [sender, "send", str(port), "none", str(REQUESTS), "1024", "batch", str(CONNECTIONS)]
            runs = benchlib.alternate({
                "bare": lambda: benchlib.run_fields(bare),
                "one": lambda: mailer.run(1),
                "two": lambda: mailer.run(2),
            })
            one = benchlib.column(runs["one"], "rate")
            benchlib.report("mailer", f"{REQUESTS} requests, {CONNECTIONS} SMTP connections, one instance",
                            "requests/s", one, "bare-smtp-client", benchlib.column(runs["bare"], "rate"))
            benchlib.report("mailer", f"{REQUESTS} requests, two instances of {CONNECTIONS} connections",
                            "requests/s", benchlib.column(runs["two"], "rate"), "one-instance", one)
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
