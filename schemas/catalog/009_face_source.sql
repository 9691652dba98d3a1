-- seqcurate catalog, schema version 9: how each face of a track was obtained.
--
-- faces.face_source is one of
--   detected      full MTCNN (P-Net pyramid, R-Net, O-Net) found it: a key frame, or every
--                 frame with `ingest --exhaustive`
--   refined       R-Net and O-Net re-found it around the track's predicted box (frames between
--                 key frames)
--   interpolated  filled in between two faces of the track (`ingest --detect-every N`)
-- Faces ingested before this version keep NULL: the source is not known (interpolated says
-- which were interpolated).
ALTER TABLE faces ADD COLUMN face_source TEXT
    CHECK (face_source IS NULL OR face_source IN ('detected', 'refined', 'interpolated'));
