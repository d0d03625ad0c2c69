package dev.idem.store.sql;

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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.Configuration;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertOnDuplicateStep;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.SQLDialect;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
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
 * <p><b>Statements.</b> Every time is the database's clock ({@code statement_timestamp()}, {@code
 * utc_timestamp(6)}, {@code current_timestamp(6)}), with microseconds, so JVM clock skew plays no
 * part. A claim is an insert-if-absent ({@code INSERT ... ON CONFLICT DO NOTHING RETURNING}, {@code
 * INSERT IGNORE ... RETURNING} or H2's {@code MERGE}, as jOOQ renders it): one round trip for a new
 * key. When the key exists, the record is read (a second round trip: enough to replay or to report
 * a live lease), and an expired record or ended lease is taken over by an {@code UPDATE}
 * conditional on the token read and on the expiry (a third). A fresh record's token is the database
 * clock in microseconds; a takeover's is {@code max(old + 1, now in microseconds)}, so tokens
 * increase per key even across release and expiry. {@link #complete}, {@link #release} and {@link
 * #renew} are one {@code UPDATE} or {@code DELETE} conditional on key, token, state and expiry. On
 * MySQL, which has no {@code INSERT ... RETURNING}, a claim first reads the clock.
 *
 * <p><b>Connections.</b> Built from a {@code DataSource}, the store borrows a connection per
 * statement, so a pool replaces broken connections after an outage without the store being rebuilt.
 * Built from a {@code DSLContext}, it uses that context's connection handling; that context must
 * not be bound to the application's transactions unless the store is {@linkplain
 * Builder#transactional transactional}.
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

  private static final String IN_PROGRESS = RecordState.IN_PROGRESS.name();
  private static final String COMPLETED = RecordState.COMPLETED.name();

  private final Dialect dialect;
  private final Settings settings;
  private final DSLContext dsl;
  private final RecordsTable t;
  private final @Nullable SqlTransactionBinding transactions;
  private final Duration lockTimeout;

  private JooqIdempotencyStore(Builder builder) {
    this.dialect = builder.dialect;
    this.settings = storeSettings(builder.configuration.settings());
    this.dsl = DSL.using(adopt(builder.configuration));
    this.t = RecordsTable.of(builder.tableName, dialect.timestampType());
    this.transactions = builder.transactions;
    this.lockTimeout = builder.lockTimeout;
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
          ? claim(dsl, claim, false)
          : claimInTransaction(DSL.using(adopt(transaction.configuration())), claim);
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
    try {
      DSLContext ctx = context();
      Field<Instant> now = dialect.now();
      return ctx.update(t.table)
              .set(t.state, COMPLETED)
              .set(t.outcomeKind, outcome.kind().name())
              .set(t.outcome, outcome.unsafeBytes())
              .set(t.leaseUntil, (Instant) null)
              .set(t.expiresAt, dialect.nowPlus(ttl))
              .where(heldWith(key, token, now))
              .execute()
          == 1;
    } catch (RuntimeException e) {
      throw failure("complete", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean release(String key, long token) {
    checkKey(key);
    try {
      return context().deleteFrom(t.table).where(heldWith(key, token, dialect.now())).execute()
          == 1;
    } catch (RuntimeException e) {
      throw failure("release", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean renew(String key, long token, Duration lease) {
    checkKey(key);
    checkPositive(lease, "lease");
    try {
      Field<Instant> leaseUntil = dialect.nowPlus(lease);
      return context()
              .update(t.table)
              .set(t.leaseUntil, leaseUntil)
              .set(t.expiresAt, DSL.greatest(t.expiresAt, leaseUntil))
              .where(heldWith(key, token, dialect.now()))
              .execute()
          == 1;
    } catch (RuntimeException e) {
      throw failure("renew", e, false);
    }
  }

  /** {@inheritDoc} */
  @Override
  public Optional<IdempotencyRecord> find(String key) {
    checkKey(key);
    DSLContext transaction = currentTransaction();
    try {
      Row row =
          transaction == null
              ? read(dsl, key, false)
              : read(DSL.using(adopt(transaction.configuration())), key, true);
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
  }

  private ClaimResult claimInTransaction(DSLContext ctx, Claim claim) {
    Dialect.LockTimeoutRestore restore = dialect.limitLockWait(ctx, lockTimeout);
    ClaimResult result;
    try {
      result = claim(ctx, claim, true);
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

  private ClaimResult claim(DSLContext ctx, Claim claim, boolean inTransaction) {
    for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      Long token = insertIfAbsent(ctx, claim);
      if (token != null) {
        return inTransaction
            ? ClaimResult.acquiredInTransaction(token)
            : ClaimResult.acquired(token, false);
      }
      Row row = read(ctx, claim.key, inTransaction);
      if (row == null) {
        continue; // released or purged since the insert saw it
      }
      if (!row.expired() && !row.leaseEnded()) {
        IdempotencyRecord record = row.toRecord(claim.key);
        return record.isCompleted()
            ? ClaimResult.completed(record)
            : ClaimResult.inProgress(record);
      }
      long newToken = Math.max(row.token + 1, row.nowMicros);
      if (takeOver(ctx, claim, row, newToken)) {
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

  private @Nullable Long insertIfAbsent(DSLContext ctx, Claim claim) {
    Field<Instant> now = dialect.now();
    Long token = null;
    Field<Long> tokenValue;
    if (dialect.insertReturning()) {
      tokenValue = dialect.nowMicros();
    } else {
      token = ctx.select(dialect.nowMicros()).fetchSingle().value1();
      tokenValue = DSL.val(token);
    }
    InsertOnDuplicateStep<Record> insert =
        ctx.insertInto(t.table)
            .columns(
                t.key,
                t.state,
                t.token,
                t.owner,
                t.fingerprint,
                t.leaseUntil,
                t.createdAt,
                t.expiresAt)
            .values(
                DSL.val(claim.key, t.key),
                DSL.val(IN_PROGRESS, t.state),
                tokenValue,
                DSL.val(claim.owner, t.owner),
                DSL.val(claim.fingerprint, t.fingerprint),
                dialect.nowPlus(claim.lease),
                now,
                dialect.nowPlus(claim.life()));
    try {
      if (dialect.insertReturning()) {
        return insert
            .onConflict(t.key)
            .doNothing()
            .returningResult(t.token)
            .fetchOptional()
            .map(Record1::value1)
            .orElse(null);
      }
      return insert.onConflict(t.key).doNothing().execute() == 1 ? token : null;
    } catch (DataAccessException e) {
      SQLException sql = sqlException(e);
      if (sql != null && dialect.isDuplicateKey(sql)) {
        return null; // H2's MERGE can still collide with a concurrent insert
      }
      throw e;
    }
  }

  private boolean takeOver(DSLContext ctx, Claim claim, Row row, long newToken) {
    Field<Instant> now = dialect.now();
    var update =
        ctx.update(t.table)
            .set(t.state, IN_PROGRESS)
            .set(t.token, newToken)
            .set(t.owner, claim.owner)
            .set(t.fingerprint, claim.fingerprint)
            .set(t.leaseUntil, dialect.nowPlus(claim.lease))
            .set(t.outcomeKind, (String) null)
            .set(t.outcome, (byte[]) null)
            .set(t.expiresAt, dialect.nowPlus(claim.life()));
    if (row.expired()) {
      update = update.set(t.createdAt, now); // a new record in place of an expired one
    }
    Condition ended = t.expiresAt.le(now).or(t.state.eq(IN_PROGRESS).and(t.leaseUntil.le(now)));
    return update.where(t.key.eq(claim.key)).and(t.token.eq(row.token)).and(ended).execute() == 1;
  }

  private @Nullable Row read(DSLContext ctx, String key, boolean currentRead) {
    var select =
        ctx.select(
                t.state,
                t.token,
                t.owner,
                t.fingerprint,
                t.leaseUntil,
                t.outcomeKind,
                t.outcome,
                t.createdAt,
                t.expiresAt,
                dialect.now(),
                dialect.nowMicros())
            .from(t.table)
            .where(t.key.eq(key));
    Record r = (currentRead ? dialect.currentRead(select) : select).fetchOne();
    if (r == null) {
      return null;
    }
    return new Row(
        RecordState.valueOf(r.get(0, String.class)),
        r.get(1, Long.class),
        r.get(2, String.class),
        r.get(3, String.class),
        (Instant) r.get(4),
        r.get(5, String.class),
        (byte[]) r.get(6),
        (Instant) r.get(7),
        (Instant) r.get(8),
        (Instant) r.get(9),
        r.get(10, Long.class));
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

  private Condition heldWith(String key, long token, Field<Instant> now) {
    return t.key
        .eq(key)
        .and(t.token.eq(token))
        .and(t.state.eq(IN_PROGRESS))
        .and(t.expiresAt.gt(now));
  }

  private @Nullable DSLContext currentTransaction() {
    return transactions == null ? null : transactions.currentTransaction();
  }

  private DSLContext context() {
    DSLContext transaction = currentTransaction();
    return transaction == null ? dsl : DSL.using(adopt(transaction.configuration()));
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
