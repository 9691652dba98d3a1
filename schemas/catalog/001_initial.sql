-- seqcurate catalog, schema version 1.
--
-- The catalog is one SQLite file (default ./seqcurate.db). Paths of crops are relative to
-- the folder that holds the catalog, so the catalog and its crops move together.
-- Times are ISO 8601 UTC text. Nothing is ever deleted to exclude data: exclusions are rows.
-- Migrations are applied in order by seqcurate; PRAGMA user_version holds the version reached.

-- One run of `seqcurate ingest` or `seqcurate import-identities`.
CREATE TABLE ingest_runs (
    id                INTEGER PRIMARY KEY,
    command           TEXT    NOT NULL DEFAULT 'ingest',      -- ingest | import-identities
    detector          TEXT    NOT NULL,                       -- e.g. "mtcnn"
    weights_sha256    TEXT,                                   -- hash of the detector weights
    parameters_json   TEXT    NOT NULL DEFAULT '{}',          -- every option, as a JSON object
    seqcurate_version TEXT    NOT NULL,
    started_at        TEXT    NOT NULL,
    ended_at          TEXT,                                   -- NULL while running or after a crash
    status            TEXT    NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'finished', 'failed'))
);

-- One video file, identified by the hash of its content.
CREATE TABLE videos (
    id             INTEGER PRIMARY KEY,
    path           TEXT    NOT NULL,                          -- as given on the command line, made absolute
    content_hash   TEXT    NOT NULL UNIQUE,                   -- hex SHA-256 of the file
    duration       REAL,                                      -- seconds
    fps            REAL,
    width          INTEGER,
    height         INTEGER,
    frame_count    INTEGER,
    status         TEXT    NOT NULL CHECK (status IN ('ok', 'failed')),
    failure_reason TEXT,                                      -- set when status = 'failed'
    ingest_run_id  INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,
    ingested_at    TEXT    NOT NULL,
    CHECK (status = 'ok' OR failure_reason IS NOT NULL)
);

-- Shots between cuts; frame numbers are inclusive.
CREATE TABLE shots (
    id          INTEGER PRIMARY KEY,
    video_id    INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    shot_index  INTEGER NOT NULL,                             -- 0, 1, … within the video
    first_frame INTEGER NOT NULL,
    last_frame  INTEGER NOT NULL,
    UNIQUE (video_id, shot_index),
    CHECK (last_frame >= first_frame)
);

-- A face track inside one shot, with statistics of its boxes.
CREATE TABLE tracks (
    id              INTEGER PRIMARY KEY,
    video_id        INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    shot_id         INTEGER REFERENCES shots(id) ON DELETE CASCADE,
    track_index     INTEGER NOT NULL,                         -- 0, 1, … within the video
    first_frame     INTEGER NOT NULL,
    last_frame      INTEGER NOT NULL,
    face_count      INTEGER NOT NULL,                         -- faces on the track (detected or interpolated)
    mean_box_width  REAL    NOT NULL,
    mean_box_height REAL    NOT NULL,
    mean_score      REAL    NOT NULL,
    min_score       REAL    NOT NULL,
    max_center_step REAL    NOT NULL,                         -- largest move of the box centre between consecutive faces, pixels
    UNIQUE (video_id, track_index),
    CHECK (last_frame >= first_frame)
);
CREATE INDEX tracks_by_shot ON tracks (shot_id);

-- Every face on every track, kept or not, with its quality and the reason for the decision.
CREATE TABLE faces (
    id             INTEGER PRIMARY KEY,
    track_id       INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    video_id       INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    frame_index    INTEGER NOT NULL,
    time           REAL    NOT NULL,                          -- seconds from the start of the video
    x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,   -- box, pixels
    left_eye_x    REAL NOT NULL, left_eye_y    REAL NOT NULL,                 -- 5 landmarks, pixels
    right_eye_x   REAL NOT NULL, right_eye_y   REAL NOT NULL,
    nose_x        REAL NOT NULL, nose_y        REAL NOT NULL,
    mouth_left_x  REAL NOT NULL, mouth_left_y  REAL NOT NULL,
    mouth_right_x REAL NOT NULL, mouth_right_y REAL NOT NULL,
    score          REAL    NOT NULL,                          -- detection score
    interpolated   INTEGER NOT NULL DEFAULT 0 CHECK (interpolated IN (0, 1)),  -- --detect-every N filled this frame
    eye_distance   REAL    NOT NULL,                          -- pixels
    sharpness      REAL,                                      -- variance of the Laplacian of the aligned crop
    yaw            REAL,                                      -- pose proxies from the landmarks
    roll           REAL,                                      -- degrees
    crop_path      TEXT,                                      -- aligned crop, relative to the catalog folder; kept faces only
    crop_hash      INTEGER,                                   -- 64-bit dHash of the aligned crop, for near-duplicate exclusion
    kept           INTEGER NOT NULL CHECK (kept IN (0, 1)),
    reason         TEXT    NOT NULL,                          -- kept | low_score | small | blurry | pose | duplicate | not_spread | too_few
    CHECK ((kept = 1) = (reason = 'kept'))
);
CREATE INDEX faces_by_track ON faces (track_id, frame_index);
CREATE INDEX faces_by_video ON faces (video_id);

