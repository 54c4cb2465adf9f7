"""A local SMTP server for Tether's tests and demo, built on aiosmtpd.

Each accepted message is stored as <n>.eml in the store directory with a
<n>.json sidecar holding the envelope, so tests can compare what arrived with
what was sent. Optional STARTTLS (required before AUTH and MAIL) and AUTH
with one user. Recipients matching --reject get 550, so a demo shows a
permanent failure. Listens on loopback only. Stops on SIGTERM or SIGINT.
"""

import argparse
import itertools
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class StoringHandler:
    def __init__(self, store, reject):
        self.store = store
        self.reject = reject
        # Continue after what the store holds, so a restarted server never overwrites mail.
        existing = [int(name[:6]) for name in os.listdir(store) if name[:6].isdigit() and name.endswith(".eml")]
        self.counter = itertools.count(max(existing, default=0) + 1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(fragment in address for fragment in self.reject):
            return "550 5.1.1 <%s>: recipient rejected by test server" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            number = next(self.counter)
        base = os.path.join(self.store, "%06d" % number)
        with open(base + ".eml.tmp", "wb") as handle:
            handle.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json", "w") as handle:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, handle)
        return "250 2.0.0 OK queued as T%06d" % number


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode() == user and auth_data.password.decode() == password
        )
        # handled=False lets aiosmtpd answer 535 on failure instead of staying silent.
        return AuthResult(success=ok, handled=False)

    return authenticate


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth", help="user:password")
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    os.makedirs(args.store, exist_ok=True)

    options = {}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(
            authenticator=make_authenticator(user, password),
            auth_require_tls=bool(args.cert),
            auth_required=True,
        )
    controller = Controller(
        StoringHandler(args.store, args.reject),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="tether-test-smtp",
        **options,
    )
    controller.start()
    if args.ready_file:
        with open(args.ready_file, "w") as handle:
            handle.write("ready\n")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
