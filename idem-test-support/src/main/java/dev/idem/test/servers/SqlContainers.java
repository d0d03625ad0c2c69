package dev.idem.test.servers;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.containers.MariaDBContainer;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * PostgreSQL and MariaDB in Docker through Testcontainers, the last resort of {@link
 * TestDatabases}. Loaded only when Testcontainers is on the class path (an optional dependency of
 * this module; a test module that wants this fallback declares {@code
 * org.testcontainers:postgresql} and {@code org.testcontainers:mariadb}). The containers live as
 * long as the JVM.
 */
final class SqlContainers {

  private SqlContainers() {}

  static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  static TestDatabase postgres() {
    return started(TestDatabases.POSTGRES, new PostgreSQLContainer<>("postgres:15"));
  }

  static TestDatabase mariadb() {
    return started(TestDatabases.MARIADB, new MariaDBContainer<>("mariadb:10.11"));
  }

  @SuppressWarnings("resource") // stopped with the JVM by Testcontainers' reaper
  private static TestDatabase started(String kind, JdbcDatabaseContainer<?> container) {
    container.start();
    Runtime.getRuntime()
        .addShutdownHook(new Thread(container::stop, "idem-test-" + kind + "-stop"));
    return new TestDatabase(
        kind,
        container.getJdbcUrl(),
        container.getUsername(),
        container.getPassword(),
        "Testcontainers " + container.getDockerImageName());
  }
}
