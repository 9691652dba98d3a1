-- seqcurate catalog, schema version 5: long videos commit shot by shot.
--
-- Ingest commits a video each time a shot ends (and at least every 5 minutes of video), so a
-- killed run loses at most the shot it was in. Until its last shot is committed the video has
-- status 'partial': its committed shots, tracks, faces and sequences are final, but readers
-- that want whole videos (export, stats) take status 'ok' only. claimed_by_run is the run
-- working on a partial video; a later run takes it over, and resumes after its last committed
-- shot, once that run's process is gone. ingest_run_id stays the run that started the video
-- (its crop folder is named after it).
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt with the same ids
-- (foreign keys off, checked before the commit, as in version 2).

CREATE TABLE videos_v5 (
    id             INTEGER PRIMARY KEY,
    path           TEXT    NOT NULL,                          -- as given on the command line, made absolute; a URL as given
    content_hash   TEXT    NOT NULL UNIQUE,                   -- hex SHA-256 of the file
    duration       REAL,                                      -- seconds
    fps            REAL,
    width          INTEGER,
    height         INTEGER,
    frame_count    INTEGER,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'failed', 'partial')),
    failure_reason TEXT,                                      -- set when status = 'failed'
    ingest_run_id  INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,
    ingested_at    TEXT    NOT NULL,
    claimed_by_run INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,  -- the run ingesting a partial video
    CHECK (status <> 'failed' OR failure_reason IS NOT NULL)
);
INSERT INTO videos_v5 (id, path, content_hash, duration, fps, width, height, frame_count, status, failure_reason, ingest_run_id, ingested_at)
    SELECT id, path, content_hash, duration, fps, width, height, frame_count, status, failure_reason, ingest_run_id, ingested_at FROM videos;
DROP TABLE videos;
ALTER TABLE videos_v5 RENAME TO videos;
