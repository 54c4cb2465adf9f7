"""The promises a chaos run checks at its end, from the database and the relay's stored mail.

Each check returns a Verdict: passed or not, one line of figures, and the ids of whatever
broke it. The checks read a snapshot taken after the mailers drained the queue; the lease
check runs again after they stopped.
"""

import collections
import email.parser
import json
import os

from database import SCHEMA

SETTLED = ("done", "failed", "unknown", "ready")


class Verdict:
    def __init__(self, name, problems, figures):
        self.name, self.problems, self.figures = name, problems, figures

    @property
    def passed(self):
        return not self.problems

    def lines(self, limit=20):
        yield f"  {'PASS' if self.passed else 'FAIL'}  {self.name}: {self.figures}"
        for problem in self.problems[:limit]:
            yield f"        {problem}"
        if len(self.problems) > limit:
            yield f"        ... and {len(self.problems) - limit} more"


class Snapshot:
    """Requests, results and stored messages, read once."""

    def __init__(self, database, store):
        self.requests = {row["id"]: row for row in database.rows(
            f"SELECT id, idempotency_key AS key, state, attempt, lease_owner,"
            f" lease_expires_at < now() AS expired, trim(both '<>' from message_id) AS message_id,"
            f" left(last_error, 40) AS last_error"
            f" FROM {SCHEMA}.mail_request")}
        self.results = collections.defaultdict(list)
        for row in database.rows(f"SELECT request_id, attempt, outcome, source, reply_text"
                                 f" FROM {SCHEMA}.mail_result ORDER BY request_id, attempt"):
            self.results[row["request_id"]].append(row)
        self.stored = stored_messages(store)
        self.by_message_id = {row["message_id"]: row for row in self.requests.values()}
        self.by_key = {row["key"]: row for row in self.requests.values()}


def stored_messages(store):
    """Message-ID -> [(file, envelope recipients)] for every message the relay stored."""
    found = collections.defaultdict(list)
    parser = email.parser.BytesHeaderParser()
    for name in sorted(os.listdir(store)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(store, name), "rb") as handle:
            message_id = (parser.parse(handle).get("Message-ID") or "").strip().strip("<>")
        sidecar = os.path.join(store, name[:-4] + ".json")
        recipients = json.load(open(sidecar))["to"] if os.path.exists(sidecar) else []
        found[message_id].append((name, recipients))
    return found


def enqueued(snapshot, workload, flushed):
    pending = [] if flushed else workload.pending_keys()
    missing = sorted(key for key in workload.kinds if key not in snapshot.by_key and key not in pending)
    problems = [f"never enqueued, the producer gave up: {key}" for key in pending]
    problems += [f"enqueued but not in the queue: {key}" for key in missing]
    problems += [f"enqueue refused a line: {output.strip()}" for output in workload.refused]
    return Verdict("every request the producer made is in the queue", problems,
                   f"{len(workload.kinds)} made, {len(snapshot.requests)} in the queue")


def settled(snapshot):
    states = collections.Counter(row["state"] for row in snapshot.requests.values())
    problems = [f"request {row['id']} is {row['state']}"
                + (f" (lease of {row['lease_owner']}, expired)" if row["expired"] else
                   f" (lease of {row['lease_owner']})" if row["lease_owner"] else "")
                for row in snapshot.requests.values() if row["state"] not in SETTLED]
    figures = ", ".join(f"{states[state]} {state}" for state in SETTLED + ("running", "cancelled"))
    out_of_attempts = sum(1 for row in snapshot.requests.values()
                          if row["state"] == "failed" and (row["last_error"] or "").startswith("no attempts left"))
    refused = states["failed"] - out_of_attempts
    figures += f" (failed: {refused} refused by the relay, {out_of_attempts} out of attempts)"
    return Verdict("every request done, failed, unknown or ready again", problems, figures)


def attempts_recorded(snapshot):
    problems, attempts = [], 0
    for row in snapshot.requests.values():
        recorded = [result["attempt"] for result in snapshot.results.get(row["id"], [])]
        # A claim in flight has no row yet: the only attempt allowed to lack one.
        finished = row["attempt"] - (1 if row["state"] == "running" else 0)
        attempts += row["attempt"]
        missing = sorted(set(range(1, finished + 1)) - set(recorded))
        extra = sorted(set(recorded) - set(range(1, row["attempt"] + 1)))
        if missing:
            problems.append(f"request {row['id']}: attempts {missing} of {row['attempt']} have no result")
        if extra:
            problems.append(f"request {row['id']}: results for attempts {extra} never claimed")
    rows = sum(len(results) for results in snapshot.results.values())
    return Verdict("every attempt has its result row", problems, f"{attempts} attempts, {rows} result rows")


def delivered_once(snapshot):
    problems, excused = [], []
    for message_id, copies in snapshot.stored.items():
        row = snapshot.by_message_id.get(message_id)
        if row is None:
            problems.append(f"stored {copies[0][0]} has Message-ID <{message_id}>, which no request has")
            continue
        if len(copies) < 2:
            continue
        outcomes = [f"{r['attempt']}:{r['outcome']}/{r['source']}" for r in snapshot.results.get(row["id"], [])]
        unknown = sum(1 for r in snapshot.results.get(row["id"], []) if r["outcome"] == "unknown")
        files = ", ".join(name for name, _ in copies)
        line = f"request {row['id']} stored {len(copies)} times ({files}); attempts {outcomes}"
        (excused if unknown >= len(copies) - 1 else problems).append(line)
    figures = (f"{sum(len(c) for c in snapshot.stored.values())} messages stored for {len(snapshot.stored)}"
               f" Message-IDs; {len(excused)} delivered twice after an attempt recorded unknown")
    return Verdict("no request delivered twice unless an earlier attempt is unknown", problems, figures), excused


def nothing_lost(snapshot, kinds):
    problems = []
    for row in snapshot.requests.values():
        copies = snapshot.stored.get(row["message_id"], [])
        kind = kinds.get(row["key"], "warm-up")
        really_sent = [r for r in snapshot.results.get(row["id"], [])
                       if r["outcome"] == "sent" and "already sent" not in (r["reply_text"] or "")]
        if (row["state"] == "done" or really_sent) and not copies:
            problems.append(f"request {row['id']} ({kind}) is {row['state']} with a sent result; the relay has no copy")
        if kind == "rejected" and (copies or row["state"] == "done"):
            problems.append(f"request {row['id']} has only refused recipients, is {row['state']}, {len(copies)} stored")
        for name, recipients in copies:
            if any("rejected" in recipient for recipient in recipients):
                problems.append(f"request {row['id']}: {name} was delivered to a refused recipient")
    states = collections.Counter((row["state"], bool(snapshot.stored.get(row["message_id"])))
                                 for row in snapshot.requests.values())
    unknown, unknown_stored = states["unknown", True] + states["unknown", False], states["unknown", True]
    figures = (f"{states['done', True]} done, each with its message stored; the relay has"
               f" {unknown_stored} of the {unknown} unknown")
    return Verdict("every sent request is in the relay's store, refused ones are not", problems, figures)


def no_leases(database):
    rows = database.rows(f"SELECT id, state, lease_owner FROM {SCHEMA}.mail_request"
                         f" WHERE state = 'running' OR lease_owner IS NOT NULL")
    problems = [f"request {row['id']} is {row['state']} with a lease of {row['lease_owner']}" for row in rows]
    return Verdict("no lease outlives the run (after both mailers stopped)", problems, f"{len(rows)} leases left")
