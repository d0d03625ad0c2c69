package dev.idem.store.sql;

import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyException;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotencyStoreException;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ExpiredRecordPurger;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import dev.idem.spi.RecordState;
import dev.idem.store.sql.Statements.Param;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jooq.Configuration;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.ParamType;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.conf.StatementType;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;

/**
 * An {@link IdempotencyStore} in a SQL table, through jOOQ: PostgreSQL, MariaDB, MySQL and H2.
 *
 * <pre>{@code
 * IdempotencyStore store =
 *     JooqIdempotencyStore.builder(dataSource, SQLDialect.POSTGRES)
 *         .tableName("idem_records")
 *         .build();
 * }</pre>
 *
 * <p><b>Schema.</b> The DDL ships per database as plain SQL resources for Flyway, Liquibase or a
 * DBA: {@code dev/idem/store/sql/schema-postgres.sql}, {@code schema-mariadb.sql} (MariaDB and
 * MySQL) and {@code schema-h2.sql}, written for the default table name {@value
 * RecordsTable#DEFAULT_NAME}; {@link #schemaDdl()} returns it for the configured name, and {@link
 * #createSchemaIfMissing()} runs it. Keys are compared exactly: case and trailing spaces count on
 * every database (MariaDB's key column is {@code varbinary}).
 *
 * <p><b>Statements.</b> jOOQ renders each statement once, when the store is built, for its
 * database, settings and table; calls run them as JDBC prepared statements with the call's values
 * bound (rendering per call cost more client CPU than the rest of a replay). Every time is the
 * database's clock ({@code statement_timestamp()}, {@code utc_timestamp(6)}, {@code
 * current_timestamp(6)}), with microseconds, so JVM clock skew plays no part. Outside a transaction
 * a claim is one statement on PostgreSQL and MariaDB, whether the key is new or not: a
 * data-modifying CTE that reads the record and inserts it only if absent (PostgreSQL), or an {@code
 * INSERT ... ON DUPLICATE KEY UPDATE} that changes nothing and returns the record found or inserted
 * (MariaDB; the inserted record carries a per-call nonce in its otherwise unused outcome column
 * until it completes, which is how the store tells the two apart). On H2 and MySQL, and in a
 * transaction, a claim is an insert-if-absent ({@code INSERT ... ON CONFLICT DO NOTHING RETURNING},
 * {@code INSERT IGNORE ... RETURNING} or H2's {@code MERGE}, as jOOQ renders it) followed, when the
 * key exists, by a read (a locking read in a transaction); MySQL, which has no {@code INSERT ...
 * RETURNING}, first reads the clock. An expired record or ended lease is taken over by an {@code
 * UPDATE} conditional on the token read and on the expiry. A fresh record's token is the database
 * clock in microseconds; a takeover's is {@code max(old + 1, now in microseconds)}, so tokens
 * increase per key even across release and expiry. {@link #complete}, {@link #release} and {@link
 * #renew} are one {@code UPDATE} or {@code DELETE} conditional on key, token, state and expiry.
 *
 * <p><b>Connections.</b> Built from a {@code DataSource}, the store borrows a connection per
 * operation, so a pool replaces broken connections after an outage without the store being rebuilt.
 * Built from a {@code DSLContext}, it takes connections from that context's connection provider and
 * renders with its settings (always quoting names, always with bind values); the context's execute
 * listeners do not see the store's statements. That context must not be bound to the application's
 * transactions unless the store is {@linkplain Builder#transactional transactional}.
 *
 * <p><b>Transactional mode.</b> With a {@link SqlTransactionBinding}, a claim made while the
 * calling thread is in a transaction on the same database joins that transaction: the record, the
 * method's own writes and the completion commit or roll back together, which gives exactly-once
 * effect for database work with no lease to expire. Such claims return {@link
 * ClaimResult#acquiredInTransaction}. A concurrent duplicate blocks on the key's unique index until
 * the first transaction ends, then replays its outcome (commit) or acquires the key (rollback). The
 * wait is bounded by the database's lock timeout, set for the claim's statements to {@link
 * Builder#lockTimeout} and restored after them (PostgreSQL {@code lock_timeout} with {@code
 * set_config(..., true)}, i.e. {@code SET LOCAL}; MariaDB/MySQL the session's {@code
 * innodb_lock_wait_timeout}, in whole seconds; H2 the session's {@code LOCK_TIMEOUT}); when it
 * expires, or the database picks the claim as a deadlock victim, the claim throws {@link
 * IdempotencyInProgressException} and the caller's transaction must roll back. Every other
 * operation also runs in the thread's transaction when there is one. Claims made outside a
 * transaction work as in the non-transactional store. All callers of one operation should use the
 * same mode: a non-transactional claim of a key held by an open transaction waits for it with the
 * session's own lock timeout. On H2 the clock is fixed at the transaction's start.
 *
 * <p><b>Expiry.</b> Expired records are treated as absent and are deleted by {@link #purgeExpired},
 * which a scheduler should call (see there). The store has no {@linkplain #completionNotifier()
 * completion notifier}: waiting duplicates poll.
 *
 * <p><b>Errors.</b> Every failure surfaces as {@link IdempotencyStoreException} with the driver's
 * {@link SQLException} as the cause (or jOOQ's exception when there is none); a transactional claim
 * that timed out on a lock throws {@link IdempotencyInProgressException}. Raw keys never appear in
 * messages.
 *
 * <p>Thread-safe.
 */
