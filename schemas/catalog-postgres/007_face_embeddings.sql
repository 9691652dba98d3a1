-- seqcurate catalog for PostgreSQL, schema version 7: face embeddings
-- (see schemas/catalog/007_face_embeddings.sql); vectors are bytea.
CREATE TABLE face_embeddings (
    face_id   BIGINT  PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
    model     TEXT    NOT NULL,                               -- e.g. "dlib_face_resnet_v1"
    dimension BIGINT  NOT NULL CHECK (dimension > 0),
    vector    BYTEA   NOT NULL,                               -- dimension float32, little-endian
    CHECK (length(vector) = 4 * dimension)
);

CREATE TABLE identity_image_embeddings (
    identity_image_id BIGINT  PRIMARY KEY REFERENCES identity_images(id) ON DELETE CASCADE,
    model             TEXT    NOT NULL,
    dimension         BIGINT  NOT NULL CHECK (dimension > 0),
    vector            BYTEA   NOT NULL,
    CHECK (length(vector) = 4 * dimension)
);
