import Dispatch
import Glibc
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("Resolver")
    struct ResolverTests {
        @Test("a lookup stuck in the resolver does not hold up the next one")
        func slowLookupDoesNotBlockOthers() async throws {
            let release = DispatchSemaphore(value: 0)
            let resolver = Resolver(idleTimeout: .milliseconds(100)) { host, port in
                if host == "slow.test" { release.wait() }
                return .success([SocketAddress(literal: "127.0.0.1", port: port)!])
            }
            let slow = Task { try await resolver.resolve("slow.test", port: 25, deadline: .inMilliseconds(60_000)) }
            try await Task.sleep(for: .milliseconds(50))
            let started = ContinuousClock.now
            let fast = try await resolver.resolve("fast.test", port: 25, deadline: .inMilliseconds(60_000))
            #expect(ContinuousClock.now - started < TetherNetSuites.promptly)
            #expect(fast.map(\.description) == ["127.0.0.1:25"])
            release.signal()
            #expect(try await slow.value.count == 1)
        }

        @Test("lookups beyond the thread limit wait for a thread and are all answered")
        func moreLookupsThanThreads() async throws {
            let resolver = Resolver(idleTimeout: .milliseconds(100)) { host, port in
                .success([SocketAddress(literal: "127.0.0.1", port: port)!])
            }
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<(Resolver.maximumThreads * 8) {
                    group.addTask {
                        try await resolver.resolve("host\(index).test", port: 25, deadline: .inMilliseconds(30_000))
                            .count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answers == Resolver.maximumThreads * 8)
        }

        @Test("threads start for waiting lookups, at most four, and end once idle")
        func threadsComeAndGo() async throws {
            let resolver = Resolver(idleTimeout: .milliseconds(100), threadName: "dns-come-and-go") { _, port in
                usleep(50_000)
                return .success([SocketAddress(literal: "127.0.0.1", port: port)!])
            }
            let peak = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        _ = try await resolver.resolve("host\(index).test", port: 25, deadline: .inMilliseconds(30_000))
                        return ProcessCensus.threads(named: "dns-come-and-go")
                    }
                }
                return try await group.reduce(0, max)
            }
            #expect((2...Resolver.maximumThreads).contains(peak))
            var remaining = peak
            for _ in 0..<50 where remaining > 0 {
                try await Task.sleep(for: .milliseconds(100))
                remaining = ProcessCensus.threads(named: "dns-come-and-go")
            }
            #expect(remaining == 0)
        }
    }
}