public final class JooqIdempotencyStore implements IdempotencyStore, ExpiredRecordPurger {

  /** The longest key and fingerprint the columns hold. */
  private static final int MAX_TEXT = 255;

  /** The longest owner the column holds; longer descriptions are cut. */
  private static final int MAX_OWNER = 1000;

  /** Bounds the claim's retries when records keep changing under it (release, takeover, purge). */
  private static final int MAX_CLAIM_ATTEMPTS = 16;

  /**
   * The operation name a lock timeout is reported under: the store only sees composed keys, which
   * it must not show, so the engine is expected to name the operation when it reports the failure.
   */
  private static final String LOCKED_OPERATION = "(transactional claim)";

  static {
    silenceJooqBanner();
  }

  private final Dialect dialect;
  private final Settings settings;
  private final DSLContext dsl;
  private final RecordsTable t;
  private final Statements sql;
  private final long storeId = new SecureRandom().nextLong();
  private final AtomicLong claims = new AtomicLong();
  private final @Nullable SqlTransactionBinding transactions;
  private final Duration lockTimeout;

  private JooqIdempotencyStore(Builder builder) {
    this.dialect = builder.dialect;
    this.settings = storeSettings(builder.configuration.settings());
    this.dsl = DSL.using(adopt(builder.configuration));
    this.t = RecordsTable.of(builder.tableName, dialect.timestampType());
    this.sql = new Statements(dialect, t, renderSettings(settings));
    this.transactions = builder.transactions;
    this.lockTimeout = builder.lockTimeout;
  }

  /**
   * Keeps jOOQ from printing its logo and a tip of the day to the application's log: jOOQ reads
   * {@code org.jooq.no-logo} and {@code org.jooq.no-tips} once, when it first renders SQL, which
   * the store does as it is built. A property the application set, to {@code false} too, is left
   * alone.
   */
  static void silenceJooqBanner() {
    for (String property : new String[] {"org.jooq.no-logo", "org.jooq.no-tips"}) {
      try {
        if (System.getProperty(property) == null) {
          System.setProperty(property, "true");
        }
      } catch (SecurityException e) {
        // a security manager forbids it: jOOQ prints its banner, nothing else changes
      }
    }
  }

  /**
   * Starts building a store that runs its statements through the given context (its dialect must be
   * one of PostgreSQL, MariaDB, MySQL or H2).
   *
   * @param dsl the context; its connection handling and settings are kept, its rendering of names
   *     is not (the store always quotes)
   * @return the builder
   * @throws IllegalArgumentException if the context's dialect is not supported
   */
  public static Builder builder(DSLContext dsl) {
    Objects.requireNonNull(dsl, "dsl");
    return new Builder(dsl.configuration());
  }

