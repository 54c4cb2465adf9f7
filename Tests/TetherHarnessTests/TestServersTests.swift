import Testing
import TetherTestKit

@Suite("TestServers")
struct TestServersTests {
    @Test("a missing server is skipped outside CI")
    func skipsOutsideCI() {
        let servers = TestServers(environment: [:])
        #expect(!servers.shouldRun(.postgres))
    }

    @Test("a missing server runs, and so fails, under CI=true")
    func runsUnderCI() {
        let servers = TestServers(environment: ["CI": "true"])
        #expect(servers.shouldRun(.postgres))
    }

    @Test("a missing variable names itself and how to start the servers")
    func missingVariableMessage() throws {
        let servers = TestServers(environment: [:])
        let error = #expect(throws: TestServers.MissingVariable.self) {
            try servers.value("TETHER_PG_DSN")
        }
        let text = try #require(error).description
        #expect(text.contains("TETHER_PG_DSN"))
        #expect(text.contains("with-test-servers.sh"))
    }

    @Test("a port outside 1...65535 is refused", arguments: ["0", "65536", "x"])
    func badPort(text: String) {
        let servers = TestServers(environment: ["P": text])
        #expect(throws: TestServers.MissingVariable.self) { try servers.port("P") }
    }
}
