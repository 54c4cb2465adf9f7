#!/usr/bin/env bash
# The queue-mailer demo (`make demo`): a SQLite queue under .demo/, the sample requests,
# a local aiosmtpd on a free loopback port that stores what it receives, one run of the
# mailer until the queue is empty, then the status table and the delivered messages.
# Only the SMTP server this script starts is stopped, by its process id.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python=/usr/bin/python3
demo=.demo
samples=Examples/QueueMailer/samples

rm -rf "$demo"
mkdir -p "$demo/mail"

echo "== building queue-mailer"
swift build --product queue-mailer -Xswiftc -warnings-as-errors >"$demo/build.log" 2>&1 || {
    cat "$demo/build.log" >&2
    exit 1
}
mailer="$(swift build --show-bin-path)/queue-mailer"

port="$("$python" scripts/free-port.py)"
"$python" scripts/smtp_server.py --port "$port" --store "$demo/mail" --reject rejected \
    --ready-file "$demo/smtp.ready" >"$demo/smtp.log" 2>&1 &
smtp_pid=$!
stop_smtp() {
    kill "$smtp_pid" 2>/dev/null || true
    wait "$smtp_pid" 2>/dev/null || true
}
trap stop_smtp EXIT
for _ in $(seq 1 100); do
    [[ -s "$demo/smtp.ready" ]] && break
    kill -0 "$smtp_pid" 2>/dev/null || { cat "$demo/smtp.log" >&2; exit 1; }
    sleep 0.1
done
[[ -s "$demo/smtp.ready" ]] || { echo "demo: the SMTP server did not start" >&2; exit 1; }
echo "== aiosmtpd on 127.0.0.1:$port (pid $smtp_pid), storing mail in $demo/mail"

# The configuration file sets TLS to none for this loopback relay; the port is chosen now.
export QUEUE_MAILER_CONFIG="$samples/demo-config.json"
export QUEUE_MAILER_RELAY_PORT="$port"

echo "== queue-mailer migrate"
"$mailer" migrate

echo "== queue-mailer enqueue $samples/requests.jsonl"
set +e
"$mailer" enqueue "$samples/requests.jsonl"
enqueued=$?
set -e
if [[ $enqueued -eq 65 ]]; then
    echo "   (one sample holds a malformed address on purpose: it is refused and named above)"
elif [[ $enqueued -ne 0 ]]; then
    exit "$enqueued"
fi

echo "== queue-mailer run --until-empty"
"$mailer" run --until-empty

echo "== queue-mailer status"
"$mailer" status

echo "== delivered messages (aiosmtpd store: $root/$demo/mail)"
"$python" - "$demo/mail" <<'PY'
import email, email.policy, glob, json, os, sys
paths = sorted(glob.glob(os.path.join(sys.argv[1], "*.eml")))
for path in paths:
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    with open(path[:-4] + ".json") as handle:
        envelope = json.load(handle)
    attachments = [part.get_filename() for part in message.iter_attachments()]
    print("   %s  %s" % (os.path.basename(path), message["Subject"]))
    print("              from %s to %s%s" % (envelope["from"], ", ".join(envelope["to"]),
          ("; attached: " + ", ".join(attachments)) if attachments else ""))
print("   %d messages" % len(paths) if paths else "   none")
PY
echo "== done: the queue is $root/$demo/queue.db, metrics in $root/$demo/queue-mailer.prom"
echo "   to look at it again: QUEUE_MAILER_CONFIG=$samples/demo-config.json $mailer status"
