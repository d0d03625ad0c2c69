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
import dev.idem.store.sql.Claims.Claim;
import dev.idem.store.sql.SqlStatement.Arguments;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.Configuration;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
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
 * <p><b>Statements.</b> Every statement the store runs is written as SQL text with named
 * parameters, one class per database ({@code PostgresDialect}, {@code MariaDbDialect}, {@code
 * H2Dialect} in this package's sources); jOOQ renders and quotes the configured table name into
 * them when the store is built, and calls run them as JDBC prepared statements with the call's
 * values bound (rendering per call cost more client CPU than the rest of a replay). Every time is
 * the database's clock ({@code statement_timestamp()}, {@code utc_timestamp(6)}, {@code
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
 * renders the table name with its settings (always quoting names); the context's execute listeners
 * do not see the store's statements. That context must not be bound to the application's
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

  /**
   * The operation name a lock timeout is reported under: the store only sees composed keys, which
   * it must not show, so the engine is expected to name the operation when it reports the failure.
   */
  private static final String LOCKED_OPERATION = "(transactional claim)";

  static {
    silenceJooqBanner();
  }

  private final Dialect dialect;
  private final DSLContext dsl;
  private final RecordsTable t;
  private final Statements sql;
  private final Claims claims;
  private final Schema schema;
  private final @Nullable SqlTransactionBinding transactions;

  private JooqIdempotencyStore(Builder builder) {
    this.dialect = builder.dialect;
    this.dsl = DSL.using(adopt(builder.configuration, dialect));
    this.t = RecordsTable.of(builder.tableName);
    this.sql = new Statements(dialect, dsl.render(t.name));
    this.claims = new Claims(dialect, sql, builder.lockTimeout);
    this.schema = new Schema(dialect, dsl, t, sql);
    this.transactions = builder.transactions;
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
          ? dsl.connectionResult(c -> claims.claim(c, claim))
          : transaction.connectionResult(c -> claims.claimInTransaction(c, claim));
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
    Arguments arguments = new Arguments(key);
    arguments.token = token;
    arguments.outcomeKind = outcome.kind().name();
    arguments.outcome = outcome.unsafeBytes();
    arguments.ttlMicros = Dialect.micros(ttl);
    try {
      return context().connectionResult(c -> sql.complete.update(c, arguments)) == 1;
    } catch (RuntimeException e) {
      throw failure("complete", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean release(String key, long token) {
    checkKey(key);
    Arguments arguments = new Arguments(key);
    arguments.token = token;
    try {
      return context().connectionResult(c -> sql.release.update(c, arguments)) == 1;
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
    Arguments arguments = new Arguments(key);
    try {
      return context().connectionResult(c -> sql.delete.update(c, arguments)) == 1;
    } catch (RuntimeException e) {
      throw failure("delete", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean renew(String key, long token, Duration lease) {
    checkKey(key);
    checkPositive(lease, "lease");
    Arguments arguments = new Arguments(key);
    arguments.token = token;
    arguments.leaseMicros = Dialect.micros(lease);
    try {
      return context().connectionResult(c -> sql.renew.update(c, arguments)) == 1;
    } catch (RuntimeException e) {
      throw failure("renew", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public Optional<IdempotencyRecord> find(String key) {
    checkKey(key);
    DSLContext transaction = currentTransaction();
    Arguments arguments = new Arguments(key);
    try {
      RecordRow row =
          transaction == null
              ? dsl.connectionResult(c -> sql.read(c, arguments, false))
              : transaction.connectionResult(c -> sql.read(c, arguments, true));
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
    Arguments arguments = new Arguments("");
    arguments.maxRows = maxRecords;
    try {
      return dsl.connectionResult(c -> sql.purge.update(c, arguments));
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
    return schema.ddl();
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
      dsl.connection(schema::create);
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
      dsl.connection(c -> schema.require(c, tableName()));
      return this;
    } catch (RuntimeException e) {
      throw failure("requireSchema", e, false);
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

  private @Nullable DSLContext currentTransaction() {
    return transactions == null ? null : transactions.currentTransaction();
  }

  /** The calling thread's transaction, or the store's own connections. */
  private DSLContext context() {
    DSLContext transaction = currentTransaction();
    return transaction == null ? dsl : transaction;
  }

  /**
   * The given configuration with the store's dialect, rendering its names quoted: every name is
   * built with {@code DSL.quotedName}, and the quotes are rendered whatever the application set.
   */
  private static Configuration adopt(Configuration configuration, Dialect dialect) {
    Configuration adopted =
        configuration.derive(
            ((Settings) configuration.settings().clone())
                .withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_QUOTED));
    adopted.set(dialect.sqlDialect());
    return adopted;
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
