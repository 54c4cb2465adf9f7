import Testing
import TetherNet
import TetherTestKit

@Suite("No leaks: TCPStream and the event loop")
struct NetLeakTests {
    @Test("200 streams written to, then closed or cancelled mid-read, leave no socket and one loop thread")
    func streamsLeaveNothing() async throws {
        let listener = try LoopbackListener { _ in }
        defer { listener.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await Self.useAndEnd(port: listener.port, cancelMidRead: index.isMultiple(of: 2))
                }
            }
            try await group.waitForAll()
        }
        #expect(await Census.eventually { Census.sockets(toPort: listener.port) == 0 })
        #expect(Census.threads(named: "tether-net-loop") <= 1)
        // The resolver keeps at most four lookup threads (Resolver.maximumThreads), started on demand.
        #expect(Census.threads(named: "tether-net-dns") <= 4)
    }

    /// Connects, writes, then either closes or starts a read that the test cancels.
    private static func useAndEnd(port: Int, cancelMidRead: Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        let stream = try await TCPStream.connect(host: "127.0.0.1", port: port, deadline: deadline)
        try await stream.write(Array(repeating: 0x2A, count: 1024), deadline: deadline)
        guard cancelMidRead else {
            stream.close()
            return
        }
        let read = Task { try await stream.read(maximumCount: 1024, deadline: deadline) }
        await Task.yield()
        read.cancel()
        _ = try? await read.value
        #expect(stream.isClosed)
    }
}
