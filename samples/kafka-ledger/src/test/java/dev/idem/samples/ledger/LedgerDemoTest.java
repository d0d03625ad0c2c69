package dev.idem.samples.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

class LedgerDemoTest {

  @Test
  void idempotentLedgersMatchAndNaiveOnesDriftAfterACrashAndDuplicates() throws Exception {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
    broker.afterPropertiesSet();
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl("jdbc:h2:mem:ledger-test;DB_CLOSE_DELAY=-1");
    try (HikariDataSource db = new HikariDataSource(pool)) {
      LedgerDemo.Report report = LedgerDemo.run(broker.getBrokersAsString(), db, SQLDialect.H2);
      report.print(System.out);

      assertThat(report.ledgers().get(Ledger.VERSIONED)).isEqualTo(report.expected());
      assertThat(report.ledgers().get(Ledger.INCREMENT_IDEM)).isEqualTo(report.expected());
      assertThat(report.ledgers().get(Ledger.INCREMENT_ALONE)).isNotEqualTo(report.expected());
      assertThat(report.ledgers().get(Ledger.LAST_WRITE_WINS).get("alice"))
          .as("the stale duplicate undid alice's later deposits")
          .isNotEqualTo(report.expected().get("alice"));
      assertThat(report.effects()).isEqualTo(report.events());
      assertThat(report.duplicatesSkipped()).isEqualTo(report.republished());
      assertThat(report.redeliveries()).isPositive();
      assertThat(report.storedOffsets()).isEqualTo(report.endOffsets());
    } finally {
      broker.destroy();
    }
  }
}
