"""The store's schema as numbered migrations, applied in order; PRAGMA user_version says
which have run. A store written by a newer version is refused rather than guessed at.

Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, per-cycle samples, hash-chained events, the chain's head
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL,
        last_state TEXT,
        protocol_name TEXT NOT NULL,
        protocol_json TEXT NOT NULL,
        region TEXT NOT NULL,
        patient_ref TEXT NOT NULL,
        weight_kg REAL NOT NULL,
        operator TEXT NOT NULL,
        limits_sha256 TEXT NOT NULL,
        force_limit_n REAL,
        software_version TEXT NOT NULL,
        device_url TEXT NOT NULL,
        board_identity TEXT,
        host TEXT NOT NULL,
        process TEXT NOT NULL,
        event_count INTEGER NOT NULL DEFAULT 0,
        head_hash TEXT
    );
    CREATE TABLE samples (
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        cycle INTEGER NOT NULL,
        t_s REAL NOT NULL,
        target_n REAL,
        force_a_n REAL,
        force_b_n REAL,
        position_m REAL,
        velocity_m_s REAL,
        state TEXT NOT NULL,
        phase TEXT NOT NULL,
        PRIMARY KEY (session_id, cycle)
    ) WITHOUT ROWID;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        at TEXT NOT NULL,
        t_s REAL,
        kind TEXT NOT NULL,
        priority TEXT NOT NULL,
        message TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX events_by_session ON events(session_id, seq);
    INSERT INTO meta VALUES ('chain_count', '0');
    """,
    # 2: the board's status bits with every sample (switch, e-stop, releasing on the report)
    """
    ALTER TABLE samples ADD COLUMN status INTEGER;
    """,
    # 3: the patient register, prescriptions and set-up with each session, the maintenance log
    """
    CREATE TABLE patients (
        id INTEGER PRIMARY KEY,
        ref TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        weight_kg REAL NOT NULL,
        weight_date TEXT NOT NULL,
        height_cm REAL,
        regions TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE patient_changes (
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        before_json TEXT NOT NULL
    );
    ALTER TABLE sessions ADD COLUMN patient_id INTEGER REFERENCES patients(id);
    ALTER TABLE sessions ADD COLUMN prescription_json TEXT;
    ALTER TABLE sessions ADD COLUMN setup_json TEXT;
    ALTER TABLE sessions ADD COLUMN checks_json TEXT;
    CREATE TABLE session_notes (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        kind TEXT NOT NULL,
        data_json TEXT NOT NULL
    );
    CREATE INDEX sessions_by_patient ON sessions(patient_id, id);
    CREATE TABLE calibrations (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        weights TEXT NOT NULL,
        passed INTEGER NOT NULL,
        due TEXT NOT NULL,
        result_json TEXT NOT NULL,
        board_identity TEXT,
        device_url TEXT NOT NULL
    );
    CREATE TABLE daily_checks (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        operator TEXT NOT NULL,
        passed INTEGER NOT NULL,
        result_json TEXT NOT NULL,
        board_identity TEXT,
        device_url TEXT NOT NULL
    );
    """,
    # 4: protocols saved from a session into the library, beside the built-in presets
    """
    CREATE TABLE saved_protocols (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        protocol_json TEXT NOT NULL,
        from_session INTEGER NOT NULL REFERENCES sessions(id),
        saved_by TEXT NOT NULL,
        saved_at TEXT NOT NULL
    );
    """,
    # 5: the muscles: the envelope and the EMG gate's state with every sample, and the
    # relaxation figures (from force and position; from the EMG when connected) per session
    """
    ALTER TABLE samples ADD COLUMN emg_uv REAL;
    ALTER TABLE samples ADD COLUMN gate TEXT;
    ALTER TABLE sessions ADD COLUMN relaxation_json TEXT;
    ALTER TABLE sessions ADD COLUMN emg_json TEXT;
    """,
    # 6: the people at the table: accounts (disabled, never deleted), their token files, the
    # accounts' changes, and the backups taken of this store
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE user_tokens (
        token_sha256 TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at TEXT NOT NULL
    );
    CREATE TABLE account_changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        by TEXT NOT NULL,
        name TEXT NOT NULL,
        change TEXT NOT NULL
    );
    CREATE TABLE backups (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        path TEXT NOT NULL,
        by TEXT NOT NULL,
        sessions INTEGER NOT NULL,
        chain_count INTEGER NOT NULL
    );
    """,
    # 7: the clinic's health record: the store's own UID (unique identifiers across tables)
    # and each session's push to the FHIR server, kept across restarts
    """
    INSERT INTO meta VALUES ('store_uid', lower(hex(randomblob(16))));
    CREATE TABLE fhir_pushes (
        session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
        server TEXT NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        last_try_at TEXT,
        last_error TEXT,
        sent_at TEXT,
        procedure TEXT
    );
    """,
    # 8: each person's language at the console (NULL: the site's)
    """
    ALTER TABLE users ADD COLUMN language TEXT;
    """,
    # 9: the language a session was run in: its report is drawn in it
    """
    ALTER TABLE sessions ADD COLUMN language TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(RuntimeError):
    """The store cannot be used by this version of the software."""


def check_version(db: sqlite3.Connection) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the records store is at schema version {version}, this software knows up to "
            f"{SCHEMA_VERSION}: use a newer version of the software, nothing was changed"
        )
    return version


def migrate(db: sqlite3.Connection) -> int:
    """Bring the store to SCHEMA_VERSION; each migration commits with its version number."""
    version = check_version(db)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[number - 1]
        # executescript commits first; BEGIN makes the migration and its number one unit
        db.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return SCHEMA_VERSION
