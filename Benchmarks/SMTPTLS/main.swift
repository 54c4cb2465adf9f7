// The Tether side of `make bench-smtp-tls` (driven by Benchmarks/Peers/bench_smtp_tls.py):
// one STARTTLS connection to the loopback sink, the same message sent N times.
//
//   SMTPTLSBenchmark write-message FILE SIZE
//   SMTPTLSBenchmark send PORT CA_FILE MESSAGES SIZE single|batch
//
// `write-message` writes the rendered message, so the Go peer sends the same bytes.
// `send` prints one line: messages=N seconds=S rate=R (connect, STARTTLS and QUIT included);
// `single` awaits each `send(_:)`, `batch` hands 100 messages at a time to `send(batch:)`.

@preconcurrency import Glibc
import TetherNet
import TetherSMTP

setvbuf(stdout, nil, _IOLBF, 0)

let arguments = Array(CommandLine.arguments.dropFirst())
switch (arguments.first, arguments.count) {
case ("write-message", 3):
    guard let size = Int(arguments[2]), size >= 400 else { usage("SIZE must be a number of at least 400") }
    let content = try benchmarkMessage(size: size).content
    guard let file = fopen(arguments[1], "wb"), fwrite(content, 1, content.count, file) == content.count else {
        usage("cannot write \(arguments[1])")
    }
    fclose(file)
case ("send", 6):
    guard let port = Int(arguments[1]), let count = Int(arguments[3]), count > 0, let size = Int(arguments[4]),
        let mode = SendMode(rawValue: arguments[5])
    else { usage("PORT, MESSAGES and SIZE must be numbers; the mode single or batch") }
    let elapsed = try await send(
        count: count, of: try benchmarkMessage(size: size), port: port, trustRoots: arguments[2], mode: mode)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("messages=\(count) seconds=\(seconds) rate=\(Double(count) / seconds)")
default:
    usage("unknown command")
}

enum SendMode: String {
    case single, batch
}

/// Sends `count` copies of `message` over one STARTTLS connection; returns the wall time.
func send(count: Int, of message: OutgoingMessage, port: Int, trustRoots: String, mode: SendMode) async throws
    -> Duration
{
    var tls = TLSConfiguration()
    tls.trustRootsFile = trustRoots
    var configuration = SMTPConfiguration(host: "127.0.0.1", port: port)
    configuration.tls = .required(tls)
    configuration.maximumMessagesPerConnection = count
    configuration.idleCheckInterval = .seconds(3600)
    let start = ContinuousClock.now
    let connection = try await SMTPConnection.connect(configuration)
    guard connection.isSecure else { throw BenchmarkFailure("the session is not under TLS") }
    var remaining = count
    while remaining > 0 {
        switch mode {
        case .single:
            _ = try await connection.send(message)
            remaining -= 1
        case .batch:
            let batch = [OutgoingMessage](repeating: message, count: min(remaining, 100))
            for result in await connection.send(batch: batch) { _ = try result.get() }
            remaining -= batch.count
        }
    }
    await connection.quit()
    return ContinuousClock.now - start
}

/// One message of about `size` bytes, rendered once and sent many times.
func benchmarkMessage(size: Int) throws -> OutgoingMessage {
    var email = Email(from: try EmailAddress("bench@tether.test"), subject: "benchmark")
    email.to = [try EmailAddress("sink@tether.test")]
    let line = String(repeating: "0123456789abcdef", count: 4) + "\n"
    email.text = String(repeating: line, count: max(1, (size - 300) / line.utf8.count))
    return try OutgoingMessage(email)
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func usage(_ problem: String) -> Never {
    fputs("SMTPTLSBenchmark: \(problem)\n", stderr)
    fputs("usage: SMTPTLSBenchmark write-message FILE SIZE\n", stderr)
    fputs("       SMTPTLSBenchmark send PORT CA_FILE MESSAGES SIZE single|batch\n", stderr)
    exit(2)
}
