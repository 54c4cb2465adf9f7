import Testing

@testable import TetherODBC

@Suite("ConnectionRelease")
struct ConnectionReleaseTests {
    /// Plays a driver whose disconnects succeed or fail as scripted, and records the calls.
    final class Script {
        var disconnects: [Bool]
        var freeSucceeds = true
        var calls: [String] = []

        init(disconnects: [Bool]) {
            self.disconnects = disconnects
        }

        var release: ConnectionRelease {
            ConnectionRelease(
                disconnect: {
                    self.calls.append("disconnect")
                    return self.disconnects.removeFirst()
                },
                rollback: { self.calls.append("rollback") },
                free: {
                    self.calls.append("free")
                    return self.freeSucceeds
                },
                diagnostics: { [ODBCDiagnostic(sqlState: "25000", nativeCode: 0, message: "transaction open")] })
        }
    }

    @Test("a handle the driver disconnects at once is freed without a rollback")
    func disconnectsAtOnce() {
        let script = Script(disconnects: [true])
        #expect(script.release.run(connected: true) == nil)
        #expect(script.calls == ["disconnect", "free"])
    }

    @Test("a disconnect refused once is tried again after a rollback, then the handle is freed")
    func refusedOnce() {
        let script = Script(disconnects: [false, true])
        #expect(script.release.run(connected: true) == nil)
        #expect(script.calls == ["disconnect", "rollback", "disconnect", "free"])
    }

    @Test("a disconnect refused twice is reported with the driver's answer, and no free is tried")
    func refusedTwice() {
        let script = Script(disconnects: [false, false])
        let refusal = script.release.run(connected: true)
        #expect(script.calls == ["disconnect", "rollback", "disconnect"])
        #expect(refusal?.operation == "SQLDisconnect")
        #expect(refusal?.sqlState == "25000")
        #expect(refusal?.description.contains("stays allocated") == true)
    }

    @Test("a handle that never connected is only freed")
    func neverConnected() {
        let script = Script(disconnects: [])
        #expect(script.release.run(connected: false) == nil)
        #expect(script.calls == ["free"])
    }

    @Test("a free the driver manager refuses is reported")
    func freeRefused() {
        let script = Script(disconnects: [true])
        script.freeSucceeds = false
        #expect(script.release.run(connected: true)?.operation == "SQLFreeHandle")
    }
}
