-- seqcurate catalog, schema version 8: the work queue of `seqcurate queue add` and
-- `seqcurate ingest --from-queue`. A worker claims a queued video (PostgreSQL: FOR UPDATE SKIP
-- LOCKED) and holds it under a lease it renews while it works; a lease that expires (worker
-- killed, machine lost) returns the video to the queue. attempts counts claims; a video whose
-- attempts reach --max-attempts is marked failed with its last error. Times are ISO 8601 UTC
-- text with milliseconds, so they compare as text.
CREATE TABLE work_queue (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL UNIQUE,                    -- absolute path or URL of the video
    state         TEXT    NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,                    -- claims so far
    worker        TEXT,                                       -- host:pid of the worker holding (or that last held) it
    lease_expires TEXT,                                       -- while running: when the lease ends unless renewed
    last_error    TEXT,                                       -- the last failure, in plain words
    video_id      INTEGER REFERENCES videos(id) ON DELETE SET NULL,  -- the catalog video once done
    added_at      TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX work_queue_by_state ON work_queue (state, id);
