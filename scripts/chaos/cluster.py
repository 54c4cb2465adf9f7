"""Everything a chaos run controls, and the faults it applies to them.

The cluster also acts as the mailers' supervisor (as systemd would): a mailer that exits
without being killed is restarted. An exit with 69 (the database unreachable at start-up,
documented) is noted; any other exit is a crash and fails the run.
"""

import time

DATABASE_UNREACHABLE = 69


class Cluster:
    def __init__(self, database, mailers, producer, relay, proxies, say):
        self.database, self.mailers, self.producer = database, mailers, producer
        self.relay, self.say = relay, say
        # One fault proxy in front of the relay, one in front of PostgreSQL.
        self.proxy, self.database_proxy = proxies
        self.crashes = []
        self.refused_starts = 0
        self.applied = {}
        # Follow-ups (a restart after a kill) as (due time, action), run by the main loop, never
        # by a timer thread, so only one thread ever starts or stops processes.
        self.pending = []
        self.cut_until = 0.0

    def start_proxies(self):
        self.proxy.start()
        self.database_proxy.start()

    def start(self):
        self.relay.start()
        for mailer in self.mailers.values():
            mailer.start()

    def supervise(self):
        """Runs the follow-ups that are due; restarts mailers that ended by themselves; sends the
        SIGHUPs a start-up made wait."""
        self.run_due()
        for mailer in self.mailers.values():
            if mailer.process is not None and not mailer.running():
                code = mailer.process.returncode
                if code == DATABASE_UNREACHABLE:
                    self.refused_starts += 1
                    self.say(f"mailer {mailer.name} exited {code} (database unreachable at start); restarting")
                else:
                    self.crashes.append(f"mailer {mailer.name} (pid {mailer.pid}) exited {code}:\n"
                                        + mailer.log_tail())
                    self.say(f"mailer {mailer.name} CRASHED with {code}; restarting; see {mailer.log_path}")
                # Restarted a second later, as a supervisor would, not in a tight loop.
                mailer.process = None
                self._after(1.0, lambda name=mailer.name: self._restart_mailer(name))
            elif mailer.reload_pending:
                mailer.reload()

    def apply(self, event):
        self.applied[event.kind] = self.applied.get(event.kind, 0) + 1
        getattr(self, "_" + event.kind.replace("-", "_"))(**event.details)

    def heal(self):
        """Ends every fault: the proxy passes, the relay and every mailer run. Then every mailer
        session is ended once more, so each mailer must log in again with the current password."""
        self.pending.clear()
        self.proxy.set_mode("pass")
        self.database_proxy.set_mode("pass")
        if not self.relay.running():
            self.relay.start()
        for mailer in self.mailers.values():
            if not mailer.running():
                mailer.start()
        self._terminate_backends()

    def stop(self):
        """Stops whatever still runs; safe to call twice and after a failure."""
        for mailer in self.mailers.values():
            if mailer.running():
                mailer.kill()
        self.relay.stop()
        self.proxy.stop()
        self.database_proxy.stop()

    def _kill_mailer(self, instance, down):
        mailer = self.mailers[instance]
        if not mailer.running():
            self.say(f"mailer {instance} is already down")
            return
        pid = mailer.pid
        mailer.kill()
        self.say(f"kill -9 mailer {instance} (pid {pid}); back in {down} s")
        self._after(down, lambda: self._restart_mailer(instance))

    def _restart_mailer(self, instance):
        mailer = self.mailers[instance]
        if not mailer.running():
            mailer.start()
            self.say(f"mailer {instance} restarted (pid {mailer.pid})")

    def _pg_restart_fast(self):
        self._pg_restart("fast")

    def _pg_restart_immediate(self):
        self._pg_restart("immediate")

    def _pg_restart(self, mode):
        started = time.monotonic()
        self.database.restart(mode)
        self.say(f"PostgreSQL restarted -m {mode} in {time.monotonic() - started:.1f} s")

    def _cut_database_replies(self, seconds):
        self.database_proxy.set_mode("cut-replies")
        self.say(f"database proxy: cut-replies for {seconds} s")
        # Windows may overlap: the mode passes again only when the last one ends.
        self.cut_until = max(self.cut_until, time.monotonic() + seconds)
        self._after(seconds, self._end_cut)

    def _end_cut(self):
        if time.monotonic() >= self.cut_until:
            self.database_proxy.set_mode("pass")

    def _terminate_backends(self):
        self.say(f"terminated {self.database.terminate_backends()} mailer sessions")

    def _rotate_password(self):
        # Not yet: only the database password rotates; the relay's AUTH password never changes.
        password = self.database.rotate_password()
        for mailer in list(self.mailers.values()) + [self.producer]:
            mailer.set_password(password)
        for mailer in self.mailers.values():
            mailer.reload()
        waiting = [m.name for m in self.mailers.values() if m.reload_pending]
        self.say("password rotated, files rewritten, SIGHUP sent"
                 + (f" (mailer {', '.join(waiting)} gets it once started)" if waiting else ""))

    def _restart_relay(self, down):
        self.relay.stop()
        self.say(f"relay stopped (pid {self.relay.process.pid}); back in {down} s")
        self._after(down, self._start_relay)

    def _start_relay(self):
        if not self.relay.running():
            self.relay.start()
            self.say(f"relay started (pid {self.relay.process.pid})")

    def _proxy(self, mode):
        self.proxy.set_mode(mode)
        self.say(f"proxy: {mode}")

    def _after(self, seconds, action):
        self.pending.append((time.monotonic() + seconds, action))

    def run_due(self):
        now = time.monotonic()
        due = [item for item in self.pending if item[0] <= now]
        self.pending[:] = [item for item in self.pending if item[0] > now]
        for _, action in due:
            action()
