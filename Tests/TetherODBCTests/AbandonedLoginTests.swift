import Testing
import TetherODBC
import TetherPool
import TetherRetry

/// A login whose caller left runs on inside the driver; these check that it is counted and
/// waited for, so a process that exits after a pool's shutdown has no login still in OpenSSL.
@Suite("Abandoned logins", .needsPostgres)
struct AbandonedLoginTests {
    @Test("a cancelled login is counted until its thread has disconnected, and waited for")
    func cancelledLoginIsWaitedFor() async throws {
        let environment = try ODBCEnvironment()
        let listener = try SilentListener()
        defer { listener.close() }
        var configuration = ODBCConnection.Configuration()
        // Long enough that the cancel below comes while the login still runs, also on a loaded
        // machine (with 1 s, one CI run saw the login time out first).
        configuration.loginTimeout = .seconds(3)
        let login = Task { [target = try silentTarget(listener)] in
            try await ODBCConnection.connect(target, environment: environment, configuration: configuration)
        }
        #expect(await soon { environment.connectionHandles == 1 })
        login.cancel()
        let error = await #expect(throws: ODBCError.self) { try await login.value }
        #expect(error?.kind == .cancelled)
        #expect(environment.abandonedLoginsRunning == 1)

        // Cancelling the waiting task does not shorten the wait: it is cleanup.
        let waiter = Task { await environment.waitForAbandonedLogins() }
        waiter.cancel()
        #expect(await waiter.value == 0)
        #expect(environment.abandonedLoginsRunning == 0)
        #expect(environment.connectionHandles == 0)
    }

    @Test("a pool's shutdown returns after the login it abandoned has disconnected")
    func shutdownWaitsForAbandonedLogin() async throws {
        let environment = try ODBCEnvironment()
        let listener = try SilentListener()
        defer { listener.close() }
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 2
            $0.connectTimeout = .seconds(2)
        }
        let factory = ODBCConnectionFactory(environment: environment)
        let pool = try ODBCPool(factory: factory, target: try silentTarget(listener), configuration: configuration)
        let running = Task { await pool.run() }
        #expect(await soon { environment.connectionHandles == 1 })
        let started = ContinuousClock.now
        await pool.shutdown()
        // Bounded by the login timeout the driver was given (2 s) and the wait's three seconds more.
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(environment.abandonedLoginsRunning == 0)
        #expect(environment.connectionHandles == 0)
        await running.value
    }

    @Test("a pool's shutdown waits for its own abandoned logins, not for another pool's")
    func shutdownIgnoresOtherPoolsLogins() async throws {
        let environment = try ODBCEnvironment()
        let listener = try SilentListener()
        defer { listener.close() }
        // Pool B gives up on each login to the silent server after 500 ms and tries again.
        let stuck = try ODBCPool(
            factory: ODBCConnectionFactory(environment: environment), target: try silentTarget(listener),
            configuration: PoolConfiguration.testing.with {
                $0.connectTimeout = .milliseconds(500)
                $0.creationPolicy = try! ReconnectPolicy(
                    baseDelay: .milliseconds(100), maximumDelay: .milliseconds(300))
            })
        let serving = try ODBCPool(
            factory: ODBCConnectionFactory(environment: environment), target: try Databases.postgres(),
            configuration: .testing)
        let runs = [Task { await stuck.run() }, Task { await serving.run() }]
        #expect(try await serving.whoAmI() == "tether@tether")
        #expect(await soon { environment.abandonedLoginsRunning >= 1 })
        let started = ContinuousClock.now
        await serving.shutdown()
        // A login of its own may wait up to a second for the turn B's hanging login holds (as
        // one in CI did); B's abandoned logins would take four seconds each, and keep coming.
        #expect(ContinuousClock.now - started < .seconds(2.5))
        // Ends B's logins at once: each holds the process's login turn while it hangs.
        listener.close()
        await stuck.shutdown()
        for run in runs {
            await run.value
        }
        #expect(environment.abandonedLoginsRunning == 0)
    }

    /// Whether `condition` holds within five seconds, polled: a login thread starting is not a
    /// task this test could wait on.
    private func soon(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1000 where !condition() {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    private func silentTarget(_ listener: SilentListener) throws -> ODBCConnectString {
        var target = try Databases.postgres()
        target["Port"] = String(listener.port)
        return target
    }
}
