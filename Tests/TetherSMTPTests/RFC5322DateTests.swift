import Foundation
import Testing

@testable import TetherSMTP

@Suite("RFC 5322 dates")
struct RFC5322DateTests {
    private static func reference(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    @Test(
        "known instants format as RFC 5322 dates in UTC",
        arguments: [
            (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
            (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
            (1_796_405_999.9, "Fri, 04 Dec 2026 17:39:59 +0000"),
            (-1.0, "Wed, 31 Dec 1969 23:59:59 +0000"),
            (4_107_542_400.0, "Mon, 01 Mar 2100 00:00:00 +0000"),
        ])
    func knownInstants(seconds: Double, expected: String) {
        #expect(RFC5322Date.string(from: Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("agrees with Foundation's formatter from 1900 to 2300")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Double(Int64.random(in: -2_208_988_800...10_413_792_000, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC5322Date.string(from: date) == Self.reference(date), "\(seconds)")
        }
    }
}
