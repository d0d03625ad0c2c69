package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.store.sql.Databases.Kind;
import org.junit.jupiter.api.Test;

/**
 * The test fixtures never share a table with another test JVM on the same database: names carry
 * this JVM's own suffix, and a fixed name is refused before anything is dropped.
 */
class DatabasesTest {

  @Test
  void tableNamesCarryThisJvmsProcessIdAndARandomPart() {
    String table = Databases.table("idem_kit_records");

    assertThat(table)
        .startsWith("idem_kit_records_" + ProcessHandle.current().pid() + "_")
        .matches("[a-z0-9_]+")
        .isEqualTo(Databases.table("idem_kit_records"));
  }

  @Test
  void fixturesRefuseTableNamesThatOtherJvmsUseToo() {
    assertThatThrownBy(() -> Databases.freshTable(Kind.POSTGRES, "idem_kit_records"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Databases.table");
    assertThatThrownBy(() -> Databases.freshStore(Kind.MARIADB, "idem_records"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Databases.dropTable(Kind.POSTGRES, "idem_records"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void suffixedNamesAndTheirIndexFitPostgresIdentifiers() {
    String longest = Databases.table("idem_txs_postgres_business");

    assertThat((longest + "_expires_at_idx").length()).isLessThanOrEqualTo(63);
  }
}
