import Foundation

extension MailerApp {
    static func store(_ configuration: MailerConfiguration) async throws -> QueueStore {
        let connection = try await connect(configuration)
        return QueueStore(
            database: SingleConnectionDatabase(connection: connection), schema: schema(configuration),
            owner: ownerName(configuration), queueName: configuration.queue.name, lease: configuration.queue.lease)
    }

    static func migrate(_ configuration: MailerConfiguration) async throws -> Int32 {
        let store = try await store(configuration)
        let (from, to) = try await store.migrate()
        print(
            from == to ? "schema is at version \(to); nothing to do" : "schema migrated from version \(from) to \(to)")
        return 0
    }

    /// Reads every line first, reports each refused one by number, stores the rest.
    static func enqueue(_ options: MailerCommand.EnqueueOptions, _ configuration: MailerConfiguration) async throws
        -> Int32
    {
        let data: Data
        if let file = options.file {
            data = try readInput(file)
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        var valid: [SendRequest] = []
        var refused = 0
        // Split as bytes: in Swift "\r\n" is one Character, so a CRLF file would not split on "\n".
        for (index, bytes) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard let line = String(validating: bytes, as: UTF8.self) else {
                refused += 1
                printError("line \(index + 1) refused: request error: the line is not valid UTF-8")
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            do {
                valid.append(try SendRequest.parse(line: trimmed))
            } catch {
                refused += 1
                printError("line \(index + 1) refused: \(error)")
            }
        }
        let store = try await store(configuration)
        try await store.requireCurrentSchema()
        var stored = 0
        var duplicates = 0
        for start in stride(from: 0, to: valid.count, by: 500) {
            let batch = Array(valid[start..<min(start + 500, valid.count)])
            let outcome = try await store.enqueue(batch, defaultMaxAttempts: configuration.queue.defaultMaxAttempts)
            stored += outcome.filter { $0 }.count
            duplicates += outcome.filter { !$0 }.count
        }
        print("enqueued \(stored), already queued \(duplicates), refused \(refused)")
        return refused == 0 ? 0 : 65
    }

    /// Prints the queue's figures and the running instance's database and relay state (from its
    /// metrics file); with `metrics`, the Prometheus text too. When the database cannot be
    /// reached, says so and still prints the instance's state.
    static func status(_ configuration: MailerConfiguration, metrics: Bool) async throws -> Int32 {
        let code: Int32
        var queueMetrics: String?
        do {
            let store = try await store(configuration)
            try await store.requireCurrentSchema()
            let status = try await store.status()
            print(StatusReport.table(status, queue: configuration.queue.name), terminator: "")
            queueMetrics = StatusReport.metrics(status, queue: configuration.queue.name)
            code = 0
        } catch let error as MailerError where error.kind == .database {
            // The error on standard error like every other; the report keeps its one-word line.
            printError("\(error)")
            print("database: unreachable")
            code = 69
        }
        let file = configuration.metrics.textfile
        let instance = file.flatMap { FileManager.default.contents(atPath: $0) }.map {
            String(decoding: $0, as: UTF8.self)
        }
        let written = file.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date }
        if let file, instance == nil {
            print("instance: unknown (no metrics file at \(file) yet)")
        } else {
            print(StatusReport.instanceLine(metricsText: instance, age: written.map { Date().timeIntervalSince($0) }))
        }
        if metrics {
            print("")
            print(queueMetrics ?? "", terminator: "")
            if let file, let instance {
                print("# metrics of the last running instance, from \(file)")
                print(StatusReport.instanceMetrics(instance, without: queueMetrics ?? ""), terminator: "")
            }
        }
        return code
    }

    static func requeue(_ options: MailerCommand.RequeueOptions, _ configuration: MailerConfiguration) async throws
        -> Int32
    {
        let store = try await store(configuration)
        try await store.requireCurrentSchema()
        let count = try await store.requeue(options)
        guard count > 0 else {
            printError(
                "no failed or unknown request matched \(options.filterText) "
                    + "(a request with an attempt recorded as sent is never requeued)")
            return 65
        }
        print("requeued \(count) request\(count == 1 ? "" : "s")")
        return 0
    }

    /// The whole of `path`, read as a stream: pipes, FIFOs and `/dev/stdin` work as files do.
    /// The error names the path and the system's reason (`No such file or directory`,
    /// `Is a directory`, `Permission denied`).
    static func readInput(_ path: String) throws -> Data {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw MailerError(.input, field: path, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count == 0 {
                return data
            }
            guard count > 0 else {
                if errno == EINTR {
                    continue
                }
                throw MailerError(.input, field: path, String(cString: strerror(errno)))
            }
            data.append(buffer, count: count)
        }
    }
}
