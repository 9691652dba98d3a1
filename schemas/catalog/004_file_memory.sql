-- seqcurate catalog, schema version 3: what ingest remembers of each input file, so that a
-- re-run skips unchanged files without reading them.
--
-- One row per input as ingest names it (absolute path; URLs are not remembered: they have no
-- size and modification time to trust). When a file's size and modification time are the
-- ones remembered, its content hash is taken from here instead of reading the file again; any
-- change of either makes ingest read and hash it anew and replace the row.

CREATE TABLE file_memory (
    path          TEXT    PRIMARY KEY,                        -- absolute path of the input file
    size          INTEGER NOT NULL,                           -- bytes
    mtime_ns      INTEGER NOT NULL,                           -- modification time, nanoseconds since 1970
    content_hash  TEXT    NOT NULL,                           -- hex SHA-256 of the file at that size and time
    hashed_at     TEXT    NOT NULL
);
