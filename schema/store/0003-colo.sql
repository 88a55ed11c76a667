-- 0003: COLO pairs (what protection a guest should have) and the failovers they went through.

CREATE TABLE pairs (
	guest TEXT PRIMARY KEY REFERENCES guests (name) ON DELETE CASCADE,
	secondary_host TEXT,            -- NULL: the engine picks one
	checkpoint_ms INTEGER NOT NULL,
	port_base INTEGER NOT NULL,
	state TEXT NOT NULL,            -- wanted, syncing, protected, unprotected
	reason TEXT,
	auto_reprotect INTEGER NOT NULL DEFAULT 1,
	updated_us INTEGER NOT NULL
);

CREATE TABLE failovers (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	guest TEXT NOT NULL REFERENCES guests (name) ON DELETE CASCADE,
	ts_us INTEGER NOT NULL,
	cause TEXT NOT NULL,
	lost TEXT NOT NULL,
	lost_role TEXT NOT NULL,
	survivor TEXT,
	ok INTEGER NOT NULL,
	latency_ms REAL,
	detail TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX failovers_guest ON failovers (guest);

-- the disk a guest runs from, when a failover moved it off its defined disk
CREATE TABLE guest_disks (
	guest TEXT PRIMARY KEY REFERENCES guests (name) ON DELETE CASCADE,
	run_disk TEXT NOT NULL
);
