-- seqcurate catalog for PostgreSQL, schema version 4: what re-runs remember of input files
-- (see schemas/catalog/004_file_memory.sql).
CREATE TABLE file_memory (
    path          TEXT    PRIMARY KEY,                        -- absolute path of the input file
    size          BIGINT  NOT NULL,                           -- bytes
    mtime_ns      BIGINT  NOT NULL,                           -- modification time, nanoseconds since 1970
    content_hash  TEXT    NOT NULL,                           -- hex SHA-256 of the file at that size and time
    hashed_at     TEXT    NOT NULL
);
