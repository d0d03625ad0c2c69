-- Idem idempotency records, H2 2.x. Identifiers are quoted (H2 upper-cases unquoted ones).
-- Times are the database clock's, with microseconds.
-- Rename the table here and in JooqIdempotencyStore.Builder.tableName(...) together.
create table if not exists "idem_records" (
  "idem_key"     varchar(255) not null,
  "state"        varchar(16)  not null,
  "token"        bigint       not null,
  "owner"        varchar(1000) not null,
  "fingerprint"  varchar(255),
  "lease_until"  timestamp(6) with time zone,
  "outcome_kind" varchar(16),
  "outcome"      varbinary,
  "created_at"   timestamp(6) with time zone not null,
  "expires_at"   timestamp(6) with time zone not null,
  primary key ("idem_key")
);
create index if not exists "idem_records_expires_at_idx" on "idem_records" ("expires_at");