-- One sequence per selected track. Its kept faces are the faces of the track with kept = 1.
-- On export, sequences are numbered by id: the first exported one is label -1.
CREATE TABLE sequences (
    id          INTEGER PRIMARY KEY,
    track_id    INTEGER NOT NULL UNIQUE REFERENCES tracks(id) ON DELETE CASCADE,
    video_id    INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    face_count  INTEGER NOT NULL CHECK (face_count > 0),      -- kept faces
    first_frame INTEGER NOT NULL,
    last_frame  INTEGER NOT NULL
);
CREATE INDEX sequences_by_video ON sequences (video_id);

-- A person of an identity dataset (MS-Celeb-1M, CASIA-WebFace, any ROOT/<identity>/ tree).
CREATE TABLE identities (
    id              INTEGER PRIMARY KEY,
    dataset         TEXT NOT NULL,
    name            TEXT NOT NULL,                            -- folder name as found
    normalized_name TEXT NOT NULL,                            -- lower case, no spaces or underscores
    UNIQUE (dataset, name)
);
CREATE INDEX identities_by_normalized_name ON identities (normalized_name);

-- One image of an identity. status 'failed' keeps images that gave no face, with the reason.
CREATE TABLE identity_images (
    id            INTEGER PRIMARY KEY,
    identity_id   INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    source_path   TEXT    NOT NULL UNIQUE,                    -- absolute path of the original image
    crop_path     TEXT,                                       -- aligned crop relative to the catalog folder; NULL when the source is used as is
    aligned       INTEGER NOT NULL CHECK (aligned IN (0, 1)), -- 1: imported with --aligned
    status        TEXT    NOT NULL CHECK (status IN ('ok', 'failed')),
    reason        TEXT,                                       -- e.g. no_face, unreadable
    score         REAL,                                       -- detection score when detected
    crop_hash     INTEGER,                                    -- 64-bit dHash of the aligned image
    ingest_run_id INTEGER REFERENCES ingest_runs(id) ON DELETE SET NULL,
    CHECK (status = 'ok' OR reason IS NOT NULL)
);
CREATE INDEX identity_images_by_identity ON identity_images (identity_id);

-- Data kept out of training (test-set leakage guard). Exactly one target column is set,
-- the one named by kind. Re-running the same exclusion adds nothing.
CREATE TABLE exclusions (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('identity', 'video', 'face', 'identity_image')),
    identity_id       INTEGER REFERENCES identities(id) ON DELETE CASCADE,
    video_id          INTEGER REFERENCES videos(id) ON DELETE CASCADE,
    face_id           INTEGER REFERENCES faces(id) ON DELETE CASCADE,
    identity_image_id INTEGER REFERENCES identity_images(id) ON DELETE CASCADE,
    reason            TEXT NOT NULL,                          -- e.g. "name George_W_Bush in lfw protocol"
    protocol          TEXT NOT NULL,                          -- lfw | ytf | names | images
    source            TEXT NOT NULL,                          -- the pairs file, names file or image folder
    created_at        TEXT NOT NULL,
    CHECK ((kind = 'identity')       = (identity_id IS NOT NULL)),
    CHECK ((kind = 'video')          = (video_id IS NOT NULL)),
    CHECK ((kind = 'face')           = (face_id IS NOT NULL)),
    CHECK ((kind = 'identity_image') = (identity_image_id IS NOT NULL))
);
CREATE UNIQUE INDEX exclusions_unique ON exclusions (
    kind, IFNULL(identity_id, 0), IFNULL(video_id, 0), IFNULL(face_id, 0), IFNULL(identity_image_id, 0), protocol, source);
CREATE INDEX exclusions_by_identity ON exclusions (identity_id) WHERE identity_id IS NOT NULL;
CREATE INDEX exclusions_by_video ON exclusions (video_id) WHERE video_id IS NOT NULL;
CREATE INDEX exclusions_by_face ON exclusions (face_id) WHERE face_id IS NOT NULL;
CREATE INDEX exclusions_by_identity_image ON exclusions (identity_image_id) WHERE identity_image_id IS NOT NULL;

-- One `seqcurate export`.
CREATE TABLE exports (
    id              INTEGER PRIMARY KEY,
    out_dir         TEXT    NOT NULL,
    options_json    TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    faceid_num      INTEGER NOT NULL,
    seqid_num       INTEGER NOT NULL,
    identity_images INTEGER NOT NULL,                         -- lines in image_train_part1
    sequence_faces  INTEGER NOT NULL,                         -- lines in image_train_part2_seq
    manifest_sha256 TEXT    NOT NULL
);
