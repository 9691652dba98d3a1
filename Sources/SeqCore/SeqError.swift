import Foundation

/// A user-facing failure: one line that names the file (and line, where there is one) and the reason.
public struct SeqError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public var line: Int?
    public var reason: String

    public init(_ reason: String, file: String? = nil, line: Int? = nil) {
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f):\(l): \(reason)"
        case let (f?, nil): return "\(f): \(reason)"
        default: return reason
        }
    }
}

extension SeqError: LocalizedError {
    public var errorDescription: String? { description }
}
