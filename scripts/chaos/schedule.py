"""The fault schedule: which fault happens when, drawn from the seed alone.

The same seed and length give the same schedule, printed at the start of every run, so a
run that found something can be repeated (`CHAOS_SEED=...`). What the faults then hit
(which message is on the wire when a connection drops) depends on timing and differs
between runs of one seed.

Discrete faults come at a rate per minute, each kind at least once however short the run.
The fault proxy's modes follow one another: every proxy fault in a shuffled order, each
followed by a spell of plain passing, over and over until the end.
"""

import random

# Faults per minute of chaos.
RATES = {
    "kill-mailer": 2,        # kill -9 of mailer b, restarted a few seconds later
    "pg-restart-fast": 1,    # pg_ctl restart -m fast
    "pg-restart-immediate": 1,  # pg_ctl restart -m immediate (a crash, recovery on start)
    "terminate-backends": 2,  # pg_terminate_backend of every mailer session
    "rotate-password": 1,    # ALTER ROLE ... PASSWORD, new password files, SIGHUP
    "restart-relay": 1,      # the SMTP server stopped by pid and started again
    "cut-database-replies": 2,  # for a few seconds, the database proxy loses replies (see fault_proxy)
}

PROXY_FAULTS = ("delay", "split", "drop", "blackhole")


class Event:
    def __init__(self, at, kind, **details):
        self.at = at
        self.kind = kind
        self.details = details

    def __str__(self):
        details = ", ".join(f"{key} {value}" for key, value in self.details.items())
        return f"{self.at:7.1f}s  {self.kind}" + (f" ({details})" if details else "")


def make_schedule(seed, seconds):
    """Returns the events of a run of `seconds`, sorted by time."""
    rng = random.Random(seed)
    events = []
    latest = max(seconds - 3.0, 2.0)
    for kind, rate in RATES.items():
        for _ in range(max(1, round(rate * seconds / 60))):
            at = round(rng.uniform(2.0, latest), 1)
            events.append(Event(at, kind, **_details(kind, rng)))
    events += _proxy_modes(rng, seconds)
    return sorted(events, key=lambda event: (event.at, event.kind))


def _details(kind, rng):
    if kind == "kill-mailer":
        return {"instance": "b", "down": round(rng.uniform(1.0, 4.0), 1)}
    if kind == "restart-relay":
        return {"down": round(rng.uniform(0.5, 3.0), 1)}
    if kind == "cut-database-replies":
        return {"seconds": round(rng.uniform(1.0, 4.0), 1)}
    return {}


def _proxy_modes(rng, seconds):
    events, at = [], round(rng.uniform(1.0, 4.0), 1)
    while at < seconds - 2:
        order = list(PROXY_FAULTS)
        rng.shuffle(order)
        for mode in order:
            if at >= seconds - 2:
                break
            length = rng.uniform(2.0, 6.0) if mode == "blackhole" else rng.uniform(3.0, 8.0)
            events.append(Event(at, "proxy", mode=mode))
            at = round(at + length, 1)
            events.append(Event(at, "proxy", mode="pass"))
            at = round(at + rng.uniform(2.0, 5.0), 1)
    return events
