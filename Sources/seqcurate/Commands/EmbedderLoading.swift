import Foundation
import SeqCore
import SeqIngest

/// INTERIM until h-embed (SeqEmbed) is merged into this branch: no embedding network is built
/// in, so the commands run without identity decisions. Replaced by the SeqEmbed wiring at merge.
enum EmbedderLoading {
    static func load(_ explicit: String?) throws -> FaceIdentityEmbedder {
        throw SeqError("this build has no face embedding network (SeqEmbed is not merged yet)")
    }

    static func loadIfFound(_ explicit: String?, quiet: Bool) throws -> FaceIdentityEmbedder? {
        if explicit != nil { _ = try load(explicit) }
        return nil
    }
}
