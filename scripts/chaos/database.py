"""The chaos run's PostgreSQL: the one scripts/with-test-servers.sh started on loopback.

The mailers log in as their own role (`chaos_mailer`, not a superuser) and keep their
tables in the schema `chaos`; the orchestrator works as the servers' superuser, so it can
terminate the mailers' sessions and rotate their password. Restarts go through
scripts/pg-ctl.sh, which records the new postmaster so the servers' stop finds it.
"""

import json
import os
import secrets
import subprocess
import time

ROLE = "chaos_mailer"
SCHEMA = "chaos"


class Database:
    def __init__(self):
        try:
            self.host = os.environ["TETHER_PG_HOST"]
            self.port = os.environ["TETHER_PG_PORT"]
            self.name = os.environ["TETHER_PG_DATABASE"]
            self._superuser = os.environ["TETHER_PG_USER"]
            self._env = dict(os.environ, PGPASSWORD=os.environ["TETHER_PG_PASSWORD"])
            self._pg_ctl = os.environ["TETHER_PG_CTL"].split()
        except KeyError as missing:
            raise SystemExit(f"chaos: {missing} is not set: run under scripts/with-test-servers.sh")
        if self.host not in ("127.0.0.1", "::1"):
            raise SystemExit(f"chaos: TETHER_PG_HOST is {self.host}; only a loopback database is allowed")
        self.password = secrets.token_hex(12)
        self.rotations = 0

    def connect_string(self, port):
        """The mailers' connect string to `port` (the database proxy's), without the password:
        they read it from a file."""
        return f"Driver={{PostgreSQL Unicode}};Server={self.host};Port={port};Database={self.name};Uid={ROLE};"

    def sql(self, statement, timeout=30):
        """Runs `statement` as the superuser; returns psql's unaligned output."""
        completed = subprocess.run(
            ["psql", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", self.port,
             "-U", self._superuser, "-d", self.name, "-c", statement],
            env=self._env, capture_output=True, text=True, timeout=timeout)
        if completed.returncode != 0:
            raise RuntimeError(f"psql failed ({completed.returncode}): {completed.stderr.strip()}")
        return completed.stdout.strip()

    def sql_patiently(self, statement, seconds=60):
        """`sql`, retried while the database restarts, for at most `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                return self.sql(statement)
            except (RuntimeError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def rows(self, query):
        """The rows of `query` as a list of dicts (through json_agg, so text needs no parsing)."""
        text = self.sql_patiently(f"SELECT coalesce(json_agg(q), '[]') FROM ({query}) q")
        return json.loads(text)

    def create_role(self):
        """The mailers' role and schema, in the fresh cluster of this run."""
        self.sql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{self.password}'")
        # migrate says CREATE SCHEMA IF NOT EXISTS, which needs the right even when it exists.
        self.sql(f"GRANT CREATE ON DATABASE {self.name} TO {ROLE}")
        self.sql(f"CREATE SCHEMA {SCHEMA} AUTHORIZATION {ROLE}")

    def rotate_password(self):
        """A new password for the mailers' role; sessions already open keep working."""
        self.password = secrets.token_hex(12)
        self.rotations += 1
        self.sql_patiently(f"ALTER ROLE {ROLE} PASSWORD '{self.password}'")
        return self.password

    def terminate_backends(self):
        """Ends every session of the mailers' role; returns how many."""
        return int(self.sql_patiently(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '{ROLE}'"))

    def restart(self, mode):
        """pg_ctl restart -m fast|immediate, waiting until the server takes connections."""
        subprocess.run(self._pg_ctl + ["restart", mode], check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
