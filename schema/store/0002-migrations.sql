-- 0002: migrations and the query-migrate samples they went through.

CREATE TABLE migrations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	guest TEXT NOT NULL REFERENCES guests (name) ON DELETE CASCADE,
	source_host TEXT NOT NULL,
	dest_host TEXT NOT NULL,
	state TEXT NOT NULL,
	reason TEXT,
	params TEXT NOT NULL DEFAULT '{}',
	result TEXT NOT NULL DEFAULT '{}',
	started_us INTEGER NOT NULL,
	ended_us INTEGER
);

CREATE INDEX migrations_guest ON migrations (guest);

CREATE TABLE migration_samples (
	migration INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
	t_us INTEGER NOT NULL,
	sample TEXT NOT NULL,
	report TEXT NOT NULL
);

CREATE INDEX migration_samples_migration ON migration_samples (migration);
