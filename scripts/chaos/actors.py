"""The processes a chaos run starts and stops: mailer instances and the SMTP relay.

Each is started in a session of its own, so a Ctrl-C at the terminal reaches only the
orchestrator, which then stops them; and each is stopped by the process id recorded when
it was started, never by name.
"""

import json
import os
import secrets
import signal
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SERVER = os.path.join(HERE, "..", "smtp_server.py")


def write_atomically(path, text):
    """Writes `text` so a reader sees the old content or the new, never a mix."""
    with open(path + ".tmp", "w") as handle:
        handle.write(text)
    os.replace(path + ".tmp", path)


def record_pid(directory, process):
    """Appends the pid to DIR/pids, which run.sh sweeps if the orchestrator dies uncleanly."""
    with open(os.path.join(directory, "pids"), "a") as pids:
        pids.write(f"{process.pid}\n")


def stop_process(process, grace=10):
    """SIGTERM, then SIGKILL after `grace` seconds; returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


class Mailer:
    """One queue-mailer instance: its configuration and password file, and its current process."""

    def __init__(self, name, binary, directory, settings, relay_password):
        self.name, self.binary, self.directory = name, binary, directory
        self.config = os.path.join(directory, f"{name}.json")
        self.password_file = os.path.join(directory, f"{name}.password")
        self.process = None
        self.log_path = None
        self.starts = 0
        # Set when a password rotation happened before this process could take a SIGHUP.
        self.reload_pending = False
        settings = json.loads(json.dumps(settings))
        settings["instance_name"] = f"chaos-{name}"
        settings["database"]["password_file"] = self.password_file
        relay_password_file = os.path.join(directory, f"{name}.relay-password")
        settings["relay"]["password_file"] = relay_password_file
        write_atomically(relay_password_file, relay_password + "\n")
        write_atomically(self.config, json.dumps(settings, indent=2))

    def set_password(self, password):
        write_atomically(self.password_file, password + "\n")

    def command(self, *arguments, stdin=None, timeout=60):
        """Runs a one-shot command (migrate, enqueue) with this instance's configuration."""
        return subprocess.run([self.binary, "--config", self.config] + list(arguments), input=stdin,
                              capture_output=True, text=True, timeout=timeout, env=_clean_environment())

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.directory, "logs", f"mailer-{self.name}-{self.starts}.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([self.binary, "--config", self.config, "run"], stdout=log,
                                            stderr=subprocess.STDOUT, env=_clean_environment(),
                                            start_new_session=True)
        record_pid(self.directory, self.process)
        self.reload_pending = False

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def started(self):
        """Whether this process has logged `started`: its signal handlers are in place."""
        if not self.running():
            return False
        with open(self.log_path) as log:
            return "event=started" in log.read()

    def kill(self):
        """kill -9; the process is forgotten, so the supervisor does not take it for a crash."""
        self.process.kill()
        self.process.wait()
        self.process = None

    def reload(self):
        """SIGHUP, once the process can take one; before that, a SIGHUP would end it."""
        if self.started():
            self.process.send_signal(signal.SIGHUP)
            self.reload_pending = False
        else:
            self.reload_pending = True

    def database_up(self):
        """Whether the last database event this process logged is not `database_lost`."""
        with open(self.log_path) as log:
            events = [line for line in log if "event=database_lost" in line or "event=database_back" in line]
        return not events or "event=database_back" in events[-1]

    def resources(self):
        """(open descriptors, threads) of the running process, from /proc."""
        pid = self.process.pid
        return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))

    def log_tail(self, lines=15):
        with open(self.log_path) as log:
            return "".join(log.readlines()[-lines:])


class Relay:
    """scripts/smtp_server.py on a fixed loopback port, storing mail under `store`, with STARTTLS
    (the certificate scripts/test-servers.sh made) and AUTH required."""

    USER = "chaos"

    def __init__(self, port, store, directory, certificates):
        self.port, self.store, self.directory = port, store, directory
        self.certificates = certificates
        self.password = secrets.token_hex(12)
        self.process = None
        self.starts = 0

    @property
    def ca_file(self):
        return os.path.join(self.certificates, "ca.pem")

    def start(self):
        self.starts += 1
        ready = os.path.join(self.directory, "relay.ready")
        if os.path.exists(ready):
            os.remove(ready)
        log = open(os.path.join(self.directory, "logs", f"relay-{self.starts}.log"), "w")
        self.process = subprocess.Popen(
            ["/usr/bin/python3", SMTP_SERVER, "--port", str(self.port), "--store", self.store,
             "--ready-file", ready, "--reject", "rejected", "--auth", f"{self.USER}:{self.password}",
             "--cert", os.path.join(self.certificates, "server.pem"),
             "--key", os.path.join(self.certificates, "server.key")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        record_pid(self.directory, self.process)
        log.close()
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP relay did not start; see {log.name}")
            time.sleep(0.05)

    def stop(self):
        if self.process is not None:
            stop_process(self.process, grace=5)

    def running(self):
        return self.process is not None and self.process.poll() is None


def _clean_environment():
    """The environment without QUEUE_MAILER_* overrides, so only the configuration file counts."""
    return {key: value for key, value in os.environ.items() if not key.startswith("QUEUE_MAILER_")}
