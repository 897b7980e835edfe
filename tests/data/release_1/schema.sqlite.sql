-- The tables of release 1 (before schema migrations), as its create_all made them.
CREATE TABLE app_user (
	email VARCHAR(254) NOT NULL, 
	name VARCHAR NOT NULL, 
	role VARCHAR NOT NULL, 
	rep VARCHAR, 
	PRIMARY KEY (email)
);

CREATE TABLE audit_log (
	id INTEGER NOT NULL, 
	at DATETIME NOT NULL, 
	actor VARCHAR NOT NULL, 
	action VARCHAR NOT NULL, 
	entity VARCHAR NOT NULL, 
	entity_id VARCHAR NOT NULL, 
	detail TEXT NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_audit_log_at ON audit_log (at);

CREATE TABLE decision (
	id INTEGER NOT NULL, 
	month VARCHAR(7) NOT NULL, 
	text TEXT NOT NULL, 
	owner VARCHAR(120) NOT NULL, 
	due DATE NOT NULL, 
	metric VARCHAR(40), 
	target FLOAT, 
	status VARCHAR(10) NOT NULL, 
	outcome TEXT NOT NULL, 
	created_by VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	closed_by VARCHAR, 
	closed_at DATETIME, 
	row_version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_decision_month ON decision (month);

CREATE TABLE feedback (
	lead_id VARCHAR(64) NOT NULL, 
	decision VARCHAR NOT NULL, 
	reason VARCHAR, 
	note TEXT NOT NULL, 
	"by" VARCHAR NOT NULL, 
	at DATETIME NOT NULL, 
	id INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_feedback_at ON feedback (at);

CREATE INDEX ix_feedback_lead_id ON feedback (lead_id);

CREATE TABLE lead (
	lead_id VARCHAR(64) NOT NULL, 
	first_name VARCHAR NOT NULL, 
	last_name VARCHAR NOT NULL, 
	company VARCHAR NOT NULL, 
	email VARCHAR NOT NULL, 
	created_at DATETIME NOT NULL, 
	channel VARCHAR NOT NULL, 
	campaign VARCHAR NOT NULL, 
	persona VARCHAR NOT NULL, 
	industry VARCHAR NOT NULL, 
	country VARCHAR NOT NULL, 
	company_size INTEGER NOT NULL, 
	score INTEGER NOT NULL, 
	demo_request BOOLEAN NOT NULL, 
	page_views INTEGER NOT NULL, 
	form_submissions INTEGER NOT NULL, 
	owner VARCHAR, 
	mql_at DATETIME, 
	accepted_at DATETIME, 
	rejected_at DATETIME, 
	rejection_reason VARCHAR, 
	recycled_at DATETIME, 
	disqualified_at DATETIME, 
	sql_at DATETIME, 
	opportunity_at DATETIME, 
	won_at DATETIME, 
	lost_at DATETIME, 
	amount FLOAT, 
	row_version INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (lead_id)
);

CREATE INDEX ix_lead_channel ON lead (channel);

CREATE INDEX ix_lead_created_at ON lead (created_at);

CREATE INDEX ix_lead_mql_at ON lead (mql_at);

CREATE INDEX ix_lead_owner ON lead (owner);

CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE proposal (
	id INTEGER NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	candidate TEXT NOT NULL, 
	note TEXT NOT NULL, 
	proposed_by VARCHAR NOT NULL, 
	proposed_at DATETIME NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	decided_by VARCHAR, 
	decided_at DATETIME, 
	row_version INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE TABLE saved_mapping (
	name VARCHAR(120) NOT NULL, 
	document TEXT NOT NULL, 
	saved_by VARCHAR NOT NULL, 
	saved_at DATETIME NOT NULL, 
	PRIMARY KEY (name)
);

CREATE TABLE sla_version (
	version INTEGER NOT NULL, 
	effective_from DATE NOT NULL, 
	author VARCHAR NOT NULL, 
	change_note TEXT NOT NULL, 
	id INTEGER NOT NULL, 
	document TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_sla_version_effective_from ON sla_version (effective_from);

CREATE UNIQUE INDEX ix_sla_version_version ON sla_version (version);

CREATE TABLE touch (
	lead_id VARCHAR(64) NOT NULL, 
	rep VARCHAR NOT NULL, 
	at DATETIME NOT NULL, 
	kind VARCHAR NOT NULL, 
	outcome VARCHAR NOT NULL, 
	id INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_touch_at ON touch (at);

CREATE INDEX ix_touch_lead_id ON touch (lead_id);
