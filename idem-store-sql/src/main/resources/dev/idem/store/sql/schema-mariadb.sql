-- Idem idempotency records, MariaDB 10.5+ (tested on 10.11) and MySQL 8.
-- The key is varbinary: compared byte for byte, so case and trailing spaces count
-- (MariaDB's default collations are case-insensitive and PAD SPACE).
-- Times are UTC from the database clock (utc_timestamp(6)), with microseconds.
-- Rename the table here and in JooqIdempotencyStore.Builder.tableName(...) together.
create table if not exists `idem_records` (
  `idem_key`     varbinary(1020) not null,
  `state`        varchar(16)     not null,
  `token`        bigint          not null,
  `owner`        varchar(1000)   not null,
  `fingerprint`  varchar(255),
  `lease_until`  datetime(6),
  `outcome_kind` varchar(16),
  `outcome`      longblob,
  `created_at`   datetime(6)     not null,
  `expires_at`   datetime(6)     not null,
  primary key (`idem_key`),
  key `idem_records_expires_at_idx` (`expires_at`)
) engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin;
