// Our SMTP client as a stand-alone sender, for `make bench-smtp-tls` (beside Go's net/smtp) and
// `make bench-mailer` (the ceiling the mailer is held against). Driven by Benchmarks/Peers/*.py.
//
//   SMTPSendBenchmark write-message FILE SIZE
//   SMTPSendBenchmark send PORT CA_FILE|none MESSAGES SIZE single|batch [CONNECTIONS]
//
// `write-message` writes the rendered message, so a peer sends the same bytes.
// `send` delivers MESSAGES copies over CONNECTIONS (default 1) connections to 127.0.0.1:PORT,
// with STARTTLS trusting CA_FILE, or in plaintext with `none`. `single` awaits each
// `send(_:)`; `batch` hands 100 messages at a time to `send(batch:)`. Prints one line:
// messages=N seconds=S rate=R (connecting, STARTTLS and QUIT included).

@preconcurrency import Glibc
import TetherSMTP
import TetherTestKit

setvbuf(stdout, nil, _IOLBF, 0)

let arguments = Array(CommandLine.arguments.dropFirst())
switch (arguments.first, arguments.count) {
case ("write-message", 3):
    guard let size = Int(arguments[2]), size >= 400 else { usage("SIZE must be a number of at least 400") }
    let content = try SampleMessages.outgoing(size: size).content
    guard let file = fopen(arguments[1], "wb"), fwrite(content, 1, content.count, file) == content.count else {
        usage("cannot write \(arguments[1])")
    }
    fclose(file)
case ("send", 6), ("send", 7):
    guard let port = Int(arguments[1]), let count = Int(arguments[3]), count > 0, let size = Int(arguments[4]),
        let mode = SendMode(rawValue: arguments[5]),
        let connections = arguments.count == 7 ? Int(arguments[6]) : 1, (1...count).contains(connections)
    else { usage("PORT, MESSAGES, SIZE and CONNECTIONS must be numbers; the mode single or batch") }
    let run = SendRun(
        port: port, trustRoots: arguments[2] == "none" ? nil : arguments[2], mode: mode, connections: connections)
    let elapsed = try await run.send(count: count, of: try SampleMessages.outgoing(size: size))
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("messages=\(count) seconds=\(seconds) rate=\(Double(count) / seconds)")
default:
    usage("unknown command")
}

func usage(_ problem: String) -> Never {
    fputs("SMTPSendBenchmark: \(problem)\n", stderr)
    fputs("usage: SMTPSendBenchmark write-message FILE SIZE\n", stderr)
    fputs("       SMTPSendBenchmark send PORT CA_FILE|none MESSAGES SIZE single|batch [CONNECTIONS]\n", stderr)
    exit(2)
}
