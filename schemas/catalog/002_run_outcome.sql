-- seqcurate catalog, schema version 2: how a run ended, and which process ran it.
--
-- ingest_runs.status gains 'interrupted' (the run was stopped by SIGINT/SIGTERM, or its process
-- died and a later run found it gone), and each run records the pid and host of its process
-- so that a later run can tell a run that is still going from one whose process is gone.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt with the same ids;
-- seqcurate runs this with foreign keys off (the references from videos and identity_images
-- keep pointing at the same ids) and checks them before committing.

CREATE TABLE ingest_runs_v2 (
    id                INTEGER PRIMARY KEY,
    command           TEXT    NOT NULL DEFAULT 'ingest',      -- ingest | import-identities
    detector          TEXT    NOT NULL,                       -- e.g. "mtcnn"
    weights_sha256    TEXT,                                   -- hash of the detector weights
    parameters_json   TEXT    NOT NULL DEFAULT '{}',          -- every option, as a JSON object
    seqcurate_version TEXT    NOT NULL,
    started_at        TEXT    NOT NULL,
    ended_at          TEXT,                                   -- NULL while running
    status            TEXT    NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
    pid               INTEGER,                                -- process of the run; NULL for runs before version 2
    host              TEXT                                    -- host name of that process
);
INSERT INTO ingest_runs_v2 (id, command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status)
    SELECT id, command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status FROM ingest_runs;
DROP TABLE ingest_runs;
ALTER TABLE ingest_runs_v2 RENAME TO ingest_runs;
CREATE INDEX ingest_runs_running ON ingest_runs (status) WHERE status = 'running';
