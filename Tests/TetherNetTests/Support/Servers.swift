import Foundation
import TetherTestKit

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

    /// A port on which nothing listens (a listener that was closed again).
    static func closedPort() throws -> Int {
        let listener = try LoopbackListener()
        let port = listener.port
        listener.close()
        return port
    }
}

extension ContinuousClock.Instant {
    /// A deadline `milliseconds` from now.
    static func inMilliseconds(_ milliseconds: Int) -> ContinuousClock.Instant {
        .now + .milliseconds(milliseconds)
    }
}
