package dev.idem.spring;

import dev.idem.store.sql.SqlTransactionBinding;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Binds the SQL store's transactional mode to Spring-managed transactions: while the calling thread
 * runs in a transaction that a Spring transaction manager ({@code DataSourceTransactionManager},
 * {@code JdbcTransactionManager}, {@code JpaTransactionManager} with a JDBC-exposing dialect) has
 * bound to the store's {@code DataSource}, the claim, the method's own writes and the completion
 * run on that transaction's connection, and commit or roll back with it.
 *
 * <pre>{@code
 * JooqIdempotencyStore store = JooqIdempotencyStore.builder(dataSource, SQLDialect.POSTGRES)
 *     .transactional(SpringTransactionBinding.of(dataSource, SQLDialect.POSTGRES))
 *     .build();
 * }</pre>
 *
 * <p>The transaction's {@code DSLContext} runs on a {@link TransactionAwareDataSourceProxy}, as
 * Spring Boot's jOOQ auto-configuration does, so every statement uses the connection the
 * transaction manager bound to the thread. Outside such a transaction (no transaction, {@code
 * NOT_SUPPORTED}, {@code NEVER}, a transaction on another data source) it reports none, and the
 * store works on its own connections. Thread-safe.
 */
public final class SpringTransactionBinding implements SqlTransactionBinding {

  private final DataSource dataSource;
  private final DSLContext transactional;

  private SpringTransactionBinding(DataSource dataSource, DSLContext transactional) {
    this.dataSource = dataSource;
    this.transactional = transactional;
  }

  /**
   * Creates the binding for a data source.
   *
   * @param dataSource the store's data source (a {@link TransactionAwareDataSourceProxy} is
   *     unwrapped)
   * @param dialect the database's dialect
   * @return the binding
   */
  public static SpringTransactionBinding of(DataSource dataSource, SQLDialect dialect) {
    return of(dataSource, dialect, new Settings());
  }

  /**
   * Creates the binding for a data source, with jOOQ settings (the store overrides the rendering of
   * names: it always quotes).
   *
   * @param dataSource the store's data source (a {@link TransactionAwareDataSourceProxy} is
   *     unwrapped)
   * @param dialect the database's dialect
   * @param settings the jOOQ settings
   * @return the binding
   */
  public static SpringTransactionBinding of(
      DataSource dataSource, SQLDialect dialect, Settings settings) {
    DataSource target = unwrap(Objects.requireNonNull(dataSource, "dataSource"));
    DSLContext transactional =
        DSL.using(
            new TransactionAwareDataSourceProxy(target),
            Objects.requireNonNull(dialect, "dialect"),
            Objects.requireNonNull(settings, "settings"));
    return new SpringTransactionBinding(target, transactional);
  }

  /**
   * Returns the data source whose transactions this binding reports, unwrapped from a {@link
   * TransactionAwareDataSourceProxy}.
   *
   * @param dataSource a data source
   * @return its target if it is a transaction-aware proxy, else itself
   */
  public static DataSource unwrap(DataSource dataSource) {
    DataSource current = dataSource;
    while (current instanceof TransactionAwareDataSourceProxy proxy
        && proxy.getTargetDataSource() != null) {
      current = proxy.getTargetDataSource();
    }
    return current;
  }

  /**
   * Returns a context on the connection of the Spring transaction the calling thread is in, if that
   * transaction holds a connection of this binding's data source.
   *
   * @return the transaction's context, or null
   */
  @Override
  public @Nullable DSLContext currentTransaction() {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      return null;
    }
    Object resource = TransactionSynchronizationManager.getResource(dataSource);
    return resource instanceof ConnectionHolder ? transactional : null;
  }

  @Override
  public String toString() {
    return "SpringTransactionBinding[" + dataSource + "]";
  }
}
