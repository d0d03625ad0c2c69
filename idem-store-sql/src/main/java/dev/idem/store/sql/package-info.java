/**
 * The SQL idempotency store, built on jOOQ: {@link dev.idem.store.sql.JooqIdempotencyStore} for
 * PostgreSQL, MariaDB/MySQL and H2, its schema (shipped as plain SQL resources next to this
 * package: {@code schema-postgres.sql}, {@code schema-mariadb.sql}, {@code schema-h2.sql}), the
 * purge of expired records, and the transactional mode ({@link
 * dev.idem.store.sql.SqlTransactionBinding}, {@link dev.idem.store.sql.JooqTransactionBinding}) in
 * which the claim, the method's own writes and the completion commit or roll back together.
 */
@NullMarked
package dev.idem.store.sql;

import org.jspecify.annotations.NullMarked;
