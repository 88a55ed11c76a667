-- 0001: guests, their members, and the append-only event log.
-- schema_version is created and bumped by cc-store itself, not here.

CREATE TABLE guests (
	name TEXT PRIMARY KEY,
	memory_mib INTEGER NOT NULL,
	vcpus INTEGER NOT NULL,
	disk TEXT NOT NULL,
	kernel TEXT,
	initrd TEXT,
	append TEXT,
	net TEXT NOT NULL,
	host TEXT NOT NULL,
	state TEXT NOT NULL,
	reason TEXT,
	created_us INTEGER NOT NULL,
	updated_us INTEGER NOT NULL
);

CREATE TABLE members (
	guest TEXT NOT NULL REFERENCES guests(name) ON DELETE CASCADE,
	role TEXT NOT NULL,
	host TEXT NOT NULL,
	pid INTEGER NOT NULL DEFAULT 0,
	start_time INTEGER NOT NULL DEFAULT 0,
	qmp_path TEXT,
	generation INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	PRIMARY KEY (guest, role)
);

-- append-only; AUTOINCREMENT so an id is never handed out twice
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	ts_us INTEGER NOT NULL,
	guest TEXT,
	member TEXT,
	kind TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX events_guest ON events (guest);
