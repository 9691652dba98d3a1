import Foundation

/// A value computed on a global queue while the caller goes on; `wait()` returns it.
///
/// Ingest uses it to overlap stages (measuring a batch while the next one's faces are found)
/// and to load the face embedding network while the first frames are decoded.
public final class BackgroundJob<Value>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var value: Value?

    public init(_ work: @escaping () -> Value) {
        done.enter()
        DispatchQueue.global().async {
            self.value = work()
            self.done.leave()
        }
    }

    /// The value, once computed (blocks until then; may be called more than once, from any thread).
    public func wait() -> Value {
        done.wait()
        return value!
    }
}
