import Foundation

/// The Go peer program, run as a child process once per measurement.
struct GoPeer {
    let executable: String

    /// Messages per second the Go channel reached, from the program's JSON line.
    func run(count: Int, capacity: Int, producers: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-n", "\(count)", "-capacity", "\(capacity)", "-producers", "\(producers)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let rate = object["msg_per_s"] as? Double
        else {
            throw GoPeerError(output: String(decoding: data, as: UTF8.self), status: process.terminationStatus)
        }
        return rate
    }
}

struct GoPeerError: Error, CustomStringConvertible {
    let output: String
    let status: Int32

    var description: String { "Go peer exited with status \(status), output: \(output)" }
}
