import TetherODBC

/// What `queue-mailer status` shows, read from the database.
public struct QueueStatus: Sendable, Equatable {
    /// Requests by state.
    public var requestsByState: [String: Int] = [:]
    /// Attempt results by outcome.
    public var resultsByOutcome: [String: Int] = [:]
    /// The ready request waiting longest past its run time, and for how many seconds.
    public var oldestReady: (id: Int64, seconds: Double)?
    /// Leases held, per owner, with how many have expired.
    public var leases: [(owner: String, held: Int, expired: Int)] = []

    public init() {}

    public static func == (lhs: QueueStatus, rhs: QueueStatus) -> Bool {
        lhs.requestsByState == rhs.requestsByState && lhs.resultsByOutcome == rhs.resultsByOutcome
            && lhs.oldestReady?.id == rhs.oldestReady?.id
            && lhs.leases.elementsEqual(rhs.leases, by: { $0 == $1 })
    }
}

/// The queue's gauges a running instance writes with its metrics.
public struct QueueGauges: Sendable, Equatable {
    /// Requests ready (now or later) or running.
    public var depth: Int
    /// How long the ready request waiting longest past its run time has waited; 0 when none.
    public var oldestReadySeconds: Double
}

extension QueueStore {
    /// The queue's depth and its oldest ready request's wait, in one session.
    public func gauges() async throws -> QueueGauges {
        let (sql, queue) = (self.sql, queueName)
        return try await database.withSession { session in
            let depth = try session.queryFirst(sql.unfinishedCount, [.text(queue)])?.decode(Int.self, at: 0) ?? 0
            let oldest = try session.queryFirst(sql.oldestReady, [.text(queue)]).map { Self.waited($0[1]) }
            return QueueGauges(depth: depth, oldestReadySeconds: oldest ?? 0)
        }
    }

    /// Counts by state and outcome, the oldest ready request and the leases held, in this queue.
    public func status() async throws -> QueueStatus {
        let (sql, queue) = (self.sql, queueName)
        return try await database.withSession { session in
            var status = QueueStatus()
            for row in try session.query(sql.countByState, [.text(queue)]) {
                status.requestsByState[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
            }
            for row in try session.query(sql.countByOutcome, [.text(queue)]) {
                status.resultsByOutcome[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
            }
            if let row = try session.queryFirst(sql.oldestReady, [.text(queue)]) {
                status.oldestReady = (try row.decode(Int64.self, at: 0), Self.waited(row[1]))
            }
            for row in try session.query(sql.leasesByOwner, [.text(queue)]) {
                let owner = (try? row.decode(String.self, at: 0)) ?? "?"
                status.leases.append((owner, try row.decode(Int.self, at: 1), Int(Self.number(row[2]))))
            }
            return status
        }
    }

    /// Makes failed or unknown requests ready again (see ``MailerCommand/RequeueOptions``).
    ///
    /// - Returns: how many requests were requeued.
    public func requeue(_ options: MailerCommand.RequeueOptions) async throws -> Int {
        let sql = self.sql
        var parameters: [ODBCValue] = [.int(Int64(options.attempts))]
        let filter: String
        if let state = options.state {
            filter = QueueSQL.stateFilter(withQueue: options.queue != nil)
            parameters.append(.text(state))
            if let queue = options.queue { parameters.append(.text(queue)) }
        } else {
            filter = QueueSQL.idFilter(count: options.ids.count)
            parameters += options.ids.map { .int($0) }
        }
        let bound = parameters
        return try await database.withSession { session in
            try session.execute(sql.requeue(where: filter), bound)
        }
    }

    /// The longest wait reported: what a run time of `-infinity` (written by hand) reads as.
    public static let longestWaitSeconds: Double = 100 * 365 * 86_400

    /// Seconds waited, from the database's figure, as both `status` and the running instance
    /// report it: never below zero (a run time the database reads as later than now, such as a
    /// row written by hand with a zone, has not been waited for) nor above
    /// ``longestWaitSeconds`` (an infinite wait would not print as a number).
    static func waited(_ value: ODBCValue) -> Double {
        let seconds = number(value)
        return seconds.isNaN ? 0 : min(max(0, seconds), longestWaitSeconds)
    }

    private static func number(_ value: ODBCValue) -> Double {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        case .decimal(let text), .text(let text): Double(text) ?? 0
        default: 0
        }
    }
}
