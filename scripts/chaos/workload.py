"""Requests enqueued all through the run, as a producer would: `queue-mailer enqueue -`.

Every `interval` a batch of 1-6 requests joins the pending lines; the pending lines are
enqueued together. When enqueue fails (the database restarting, a session terminated, the
password just rotated) the lines stay pending and go again with the next batch: their
idempotency keys make a repeat harmless, so nothing a producer meant to send is dropped.

Kinds, and the end each may legally reach:
- plain: one recipient;
- multi: two or three recipients and a Cc;
- mixed: one good recipient and one the relay refuses with 550 (sent, to the good one);
- rejected: only a refused recipient (failed with 550, nothing delivered).
Bodies are 100 bytes to 20 KB, so a message spans several proxy chunks.
"""

import json
import random
import threading
import time

KINDS = (("plain", 6), ("multi", 2), ("mixed", 1), ("rejected", 1))


class Workload:
    def __init__(self, producer, seed, interval=1.0):
        self.producer = producer
        self.interval = interval
        self.kinds = {}
        self.failures = 0
        self.refused = []
        self._random = random.Random(seed)
        self._pending = []
        self._sequence = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workload", daemon=True)

    def add(self, count):
        """Makes `count` more requests pending."""
        for _ in range(count):
            self._sequence += 1
            kind = self._random.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            key = f"chaos-{self._sequence:05d}-{kind}"
            self.kinds[key] = kind
            self._pending.append((key, json.dumps(self._request(key, kind))))

    def enqueue_pending(self):
        """Tries to enqueue every pending line once; returns whether none is left pending."""
        if not self._pending:
            return True
        try:
            lines = "".join(line + "\n" for _, line in self._pending)
            completed = self.producer.command("enqueue", "-", stdin=lines, timeout=30)
        except Exception:
            self.failures += 1
            return False
        if completed.returncode == 65:
            # A refused line is the generator's mistake, not a fault: keep it for the report.
            self.refused.append(completed.stdout + completed.stderr)
        elif completed.returncode != 0:
            self.failures += 1
            return False
        self._pending = []
        return True

    def pending_keys(self):
        return [key for key, _ in self._pending]

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def flush(self, seconds):
        """After the run: retries what is pending for at most `seconds`; returns whether all went."""
        deadline = time.monotonic() + seconds
        while not self.enqueue_pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(1)
        return True

    def _run(self):
        while not self._stop.wait(self.interval):
            self.add(self._random.randint(1, 6))
            self.enqueue_pending()

    def _request(self, key, kind):
        number = key.split("-")[1]
        good = [f"user{number}-{n}@chaos.test" for n in range(3)]
        request = {"idempotency_key": key, "from": "chaos@tether.test", "subject": f"chaos {key}",
                   "text": self._body()}
        if kind == "plain":
            request["to"] = good[:1]
        elif kind == "multi":
            request["to"] = good[:self._random.randint(2, 3)]
            request["cc"] = [f"copy{number}@chaos.test"]
        elif kind == "mixed":
            request["to"] = [good[0], f"rejected{number}@chaos.test"]
        else:
            request["to"] = [f"rejected{number}@chaos.test"]
        return request

    def _body(self):
        line = "The quick brown fox jumps over the lazy dog, again and again.\n"
        return line * self._random.choice((2, 10, 40, 320))
