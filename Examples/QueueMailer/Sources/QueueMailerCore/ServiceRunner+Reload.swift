import Foundation
import Synchronization
import TetherODBC
import TetherPool

extension ServiceRunner {
    /// SIGHUP: re-reads the configuration and swaps both pools to it without dropping work; a
    /// closed relay gate probes the new relay settings at once.
    func reload(_ pools: Pools, gate: RelayGate<ContinuousClock>) async {
        let updated: MailerConfiguration
        let connectString: ODBCConnectString
        do {
            updated = try MailerConfiguration.load(file: configFile, environment: ProcessInfo.processInfo.environment)
            connectString = try updated.database.odbcConnectString()
        } catch {
            logger.error("reload_failed", ["error": "\(error)", "keeping": "current settings"])
            return
        }
        // The store's SQL is written for the dialect and schema it started with.
        let sameTables =
            updated.database.effectiveDialect == configuration.database.effectiveDialect
            && updated.database.namespace == configuration.database.namespace
        if !sameTables {
            logger.warning(
                "restart_needed", ["reason": "the database's dialect or schema changes only on restart"])
        }
        // Side by side: a new database that is out of reach keeps its swap preparing (the pool
        // tries it while the current one serves) and must not hold back the relay's.
        async let database: SwapReport? =
            sameTables ? swapDatabase(pools.database, to: connectString, within: updated.database.swapTimeout) : nil
        logSwap("relay", await pools.relay.swap(to: updated.relay.smtpConfiguration()))
        gate.relaySwapped()
        if let report = await database {
            logSwap("database", report)
            await reconnectIfSkipped(pools.database, after: report)
        }
        // Not yet: queue, retry, relay_probe, outage_limit, metrics and log settings change only on restart.
        if updated.queue != configuration.queue {
            logger.warning("restart_needed", ["reason": "queue settings change only on restart"])
        }
        // A pool keeps its own settings (sizes, timeouts, login pacing); only its target is swapped.
        let databasePool = (try? Self.databasePoolConfiguration(updated.database))
        let relayPool = Self.relayPoolConfiguration(updated.relay)
        if databasePool != (try? Self.databasePoolConfiguration(configuration.database))
            || relayPool != Self.relayPoolConfiguration(configuration.relay)
        {
            logger.warning(
                "restart_needed", ["reason": "the pools' sizes, timeouts and login pacing change only on restart"])
        }
    }

    /// Swaps the database pool, giving up when the new target has not taken over within
    /// `timeout`: the current database goes on serving, and the reconnect that the swap held
    /// back (see `databaseRecovered`) can run.
    private func swapDatabase(
        _ pool: ConnectionPool<ODBCConnectionFactory>, to target: ODBCConnectString, within timeout: Duration
    ) async -> SwapReport {
        databaseSwapsPending.add(1, ordering: .sequentiallyConsistent)
        defer { databaseSwapsPending.subtract(1, ordering: .sequentiallyConsistent) }
        return await withTaskGroup(of: SwapReport?.self) { group in
            group.addTask { await pool.swap(to: target) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            while let next = await group.next() {
                guard let report = next else {
                    if !Task.isCancelled {
                        logger.warning(
                            "swap_timed_out", ["pool": "database", "swap_timeout": DurationText.format(timeout)])
                    }
                    // Cancelling the swap's caller abandons a swap still preparing; one that
                    // took over finishes its drain and reports as usual.
                    group.cancelAll()
                    continue
                }
                group.cancelAll()
                return report
            }
            preconditionFailure("the swap's task ended without a report")
        }
    }

    /// Reconnects when the database came back during a swap that then changed nothing: the
    /// connections may still lead to a server that failed over meanwhile.
    private func reconnectIfSkipped(_ pool: ConnectionPool<ODBCConnectionFactory>, after report: SwapReport) async {
        guard databaseSwapsPending.load(ordering: .sequentiallyConsistent) == 0,
            reconnectSkipped.exchange(false, ordering: .sequentiallyConsistent)
        else {
            return
        }
        guard report.abandoned else {
            return
        }
        let reconnect = await pool.reconnect()
        logger.info("reconnected", Self.fields("database", reconnect))
    }
}
