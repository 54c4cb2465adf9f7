import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    /// The RFC 8305 race between the addresses of one name, driven with loopback addresses.
    @Suite("TCPStream connection race")
    struct ConnectRaceTests {
        private func loopback(_ port: Int) -> SocketAddress { SocketAddress(literal: "127.0.0.1", port: port)! }

        /// Writes and reads back a few bytes: only the echo server answers.
        private func expectEcho(_ stream: TCPStream) async throws {
            try await stream.write(Array("ping".utf8), deadline: .inMilliseconds(10_000))
            var received: [UInt8] = []
            while received.count < 4 {
                let chunk = try await stream.read(maximumCount: 16, deadline: .inMilliseconds(10_000))
                if chunk.isEmpty { break }
                received += chunk
            }
            #expect(received == Array("ping".utf8))
        }

        @Test("an address that swallows SYNs costs one stagger, not the deadline, and its attempt is closed")
        func swallowedSYN() async throws {
            let full = try await Servers.fullAcceptQueue()
            defer { full.close() }
            let echo = try Servers.echo()
            defer { echo.close() }
            let started = ContinuousClock.now
            let stream = try await TCPStream.connect(
                toFirstOf: [loopback(full.port), loopback(echo.port)], host: "race.test",
                deadline: .inMilliseconds(60_000), stagger: .milliseconds(100))
            defer { stream.close() }
            #expect(ContinuousClock.now - started < TetherNetSuites.promptly)
            try await expectEcho(stream)
            #expect(ProcessCensus.sockets(toPort: full.port) == full.filling.count)
        }

        @Test("a refused address gives way at once, without waiting for the stagger")
        func refusedGivesWay() async throws {
            let echo = try Servers.echo()
            defer { echo.close() }
            let started = ContinuousClock.now
            let stream = try await TCPStream.connect(
                toFirstOf: [loopback(try Servers.closedPort()), loopback(echo.port)], host: "race.test",
                deadline: .inMilliseconds(60_000), stagger: .seconds(60))
            defer { stream.close() }
            #expect(ContinuousClock.now - started < TetherNetSuites.promptly)
            try await expectEcho(stream)
        }

        @Test("when every address refuses, the last refusal is thrown")
        func allRefused() async throws {
            let ports = [try Servers.closedPort(), try Servers.closedPort()]
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(
                    toFirstOf: ports.map(loopback), host: "race.test", deadline: .inMilliseconds(10_000))
            }
            #expect(error?.code == .connectionRefused)
            #expect(error?.phase == .connect)
        }

        @Test("when no address answers by the deadline, the race times out and leaves no socket")
        func allSilent() async throws {
            let full = try await Servers.fullAcceptQueue()
            defer { full.close() }
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(
                    toFirstOf: [loopback(full.port), loopback(full.port)], host: "race.test",
                    deadline: .inMilliseconds(300), stagger: .milliseconds(100))
            }
            #expect(error?.code == .timedOut)
            #expect(ProcessCensus.sockets(toPort: full.port) == full.filling.count)
        }

        @Test("cancelling a race ends every attempt at once")
        func cancelled() async throws {
            let full = try await Servers.fullAcceptQueue()
            defer { full.close() }
            let addresses = [loopback(full.port), loopback(full.port), loopback(full.port)]
            let race = Task {
                try await TCPStream.connect(
                    toFirstOf: addresses, host: "race.test", deadline: .inMilliseconds(60_000),
                    stagger: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(100))
            let cancelledAt = ContinuousClock.now
            race.cancel()
            await #expect(throws: CancellationError.self) { _ = try await race.value }
            #expect(ContinuousClock.now - cancelledAt < TetherNetSuites.promptly)
            #expect(ProcessCensus.sockets(toPort: full.port) == full.filling.count)
        }

        @Test("address families alternate, starting with the first one's, in the resolver's order within each")
        func interleaving() {
            let v4 = [SocketAddress(literal: "127.0.0.1", port: 1)!, SocketAddress(literal: "127.0.0.2", port: 1)!]
            let v6 = [SocketAddress(literal: "::1", port: 1)!, SocketAddress(literal: "::2", port: 1)!]
            let names = { (addresses: [SocketAddress]) in addresses.map(\.description) }
            #expect(names(TCPStream.interleavingFamilies(v4 + v6)) == names([v4[0], v6[0], v4[1], v6[1]]))
            #expect(names(TCPStream.interleavingFamilies([v6[0]] + v4)) == names([v6[0], v4[0], v4[1]]))
            #expect(TCPStream.interleavingFamilies([]).isEmpty)
        }
    }
}
