-- seqcurate catalog for PostgreSQL, schema version 9: how each face of a track was obtained
-- (see schemas/catalog/009_face_source.sql).
ALTER TABLE faces ADD COLUMN face_source TEXT
    CHECK (face_source IS NULL OR face_source IN ('detected', 'refined', 'interpolated'));
