import CTetherODBC

extension ConnectionCore {
    /// Turns autocommit on or off; turning it on commits what is open, as ODBC specifies.
    func setAutocommit(_ on: Bool) throws(ODBCError) {
        guard let handle = try connectedHandle("SQLSetConnectAttr(SQL_ATTR_AUTOCOMMIT)") else {
            return
        }
        let value = ctether_SQLPOINTER_FROM_ULEN(SQLULEN(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF))
        let status = SQLSetConnectAttrW(handle, SQLINTEGER(SQL_ATTR_AUTOCOMMIT), value, 0)
        try check(status, "SQLSetConnectAttr(SQL_ATTR_AUTOCOMMIT)", SQL_HANDLE_DBC, handle, secrets)
        isManualCommit = !on
        hasOpenWork = false
        if on {
            // Turning autocommit on committed the driver's transaction, DDL and all.
            schemaChangedInTransaction = false
        }
    }

    /// Commits or rolls back the open transaction.
    func endTransaction(commit: Bool) throws(ODBCError) {
        guard let handle = try connectedHandle("SQLEndTran") else {
            return
        }
        let status = SQLEndTran(SQLSMALLINT(SQL_HANDLE_DBC), handle, SQLSMALLINT(commit ? SQL_COMMIT : SQL_ROLLBACK))
        try check(status, "SQLEndTran", SQL_HANDLE_DBC, handle, secrets)
        hasOpenWork = false
        // Under autocommit the driver has no transaction to end: one opened by SQL goes on.
        if schemaChangedInTransaction && isManualCommit {
            if !commit {
                forgetIdleStatements()
            }
            schemaChangedInTransaction = false
        }
    }

    /// Makes the connection fit for the next user: rolls back whatever transaction is open
    /// (also one opened with SQL `BEGIN` under autocommit) and turns autocommit back on.
    ///
    /// Returns `false` when that failed and the connection should be discarded.
    func reset() -> Bool {
        guard isConnected else {
            return false
        }
        do {
            if hasSQLTransaction {
                try rollbackSQLTransaction()
            }
            if isManualCommit {
                try endTransaction(commit: false)
                try setAutocommit(true)
            }
            retired.removeAll()
            resetFlag.needsReset.store(false, ordering: .releasing)
            return true
        } catch {
            return false
        }
    }

    /// Sends `ROLLBACK` as SQL for a transaction opened the same way, which `SQLEndTran` does
    /// not see under autocommit. Only a lost connection counts as failure: a database that
    /// finds no transaction to roll back has nothing to undo.
    private func rollbackSQLTransaction() throws(ODBCError) {
        hasSQLTransaction = false
        do throws(ODBCError) {
            let statement = try statement(for: "ROLLBACK")
            do throws(ODBCError) {
                _ = try statement.run([], .rowCount, session: self)
            } catch {
                drop(statement)
                throw error
            }
            reuse(statement)
        } catch  where error.kind == .connectionLost || error.kind == .connectionClosed {
            throw error
        } catch {
            return
        }
    }

    /// Ends the connection: rolls back (a driver refuses to disconnect inside a transaction,
    /// 25000), frees every statement, disconnects and frees the handle; see
    /// ``ConnectionRelease`` for a driver that refuses.
    func shutdown() {
        if isConnected {
            _ = reset()
        }
        cache.removeAll()
        retired.removeAll()
        if let handle {
            // Not yet: a handle left allocated is counted on its environment only; no pool delegate hears of it.
            if let refusal = ConnectionRelease.driver(handle, secrets: secrets).run(connected: isConnected) {
                environment.connectionHandleLeftAllocated(refusal)
            } else {
                environment.connectionHandleFreed()
            }
        }
        handle = nil
        isConnected = false
    }

    private func connectedHandle(_ operation: String) throws(ODBCError) -> SQLHDBC? {
        guard isConnected, let handle else {
            throw .closed(operation)
        }
        return handle
    }
}
