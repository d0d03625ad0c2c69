package dev.idem.spring.boot.autoconfigure;

import dev.idem.annotation.Idempotent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Idempotent, transactional beans that observe where their claim lives. */
final class TransactionalBeans {

  /**
   * Ends the tables' names: other test JVMs share the PostgreSQL database, so each JVM uses tables
   * of its own (the process id and a random part).
   */
  private static final String SUFFIX =
      "_"
          + ProcessHandle.current().pid()
          + "_"
          + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);

  static final String ROWS = "idem_starter_rows" + SUFFIX;
  static final String RECORDS = "idem_starter_records" + SUFFIX;

  private TransactionalBeans() {}

  /**
   * What a body saw.
   *
   * @param execution the how-manyth execution of the bean's body this was
   * @param recordsInTransaction records of the key visible on the transaction's connection
   * @param recordsOutside records of the key visible on another connection
   */
  record Observed(int execution, int recordsInTransaction, int recordsOutside) {}

  /** Shared body: writes a row, then looks for its own claim inside and outside the transaction. */
  abstract static class Base {
    final AtomicInteger executions = new AtomicInteger();

    /** Read through a method: a CGLIB proxy's own fields are not the target's. */
    public int executions() {
      return executions.get();
    }

    final JdbcTemplate jdbc;
    final DataSource dataSource;

    Base(JdbcTemplate jdbc, DataSource dataSource) {
      this.jdbc = jdbc;
      this.dataSource = dataSource;
    }

    Observed body(String operation, String id, boolean fail) {
      int execution = executions.incrementAndGet();
      jdbc.update("insert into " + ROWS + " (id) values (?)", id);
      String key = "idem:" + operation + ":" + id;
      Integer inside =
          jdbc.queryForObject(
              "select count(*) from \"" + RECORDS + "\" where \"idem_key\" = ?",
              Integer.class,
              key);
      Observed observed = new Observed(execution, inside == null ? 0 : inside, outside(key));
      if (fail) {
        throw new IllegalStateException("failed after writing");
      }
      return observed;
    }

    private int outside(String key) {
      try (Connection connection = dataSource.getConnection();
          PreparedStatement select =
              connection.prepareStatement(
                  "select count(*) from \"" + RECORDS + "\" where \"idem_key\" = ?")) {
        select.setString(1, key);
        try (ResultSet rs = select.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** {@code @Idempotent} declared before {@code @Transactional}. */
  static class IdempotentFirst extends Base {
    IdempotentFirst(JdbcTemplate jdbc, DataSource dataSource) {
      super(jdbc, dataSource);
    }

    @Idempotent(name = "tx.idempotentFirst", key = "#id")
    @Transactional
    public Observed create(String id, boolean fail) {
      return body("tx.idempotentFirst", id, fail);
    }
  }

  /** {@code @Transactional} declared before {@code @Idempotent}. */
  static class TransactionalFirst extends Base {
    TransactionalFirst(JdbcTemplate jdbc, DataSource dataSource) {
      super(jdbc, dataSource);
    }

    @Transactional
    @Idempotent(name = "tx.transactionalFirst", key = "#id")
    public Observed create(String id, boolean fail) {
      return body("tx.transactionalFirst", id, fail);
    }
  }

  /** {@code @Transactional} on the class. */
  @Transactional
  static class ClassLevel extends Base {
    ClassLevel(JdbcTemplate jdbc, DataSource dataSource) {
      super(jdbc, dataSource);
    }

    @Idempotent(name = "tx.classLevel", key = "#id")
    public Observed create(String id, boolean fail) {
      return body("tx.classLevel", id, fail);
    }
  }

  /** A body whose transaction fails at commit, after the body returned, the first time. */
  static class FailingCommit {
    final AtomicInteger executions = new AtomicInteger();

    /** Read through a method: a CGLIB proxy's own fields are not the target's. */
    public int executions() {
      return executions.get();
    }

    @Idempotent(name = "tx.failingCommit", key = "#id")
    @Transactional
    public int create(String id) {
      int execution = executions.incrementAndGet();
      if (execution == 1) {
        TransactionSynchronizationManager.registerSynchronization(
            new TransactionSynchronization() {
              @Override
              public void beforeCommit(boolean readOnly) {
                throw new IllegalStateException("commit refused");
              }
            });
      }
      return execution;
    }
  }
}
