package dev.idem.test.servers;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SQL servers of Idem's tests, resolved once per JVM and shared by every test in it.
 *
 * <p>Each server is taken from, in order:
 *
 * <ol>
 *   <li>its environment variable, a JDBC URL: {@value #POSTGRES_URL_VARIABLE} (for example {@code
 *       jdbc:postgresql://db:5432/test?user=postgres}) or {@value #MARIADB_URL_VARIABLE} (for
 *       example {@code jdbc:mariadb://db:3306/test?user=root}); credentials not in the URL default
 *       as below;
 *   <li>a server listening on its default local port: PostgreSQL on {@code 127.0.0.1:5432}
 *       (database {@code test}, user {@code postgres}, no password), MariaDB on {@code
 *       127.0.0.1:3306} (database {@code test}, user {@code root}, no password);
 *   <li>a container ({@code postgres:15}, {@code mariadb:10.11}) started through Testcontainers
 *       when it is on the class path and finds a Docker engine;
 *   <li>else the call fails with a message naming the variable: store tests are never skipped.
 * </ol>
 *
 * <p>Tests must never stop or reconfigure these servers: other test JVMs may share them. A test
 * that needs an outage puts a proxy of its own between the store and the server ({@link
 * TestDatabase#jdbcUrlVia}). Thread-safe.
 */
public final class TestDatabases {

  /** The environment variable with the JDBC URL of the PostgreSQL server. */
  public static final String POSTGRES_URL_VARIABLE = "IDEM_TEST_POSTGRES_URL";

  /** The environment variable with the JDBC URL of the MariaDB server. */
  public static final String MARIADB_URL_VARIABLE = "IDEM_TEST_MARIADB_URL";

  static final String POSTGRES = "postgres";
  static final String MARIADB = "mariadb";

  private static final String LOCAL_HOST = "127.0.0.1";
  private static final int PROBE_TIMEOUT_MILLIS = 500;

  private static final Map<String, TestDatabase> RESOLVED = new ConcurrentHashMap<>();

  private TestDatabases() {}

  /**
   * Returns the PostgreSQL server of this JVM's tests.
   *
   * @return the server
   * @throws IllegalStateException if none is configured, listening locally or startable
   */
  public static TestDatabase postgres() {
    return RESOLVED.computeIfAbsent(
        POSTGRES,
        kind ->
            resolve(
                kind,
                POSTGRES_URL_VARIABLE,
                "jdbc:postgresql://" + LOCAL_HOST + ":5432/test",
                "postgres",
                5432));
  }

  /**
   * Returns the MariaDB server of this JVM's tests.
   *
   * @return the server
   * @throws IllegalStateException if none is configured, listening locally or startable
   */
  public static TestDatabase mariadb() {
    return RESOLVED.computeIfAbsent(
        MARIADB,
        kind ->
            resolve(
                kind,
                MARIADB_URL_VARIABLE,
                "jdbc:mariadb://" + LOCAL_HOST + ":3306/test",
                "root",
                3306));
  }

  private static TestDatabase resolve(
      String kind, String variable, String localUrl, String localUser, int localPort) {
    String configured = System.getenv(variable);
    if (configured != null && !configured.isBlank()) {
      String url = configured.strip();
      boolean userInUrl = url.contains("user=");
      return new TestDatabase(kind, url, userInUrl ? "" : localUser, "", "from " + variable);
    }
    if (ServerProbes.listening(LOCAL_HOST, localPort, PROBE_TIMEOUT_MILLIS)) {
      return new TestDatabase(kind, localUrl, localUser, "", "local default port");
    }
    if (ServerProbes.testcontainersPresent() && SqlContainers.dockerAvailable()) {
      return kind.equals(POSTGRES) ? SqlContainers.postgres() : SqlContainers.mariadb();
    }
    throw new IllegalStateException(
        "No "
            + kind
            + " server for the tests: set "
            + variable
            + " to its JDBC URL, start one on "
            + LOCAL_HOST
            + ":"
            + localPort
            + " (database test, user "
            + localUser
            + ", no password), or provide a Docker engine for Testcontainers");
  }
}
