extension ODBCConnection {
    /// How a connection logs in and runs statements.
    public struct Configuration: Sendable, Hashable {
        /// How long the login may take, from the first packet to the session being ready; ODBC
        /// counts whole seconds, so this is rounded up. It is always set: a driver left without
        /// one waits forever for a server that accepts and stays silent. Defaults to 10 seconds.
        public var loginTimeout: Duration = .seconds(10)

        /// How long one statement may run before the driver cancels it (``ODBCError/Kind/timedOut``),
        /// rounded up to whole seconds; `nil` lets statements run as long as the server allows.
        /// A timeout also bounds how long a thread stays busy when `SQLCancel` goes unanswered.
        /// Defaults to `nil`.
        public var queryTimeout: Duration? = nil

        /// How many prepared statements, by SQL text, each connection keeps for reuse; 0 turns
        /// the cache off. Defaults to 32.
        public var statementCacheCapacity = 32

        /// The defaults above.
        public init() {}

        /// Throws naming the first setting that makes no sense.
        func validate() throws(ODBCError) {
            if loginTimeout <= .zero {
                throw .invalidArgument("Configuration", "loginTimeout must be positive")
            }
            if let queryTimeout, queryTimeout <= .zero {
                throw .invalidArgument("Configuration", "queryTimeout must be positive or nil")
            }
            if statementCacheCapacity < 0 {
                throw .invalidArgument("Configuration", "statementCacheCapacity must not be negative")
            }
        }
    }
}
