package dev.idem.samples.ledger;

import java.util.Map;
import java.util.TreeMap;
import org.jooq.DSLContext;

/**
 * The four ledgers, one table each, and how an event is applied to each. Statements are plain SQL
 * that PostgreSQL and H2 both run.
 */
final class Ledger {

  static final String LAST_WRITE_WINS = "ledger_upsert";
  static final String VERSIONED = "ledger_versioned";
  static final String INCREMENT_IDEM = "ledger_increment_idem";
  static final String INCREMENT_ALONE = "ledger_increment_alone";

  private Ledger() {}

  static void createTables(DSLContext dsl) {
    for (String table :
        new String[] {LAST_WRITE_WINS, VERSIONED, INCREMENT_IDEM, INCREMENT_ALONE}) {
      dsl.execute("drop table if exists " + table);
      dsl.execute(
          "create table "
              + table
              + " (account varchar(50) primary key, balance bigint not null,"
              + " version bigint not null)");
    }
  }

  /** Absolute state, last write wins: idempotent for a repeat, wrong for a stale duplicate. */
  static void upsert(DSLContext dsl, AccountEvent e) {
    int updated =
        dsl.execute(
            "update " + LAST_WRITE_WINS + " set balance = ?, version = ? where account = ?",
            e.balance(),
            e.version(),
            e.account());
    if (updated == 0) {
      dsl.execute(
          "insert into " + LAST_WRITE_WINS + " (account, balance, version) values (?, ?, ?)",
          e.account(),
          e.balance(),
          e.version());
    }
  }

  /**
   * Absolute state under a version check: applies only a newer version, so stale events are no-ops.
   */
  static void versioned(DSLContext dsl, AccountEvent e) {
    int updated =
        dsl.execute(
            "update "
                + VERSIONED
                + " set balance = ?, version = ? where account = ? and version < ?",
            e.balance(),
            e.version(),
            e.account(),
            e.version());
    if (updated == 0
        && dsl.fetchCount(dsl.selectOne().from(VERSIONED).where("account = ?", e.account())) == 0) {
      dsl.execute(
          "insert into " + VERSIONED + " (account, balance, version) values (?, ?, ?)",
          e.account(),
          e.balance(),
          e.version());
    }
  }

  /** An increment: correct once, wrong on every repeat; {@code table} says which ledger. */
  static void increment(DSLContext dsl, String table, AccountEvent e) {
    int updated =
        dsl.execute(
            "update "
                + table
                + " set balance = balance + ?, version = version + 1 where account = ?",
            e.amount(),
            e.account());
    if (updated == 0) {
      dsl.execute(
          "insert into " + table + " (account, balance, version) values (?, ?, 1)",
          e.account(),
          e.amount());
    }
  }

  static Map<String, Long> balances(DSLContext dsl, String table) {
    Map<String, Long> balances = new TreeMap<>();
    dsl.resultQuery("select account, balance from " + table)
        .fetch()
        .forEach(r -> balances.put(r.get(0, String.class), r.get(1, Long.class)));
    return balances;
  }
}
