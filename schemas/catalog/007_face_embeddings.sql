-- seqcurate catalog, schema version 3: face embeddings, for decisions by identity.
--
-- An embedding is a face descriptor (dlib's 128-d ResNet in seqcurate) stored as little-endian
-- float32 values in a BLOB (4 bytes per dimension), with the name of the model that made it:
-- embeddings of different models are never compared. Ingest embeds a sample of the faces of
-- each track (every Nth detected frame); identity images are embedded at import, or at the
-- first `exclude` or `export` that needs them. Which sequence matches which imported identity
-- is not stored: it is computed from these rows under the threshold in force (see
-- docs/catalog.md), so changing the threshold never leaves stale decisions behind.

CREATE TABLE face_embeddings (
    face_id   INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
    model     TEXT    NOT NULL,                               -- e.g. "dlib_face_resnet_v1"
    dimension INTEGER NOT NULL CHECK (dimension > 0),
    vector    BLOB    NOT NULL,                               -- dimension float32, little-endian
    CHECK (length(vector) = 4 * dimension)
);

CREATE TABLE identity_image_embeddings (
    identity_image_id INTEGER PRIMARY KEY REFERENCES identity_images(id) ON DELETE CASCADE,
    model             TEXT    NOT NULL,
    dimension         INTEGER NOT NULL CHECK (dimension > 0),
    vector            BLOB    NOT NULL,
    CHECK (length(vector) = 4 * dimension)
);
