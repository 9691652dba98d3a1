import Foundation
import SeqFuzz

// Two builds of one executable (see docs/reliability.md):
//
// - `-DFUZZING` with `-sanitize=fuzzer,address` (tools/fuzz.sh): libFuzzer drives
//   `LLVMFuzzerTestOneInput`; the target comes from the SEQFUZZ_TARGET environment variable,
//   since libFuzzer owns the command line.
// - Otherwise a replayer, `seqfuzz TARGET FILE_OR_FOLDER...`, which runs the same target
//   functions over saved inputs without any sanitizer, so a crash file can be reproduced in a
//   debugger and `swift build` still links.

/// A folder for targets whose parsers read a path; removed by tools/fuzz.sh with its TMPDIR.
private func makeScratch() -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("seqfuzz-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

#if FUZZING

private let fuzzTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["SEQFUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("seqfuzz: set SEQFUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()
private let fuzzScratch = makeScratch()
/// With SEQFUZZ_STRICT=1 an error that breaks the SeqError contract (not a SeqError, more than
/// one line, or not naming the input) aborts, so libFuzzer saves the input like a crash.
private let fuzzStrict = ProcessInfo.processInfo.environment["SEQFUZZ_STRICT"] == "1"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    let outcome = fuzzTarget.run(data, scratch: fuzzScratch)
    if fuzzStrict, let why = outcome.contractViolation(naming: fuzzTarget.inputPath(scratch: fuzzScratch)) {
        FileHandle.standardError.write(Data("seqfuzz: \(fuzzTarget.rawValue): \(why)\n".utf8))
        abort()
    }
    return 0
}

/// libFuzzer's driver, for a caller that owns `main` (libFuzzer's FuzzerDriver.cpp).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links every executable on Linux with `--defsym main=<module>_main` (so that tests
/// can link the module), which makes `main` this function rather than libFuzzer's own. It
/// therefore starts libFuzzer's driver itself, with the same command line.
@_cdecl("seqfuzz_main")
public func seqfuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { bytes, size in fuzzOneInput(bytes, size) }
}

#else

@main
struct SeqFuzzReplay {
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        guard args.count >= 2, let target = FuzzTarget(rawValue: args.removeFirst()) else {
            print("usage: seqfuzz \(names) FILE_OR_FOLDER...\n(replays saved inputs; tools/fuzz.sh builds the fuzzing variant)")
            exit(2)
        }
        let scratch = makeScratch()
        var files: [URL] = []
        for arg in args {
            let url = URL(fileURLWithPath: arg)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("seqfuzz: \(arg): no such file\n".utf8))
                try? FileManager.default.removeItem(at: scratch)
                exit(1)
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                files += names.sorted().filter { !$0.hasPrefix(".") }.map { url.appendingPathComponent($0) }
            } else {
                files.append(url)
            }
        }
        var violations = 0
        for url in files {
            guard let data = FileManager.default.contents(atPath: url.path) else { continue }
            let outcome = target.run(data, scratch: scratch)
            let why = outcome.contractViolation(naming: target.inputPath(scratch: scratch))
            if why != nil { violations += 1 }
            print("\(url.path): \(why.map { "CONTRACT VIOLATION: \($0)" } ?? outcome.description)")
        }
        // exit() skips defer blocks, so the scratch folder is removed here.
        try? FileManager.default.removeItem(at: scratch)
        exit(violations == 0 ? 0 : 1)
    }
}

#endif
