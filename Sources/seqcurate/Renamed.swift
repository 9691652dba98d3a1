import ArgumentParser

/// Options renamed so that one word means one thing across commands. The old spellings still
/// work for one release, as hidden options (`--help-hidden` lists them, `--help` does not);
/// the root command's help carries this table, and so docs/commands.md.
enum Renamed {
    struct Rename {
        let old: String
        let new: String
        let commands: String
    }

    static let table: [Rename] = [
        Rename(old: "--every", new: "--detect-every", commands: "detect"),
        Rename(old: "--method", new: "--align", commands: "align"),
        Rename(old: "--min-face", new: "--min-face-size", commands: "detect, align, ingest, eval,\nimport-identities"),
        Rename(old: "--min-faces", new: "--min-sequence-faces", commands: "ingest"),
        Rename(old: "--max-faces", new: "--max-sequence-faces", commands: "ingest"),
        Rename(old: "--batch", new: "--batch-size", commands: "features (images per forward pass)"),
        Rename(old: "--batch", new: "--commit-every", commands: "import-identities (images per\ntransaction)"),
    ]

    /// The table as help text, within 80 columns.
    static var helpText: String {
        let oldWidth = table.map(\.old.count).max()!, newWidth = table.map(\.new.count).max()!
        let indent = String(repeating: " ", count: 2 + oldWidth + 4 + newWidth + 2)
        var lines = ["Renamed options (old -> new); the old names still work in this release but",
                     "are no longer listed (`seqcurate <subcommand> --help-hidden` shows them):"]
        for r in table {
            let commands = r.commands.split(separator: "\n")
            lines.append("  " + r.old.padding(toLength: oldWidth, withPad: " ", startingAt: 0) + " -> "
                         + r.new.padding(toLength: newWidth, withPad: " ", startingAt: 0) + "  " + commands[0])
            lines += commands.dropFirst().map { indent + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Refuses an option given under both its old and its new name (the new one counts as given
    /// when it is not at its default).
    static func check<T: Equatable>(old: T?, new: T, default: T, _ oldName: String, _ newName: String) throws {
        if old != nil && new != `default` {
            throw ValidationError("\(oldName) is the old name of \(newName): give only \(newName)")
        }
    }

    /// As `check(old:new:default:_:_:)`, for an option without a default.
    static func check<T>(old: T?, new: T?, _ oldName: String, _ newName: String) throws {
        if old != nil && new != nil {
            throw ValidationError("\(oldName) is the old name of \(newName): give only \(newName)")
        }
    }
}
