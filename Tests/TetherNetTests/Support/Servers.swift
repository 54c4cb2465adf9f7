import Foundation
import TetherTestKit

@testable import TetherNet

/// Loopback servers the tests start and stop themselves.
enum Servers {
    /// Echoes every byte back until the client closes, one thread per connection.
    static func echo(family: LoopbackListener.Family = .ipv4) throws -> LoopbackListener {
        try LoopbackListener(family: family) { connection in
            let thread = Thread {
                while true {
                    let bytes = connection.read()
                    if bytes.isEmpty || !connection.write(bytes) { break }
                }
                connection.close()
            }
            thread.start()
        }
    }

    /// Accepts and never sends a byte; the connections stay open until the listener closes.
    static func silent(family: LoopbackListener.Family = .ipv4) throws -> LoopbackListener {
        try LoopbackListener(family: family) { _ in }
    }

    /// A listener whose accept queue is full, so a further connect to it waits for its deadline:
    /// the loopback stand-in for an address that swallows SYNs.
    static func fullAcceptQueue() async throws -> FullAcceptQueue {
        let listener = try LoopbackListener(backlog: 0)
        var filling: [TCPStream] = []
        for _ in 0..<2 {
            if let stream = try? await TCPStream.connect(
                host: "127.0.0.1", port: listener.port, deadline: .inMilliseconds(200))
            {
                filling.append(stream)
            }
        }
        return FullAcceptQueue(listener: listener, filling: filling)
    }

    /// A port on which nothing listens (a listener that was closed again).
    static func closedPort() throws -> Int {
        let listener = try LoopbackListener()
        let port = listener.port
        listener.close()
        return port
    }
}

/// A listener with a full accept queue and the streams that fill it; ``close()`` ends both.
struct FullAcceptQueue {
    let listener: LoopbackListener
    let filling: [TCPStream]

    var port: Int { listener.port }

    func close() {
        filling.forEach { $0.close() }
        listener.close()
    }
}

extension ContinuousClock.Instant {
    /// A deadline `milliseconds` from now.
    static func inMilliseconds(_ milliseconds: Int) -> ContinuousClock.Instant {
        .now + .milliseconds(milliseconds)
    }
}