  /**
   * Starts building a store that borrows a connection from {@code dataSource} for each statement.
   *
   * @param dataSource the data source, typically a connection pool
   * @param dialect the database: {@code POSTGRES}, {@code MARIADB}, {@code MYSQL} or {@code H2}
   * @return the builder
   * @throws IllegalArgumentException if the dialect is not supported
   */
  public static Builder builder(DataSource dataSource, SQLDialect dialect) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(dialect, "dialect");
    return new Builder(DSL.using(dataSource, dialect).configuration());
  }

  /**
   * Returns a non-transactional store on the default table {@value RecordsTable#DEFAULT_NAME}.
   *
   * @param dataSource the data source, typically a connection pool
   * @param dialect the database
   * @return the store
   * @throws IllegalArgumentException if the dialect is not supported
   */
  public static JooqIdempotencyStore of(DataSource dataSource, SQLDialect dialect) {
    return builder(dataSource, dialect).build();
  }

  @Override
  public String name() {
    return dialect.storeName();
  }

  /**
   * Returns the qualified, quoted name of the records table as this store renders it.
   *
   * @return the table name, for example {@code "idem_records"}
   */
  public String tableName() {
    return dsl.render(t.name);
  }

  /** {@inheritDoc} */
  @Override
  public ClaimResult claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    checkKey(key);
    if (fingerprint != null && fingerprint.length() > MAX_TEXT) {
      throw new IllegalArgumentException(
          "fingerprint longer than " + MAX_TEXT + " characters: " + fingerprint.length());
    }
    Objects.requireNonNull(owner, "owner");
    checkPositive(lease, "lease");
    checkPositive(ttl, "ttl");
    Claim claim = new Claim(key, fingerprint, truncate(owner), lease, ttl);
    DSLContext transaction = currentTransaction();
    try {
      return transaction == null
          ? dsl.connectionResult(c -> claim(c, claim, false))
          : claimInTransaction(transaction, claim);
    } catch (RuntimeException e) {
      throw failure("claim", e, transaction != null);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean complete(String key, long token, Outcome outcome, Duration ttl) {
    checkKey(key);
    Objects.requireNonNull(outcome, "outcome");
    checkPositive(ttl, "ttl");
    Object[] values = values(key);
    values[Param.TOKEN.ordinal()] = token;
    values[Param.OUTCOME_KIND.ordinal()] = outcome.kind().name();
    values[Param.OUTCOME.ordinal()] = outcome.unsafeBytes();
    values[Param.TTL_MICROS.ordinal()] = Dialect.micros(ttl);
    try {
      return context().connectionResult(c -> update(c, sql.complete, values)) == 1;
    } catch (RuntimeException e) {
      throw failure("complete", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean release(String key, long token) {
    checkKey(key);
    Object[] values = values(key);
    values[Param.TOKEN.ordinal()] = token;
    try {
      return context().connectionResult(c -> update(c, sql.release, values)) == 1;
    } catch (RuntimeException e) {
      throw failure("release", e, false);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Deletes the row. Tokens are the database clock in microseconds, so the next claim's token is
   * greater than the removed one's.
   */
  @Override
  public boolean delete(String key) {
    checkKey(key);
    Object[] values = values(key);
    try {
      return context().connectionResult(c -> update(c, sql.delete, values)) == 1;
    } catch (RuntimeException e) {
      throw failure("delete", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean renew(String key, long token, Duration lease) {
    checkKey(key);
    checkPositive(lease, "lease");
    Object[] values = values(key);
    values[Param.TOKEN.ordinal()] = token;
    values[Param.LEASE_MICROS.ordinal()] = Dialect.micros(lease);
    try {
      return context().connectionResult(c -> update(c, sql.renew, values)) == 1;
    } catch (RuntimeException e) {
      throw failure("renew", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public Optional<IdempotencyRecord> find(String key) {
    checkKey(key);
    DSLContext transaction = currentTransaction();
    Object[] values = values(key);
    try {
      Row row =
          transaction == null
              ? dsl.connectionResult(c -> read(c, values, false))
              : transaction.connectionResult(c -> read(c, values, true));
      return row == null || row.expired() ? Optional.empty() : Optional.of(row.toRecord(key));
    } catch (RuntimeException e) {
      throw failure("find", e, false);
    }
  }

  /**
   * Returns this store, which deletes its expired records when {@link #purgeExpired} is called.
   *
   * @return this store, as a purger
   */
  @Override
  public Optional<ExpiredRecordPurger> purger() {
    return Optional.of(this);
  }

  /**
   * Deletes at most {@code maxRecords} records that expired before the database's current time, in
   * one statement on the store's own connection (never in the caller's transaction). Records in use
   * by a concurrent takeover are skipped (PostgreSQL) or waited for (others); a record a takeover
   * revived is never deleted.
   *
   * <p>Expired records are already treated as absent, so purging only reclaims space. Call it
   * periodically, in batches small enough to keep each transaction short, until it returns less
   * than the batch size:
   *
   * <pre>{@code
   * scheduler.scheduleWithFixedDelay(() -> {
   *   while (store.purgeExpired(1_000) == 1_000) {}
   * }, 1, 5, TimeUnit.MINUTES);
   * }</pre>
   *
   * @param maxRecords the batch size; positive
   * @return how many records were deleted
   * @throws IdempotencyStoreException if the database fails
   */
  @Override
  public int purgeExpired(int maxRecords) {
    if (maxRecords <= 0) {
      throw new IllegalArgumentException("maxRecords must be positive: " + maxRecords);
    }
    try {
      return dialect.purge(dsl, t, maxRecords);
    } catch (RuntimeException e) {
      throw failure("purge", e, false);
    }
  }

  /**
   * Returns the DDL that creates this store's table and its expiry index if they are missing, for
   * the configured table name and this store's database: the shipped schema resource with the names
   * replaced. A schema in the table name must already exist.
   *
   * @return the statements, separated by semicolons
   */
  public String schemaDdl() {
    String resource = dialect.schemaResource();
    String sql;
    try (InputStream in = JooqIdempotencyStore.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing schema resource " + resource);
      }
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema resource " + resource, e);
    }
    DSLContext renderer = DSL.using(dialect.sqlDialect(), settings);
    String quote =
        dialect.sqlDialect().family() == SQLDialect.POSTGRES
                || dialect.sqlDialect().family() == SQLDialect.H2
            ? "\""
            : "`";
    return sql.replace(
            quote + RecordsTable.DEFAULT_INDEX_NAME + quote, dialect.indexName(renderer, t))
        .replace(quote + RecordsTable.DEFAULT_NAME + quote, renderer.render(t.name));
  }

  /**
   * Creates the table and its expiry index if they do not exist yet, by running {@link
   * #schemaDdl()} on the store's own connection. Opt-in: production schemas are usually managed by
   * a migration tool with the shipped SQL resources.
   *
   * @return this store
   * @throws IdempotencyStoreException if the database refuses the DDL
   */
  public JooqIdempotencyStore createSchemaIfMissing() {
    try {
      for (String statement : statements(schemaDdl())) {
        dsl.execute(statement);
      }
      return this;
    } catch (RuntimeException e) {
      throw failure("createSchema", e, false);
    }
  }

  /**
   * Checks that the records table exists with every column the store uses, by selecting them from
   * no row, so that a missing table stops the application at startup instead of failing every call
   * with {@link IdempotencyStoreException}. The Spring Boot starter calls it when it builds the
   * store.
   *
   * @return this store
   * @throws IdempotencyConfigurationException if the database reports the table or a column missing
   *     (or not readable), naming the table and the DDL to create it with
   * @throws IdempotencyStoreException if the database cannot be reached
   */
  public JooqIdempotencyStore requireSchema() {
    try {
      dsl.select(
              t.key,
              t.state,
              t.token,
              t.owner,
              t.fingerprint,
              t.leaseUntil,
              t.outcomeKind,
              t.outcome,
              t.createdAt,
              t.expiresAt)
          .from(t.table)
          .where(DSL.falseCondition())
          .fetch();
      return this;
    } catch (RuntimeException e) {
      SQLException sql = sqlException(e);
      String state = sql == null ? null : sql.getSQLState();
      if (state == null || !state.startsWith("42")) {
        throw failure("requireSchema", e, false);
      }
      throw IdempotencyConfigurationException.of(
          "Idem's table "
              + tableName()
              + " does not exist or lacks a column in the "
              + name()
              + " database ("
              + String.valueOf(sql.getMessage()).lines().findFirst().orElse("")
              + "). Create it with the DDL shipped in the idem-store-sql jar as"
              + " dev/idem/store/sql/"
              + dialect.schemaResource()
              + " (JooqIdempotencyStore.schemaDdl() gives it for this table name), from your"
              + " migrations, or call createSchemaIfMissing() at startup");
    }
  }

  @Override
  public String toString() {
    return "JooqIdempotencyStore["
        + name()
        + ", "
        + tableName()
        + (transactions == null ? "" : ", transactional")
        + "]";
  }

  // ---------------------------------------------------------------------------------------------

  private record Claim(
      String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
    Duration life() {
      return ttl.compareTo(lease) > 0 ? ttl : lease;
    }

    /** The values of a claim's statements. */
    Object[] values() {
      Object[] values = JooqIdempotencyStore.values(key);
      values[Param.OWNER.ordinal()] = owner;
      values[Param.FINGERPRINT.ordinal()] = fingerprint;
      values[Param.LEASE_MICROS.ordinal()] = Dialect.micros(lease);
      values[Param.LIFE_MICROS.ordinal()] = Dialect.micros(life());
      return values;
    }
  }

  private ClaimResult claimInTransaction(DSLContext transaction, Claim claim) {
    DSLContext ctx = DSL.using(adopt(transaction.configuration()));
    Dialect.LockTimeoutRestore restore = dialect.limitLockWait(ctx, lockTimeout);
    ClaimResult result;
    try {
      result = transaction.connectionResult(c -> claim(c, claim, true));
    } catch (RuntimeException e) {
      if (dialect.restoreAfterFailure()) {
        try {
          restore.restore(ctx);
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    restore.restore(ctx);
    return result;
  }

  /**
   * Claims on one connection. Outside a transaction, where the database can, one statement reads or
   * inserts the record ({@link Statements#claimOneTrip}); otherwise an insert-if-absent is followed
   * by a read when the key exists (in a transaction, a locking read that sees the latest committed
   * record). An expired record or ended lease is then taken over by an update conditional on the
   * token read.
   */
  private ClaimResult claim(Connection c, Claim claim, boolean inTransaction) throws SQLException {
    Object[] values = claim.values();
    Statements.Sql oneTrip = inTransaction ? null : sql.claimOneTrip;
    boolean marked = oneTrip != null && oneTrip.uses(Param.NONCE);
    for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      Row row;
      if (oneTrip != null) {
        if (marked) {
          values[Param.NONCE.ordinal()] = nonce();
        }
        try (PreparedStatement statement = c.prepareStatement(oneTrip.text)) {
          oneTrip.bind(statement, values);
          try (ResultSet rs = statement.executeQuery()) {
            if (!rs.next()) {
              continue;
            }
            long token = rs.getLong(1);
            if (!rs.wasNull()) {
              return ClaimResult.acquired(token, false);
            }
            row = row(rs, 2);
          }
        }
      } else {
        Long token = insertIfAbsent(c, values);
        if (token != null) {
          return inTransaction
              ? ClaimResult.acquiredInTransaction(token)
              : ClaimResult.acquired(token, false);
        }
        row = read(c, values, inTransaction);
      }
      if (row == null) {
        continue; // released, purged, or committed after this statement's snapshot
      }
      if (!row.expired() && !row.leaseEnded()) {
        IdempotencyRecord record = row.toRecord(claim.key);
        return record.isCompleted()
            ? ClaimResult.completed(record)
            : ClaimResult.inProgress(record);
      }
      long newToken = Math.max(row.token + 1, row.nowMicros);
      values[Param.TOKEN.ordinal()] = row.token;
      values[Param.NEW_TOKEN.ordinal()] = newToken;
      if (update(c, row.expired() ? sql.takeOverExpired : sql.takeOver, values) == 1) {
        return inTransaction
            ? ClaimResult.acquiredInTransaction(newToken)
            : ClaimResult.acquired(newToken, !row.expired());
      }
    }
    throw IdempotencyStoreException.of(
        name(),
        "claim",
        "the record kept changing under concurrent claims; no decision after "
            + MAX_CLAIM_ATTEMPTS
            + " attempts");
  }

  private @Nullable Long insertIfAbsent(Connection c, Object[] values) throws SQLException {
    try {
      if (dialect.insertReturning()) {
        try (PreparedStatement statement = c.prepareStatement(sql.insertIfAbsent.text)) {
          sql.insertIfAbsent.bind(statement, values);
          try (ResultSet rs = statement.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
          }
        }
      }
      long token;
      try (PreparedStatement statement = c.prepareStatement(sql.nowMicros.text);
          ResultSet rs = statement.executeQuery()) {
        rs.next();
        token = rs.getLong(1);
      }
      values[Param.NEW_TOKEN.ordinal()] = token;
      return update(c, sql.insertIfAbsent, values) == 1 ? token : null;
    } catch (SQLException e) {
      if (dialect.isDuplicateKey(e)) {
        return null; // H2's MERGE can still collide with a concurrent insert
      }
      throw e;
    }
  }

  private @Nullable Row read(Connection c, Object[] values, boolean currentRead)
      throws SQLException {
    Statements.Sql read = currentRead ? sql.readCurrent : sql.read;
    try (PreparedStatement statement = c.prepareStatement(read.text)) {
      read.bind(statement, values);
      try (ResultSet rs = statement.executeQuery()) {
        return rs.next() ? row(rs, 1) : null;
      }
    }
  }

  /** The record in the {@link Statements#ROW_COLUMNS} from {@code first} on, or null if none. */
  private @Nullable Row row(ResultSet rs, int first) throws SQLException {
    String state = rs.getString(first);
    if (state == null) {
      return null;
    }
    return new Row(
        RecordState.valueOf(state),
        rs.getLong(first + 1),
        rs.getString(first + 2),
        rs.getString(first + 3),
        dialect.instant(rs, first + 4),
        rs.getString(first + 5),
        rs.getBytes(first + 6),
        Objects.requireNonNull(dialect.instant(rs, first + 7), "created_at"),
        Objects.requireNonNull(dialect.instant(rs, first + 8), "expires_at"),
        Objects.requireNonNull(dialect.instant(rs, first + 9), "now"),
        rs.getLong(first + 10));
  }

  private static int update(Connection c, Statements.Sql update, Object[] values)
      throws SQLException {
    try (PreparedStatement statement = c.prepareStatement(update.text)) {
      update.bind(statement, values);
      return statement.executeUpdate();
    }
  }

  /**
   * A value no other claim uses: this store's random identity and a counter. Marks the record a
   * one-trip claim inserts (see {@link Statements#claimOneTrip}).
   */
  private byte[] nonce() {
    return ByteBuffer.allocate(16).putLong(storeId).putLong(claims.incrementAndGet()).array();
  }

  /** A values array with the key set, indexed by {@link Param#ordinal()}. */
  private static Object[] values(String key) {
    Object[] values = new Object[Param.values().length];
    values[Param.KEY.ordinal()] = key;
    return values;
  }

  /** A record as read, with the database's time of the read. */
  private record Row(
      RecordState state,
      long token,
      String owner,
      @Nullable String fingerprint,
      @Nullable Instant leaseUntil,
      @Nullable String outcomeKind,
      byte @Nullable [] outcome,
      Instant createdAt,
      Instant expiresAt,
      Instant now,
      long nowMicros) {

    boolean expired() {
      return !expiresAt.isAfter(now);
    }

    boolean leaseEnded() {
      return state == RecordState.IN_PROGRESS && (leaseUntil == null || !leaseUntil.isAfter(now));
    }

    IdempotencyRecord toRecord(String key) {
      Outcome stored = null;
      if (state == RecordState.COMPLETED) {
        OutcomeKind kind = OutcomeKind.valueOf(Objects.requireNonNull(outcomeKind, "outcome_kind"));
        byte[] bytes = outcome == null ? new byte[0] : outcome;
        stored =
            kind == OutcomeKind.VOID && bytes.length == 0
                ? Outcome.ofVoid()
                : Outcome.wrap(kind, bytes);
      }
      return new IdempotencyRecord(
          key,
          state,
          token,
          owner,
          fingerprint,
          state == RecordState.IN_PROGRESS ? leaseUntil : null,
          stored,
          createdAt,
          expiresAt);
    }
  }

  private @Nullable DSLContext currentTransaction() {
    return transactions == null ? null : transactions.currentTransaction();
  }

  /** The calling thread's transaction, or the store's own connections. */
  private DSLContext context() {
    DSLContext transaction = currentTransaction();
    return transaction == null ? dsl : transaction;
  }

  /** The given configuration with the store's dialect and rendering settings. */
  private Configuration adopt(Configuration configuration) {
    Configuration adopted = configuration.derive(settings);
    adopted.set(dialect.sqlDialect());
    return adopted;
  }

  private static Settings storeSettings(Settings base) {
    return ((Settings) base.clone())
        // every name is built with DSL.quotedName; render the quotes whatever the application set
        .withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_QUOTED)
        // MariaDB's INSERT IGNORE reports a warning per duplicate; fetching them is a round trip
        .withFetchWarnings(false);
  }

  /** The settings the statements are rendered with: bind values as indexed placeholders. */
  private static Settings renderSettings(Settings storeSettings) {
    return ((Settings) storeSettings.clone())
        .withStatementType(StatementType.PREPARED_STATEMENT)
        .withParamType(ParamType.INDEXED);
  }

  private RuntimeException failure(String operation, RuntimeException e, boolean claimInTx) {
    if (e instanceof IdempotencyException) {
      return e;
    }
    SQLException sql = sqlException(e);
    if (claimInTx && sql != null && dialect.isLockConflict(sql)) {
      return IdempotencyInProgressException.lockTimedOut(LOCKED_OPERATION, sql);
    }
    return IdempotencyStoreException.of(name(), operation, sql != null ? sql : e);
  }

  private static @Nullable SQLException sqlException(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SQLException sql) {
        return sql;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  private static List<String> statements(String ddl) {
    StringBuilder withoutComments = new StringBuilder();
    for (String line : ddl.split("\n", -1)) {
      if (!line.strip().startsWith("--")) {
        withoutComments.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String statement : withoutComments.toString().split(";")) {
      if (!statement.isBlank()) {
        statements.add(statement.strip());
      }
    }
    return statements;
  }

  private static void checkKey(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty() || key.length() > MAX_TEXT) {
      throw new IllegalArgumentException(
          "key must have 1 to " + MAX_TEXT + " characters: " + key.length());
    }
  }

  private static void checkPositive(Duration duration, String what) {
    Objects.requireNonNull(duration, what);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + duration);
    }
  }

  private static String truncate(String owner) {
    if (owner.length() <= MAX_OWNER) {
      return owner;
    }
    int end = MAX_OWNER;
    if (Character.isHighSurrogate(owner.charAt(end - 1))) {
      end--;
    }
    return owner.substring(0, end);
  }

  /** Builds a {@link JooqIdempotencyStore}. Not thread-safe; the store it builds is. */
  public static final class Builder {

    private final Configuration configuration;
    private final Dialect dialect;
    private org.jooq.Name tableName = RecordsTable.parseName(RecordsTable.DEFAULT_NAME);
    private @Nullable SqlTransactionBinding transactions;
    private Duration lockTimeout = Duration.ofSeconds(10);
    private boolean lockTimeoutSet;

    private Builder(Configuration configuration) {
      this.configuration = configuration;
      this.dialect = Dialect.of(configuration.dialect());
    }

    /**
     * Sets the records table, {@value RecordsTable#DEFAULT_NAME} by default. The name is validated
     * and always rendered as a quoted identifier, so it is case-sensitive: on PostgreSQL a table
     * created unquoted is lower case.
     *
     * @param tableName {@code table} or {@code schema.table}, each part matching {@code
     *     [A-Za-z_][A-Za-z0-9_]{0,62}}
     * @return this builder
     * @throws IllegalArgumentException if the name is not of that form
     */
    public Builder tableName(String tableName) {
      Objects.requireNonNull(tableName, "tableName");
      this.tableName = RecordsTable.parseName(tableName);
      return this;
    }

    /**
     * Turns on the transactional mode: claims made while {@code binding} reports a transaction join
     * it (see the class documentation).
     *
     * @param binding tells the store the calling thread's transaction
     * @return this builder
     */
    public Builder transactional(SqlTransactionBinding binding) {
      this.transactions = Objects.requireNonNull(binding, "binding");
      return this;
    }

    /**
     * Sets how long a transactional claim waits for the transaction that holds the same key, 10
     * seconds by default; MariaDB and MySQL round it up to whole seconds.
     *
     * @param lockTimeout the bound; positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder lockTimeout(Duration lockTimeout) {
      checkPositive(lockTimeout, "lockTimeout");
      this.lockTimeout = lockTimeout;
      this.lockTimeoutSet = true;
      return this;
    }

    /**
     * Builds the store. Touches no database.
     *
     * @return the store
     * @throws IllegalStateException if a lock timeout was set without the transactional mode
     */
    public JooqIdempotencyStore build() {
      if (lockTimeoutSet && transactions == null) {
        throw new IllegalStateException(
            "lockTimeout applies to the transactional mode only: call transactional(...) too");
      }
      return new JooqIdempotencyStore(this);
    }
  }
}
