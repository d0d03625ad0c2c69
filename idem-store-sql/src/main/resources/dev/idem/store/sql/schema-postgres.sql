-- Idem idempotency records, PostgreSQL 12+ (tested on 15).
-- Times are the database clock's, with microseconds. The key is compared byte for byte ("C").
-- Rename the table here and in JooqIdempotencyStore.Builder.tableName(...) together.
create table if not exists "idem_records" (
  "idem_key"     varchar(255) collate "C" not null,
  "state"        varchar(16)  not null,
  "token"        bigint       not null,
  "owner"        varchar(1000) not null,
  "fingerprint"  varchar(255),
  "lease_until"  timestamp(6) with time zone,
  "outcome_kind" varchar(16),
  "outcome"      bytea,
  "created_at"   timestamp(6) with time zone not null,
  "expires_at"   timestamp(6) with time zone not null,
  primary key ("idem_key")
);
create index if not exists "idem_records_expires_at_idx" on "idem_records" ("expires_at");
