"""The invariant checks fail on the breaches they exist for (run before every chaos run).

    /usr/bin/python3 -m unittest discover -s scripts/chaos
"""

import collections
import unittest

import invariants


def snapshot(requests, results=(), stored=None):
    """A Snapshot built from rows, as the database and the relay's store would give them."""
    made = object.__new__(invariants.Snapshot)
    made.requests = {}
    for number, (state, attempt) in enumerate(requests, start=1):
        made.requests[number] = {"id": number, "key": f"k{number}", "state": state, "attempt": attempt,
                                 "lease_owner": "chaos-a-1" if state == "running" else None,
                                 "expired": state == "running", "message_id": f"m{number}@t", "last_error": None}
    made.results = collections.defaultdict(list)
    for request_id, attempt, outcome in results:
        made.results[request_id].append({"request_id": request_id, "attempt": attempt, "outcome": outcome,
                                         "source": "worker", "reply_text": "250 OK"})
    made.stored = collections.defaultdict(list, stored or {})
    made.by_message_id = {row["message_id"]: row for row in made.requests.values()}
    made.by_key = {row["key"]: row for row in made.requests.values()}
    return made


def copies(count):
    return [(f"{n:06d}.eml", ["user@chaos.test"]) for n in range(count)]


class InvariantTests(unittest.TestCase):
    def test_a_running_request_is_not_settled(self):
        self.assertTrue(invariants.settled(snapshot([("done", 1), ("ready", 2)])).passed)
        verdict = invariants.settled(snapshot([("done", 1), ("running", 1)]))
        self.assertFalse(verdict.passed)
        self.assertIn("request 2 is running", verdict.problems[0])

    def test_an_attempt_without_a_result_row_is_reported(self):
        whole = snapshot([("done", 2)], [(1, 1, "retry"), (1, 2, "sent")])
        self.assertTrue(invariants.attempts_recorded(whole).passed)
        verdict = invariants.attempts_recorded(snapshot([("done", 2)], [(1, 2, "sent")]))
        self.assertEqual(verdict.problems, ["request 1: attempts [1] of 2 have no result"])

    def test_only_the_attempt_in_flight_may_lack_a_row(self):
        self.assertTrue(invariants.attempts_recorded(snapshot([("running", 2)], [(1, 1, "retry")])).passed)

    def test_a_second_delivery_needs_an_unknown_attempt(self):
        excused = snapshot([("done", 2)], [(1, 1, "unknown"), (1, 2, "sent")], {"m1@t": copies(2)})
        verdict, lines = invariants.delivered_once(excused)
        self.assertTrue(verdict.passed)
        self.assertEqual(len(lines), 1)
        duplicated = snapshot([("done", 2)], [(1, 1, "retry"), (1, 2, "sent")], {"m1@t": copies(2)})
        self.assertFalse(invariants.delivered_once(duplicated)[0].passed)

    def test_mail_nobody_sent_is_reported(self):
        verdict, _ = invariants.delivered_once(snapshot([("done", 1)], [(1, 1, "sent")], {"other@t": copies(1)}))
        self.assertFalse(verdict.passed)

    def test_a_done_request_without_stored_mail_is_lost(self):
        kinds = {"k1": "plain"}
        self.assertTrue(invariants.nothing_lost(snapshot([("done", 1)], [(1, 1, "sent")],
                                                         {"m1@t": copies(1)}), kinds).passed)
        self.assertFalse(invariants.nothing_lost(snapshot([("done", 1)], [(1, 1, "sent")]), kinds).passed)

    def test_a_refused_request_must_not_be_delivered(self):
        refused = snapshot([("done", 1)], [(1, 1, "sent")], {"m1@t": copies(1)})
        self.assertFalse(invariants.nothing_lost(refused, {"k1": "rejected"}).passed)


if __name__ == "__main__":
    unittest.main()
