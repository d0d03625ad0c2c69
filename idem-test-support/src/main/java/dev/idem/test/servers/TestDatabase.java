package dev.idem.test.servers;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A database server of Idem's tests, as {@link TestDatabases} resolved it: its JDBC URL and
 * credentials. The driver is the caller's: this module depends on none.
 */
public final class TestDatabase {

  private static final Pattern ADDRESS =
      Pattern.compile("^(jdbc:[a-z0-9]+://)([^/:?;]+)(?::(\\d+))?(.*)$");

  private final String kind;
  private final String jdbcUrl;
  private final String username;
  private final String password;
  private final String origin;

  TestDatabase(String kind, String jdbcUrl, String username, String password, String origin) {
    this.kind = kind;
    this.jdbcUrl = jdbcUrl;
    this.username = username;
    this.password = password;
    this.origin = origin;
    host(); // fails early on a URL without a host
  }

  /**
   * Returns which database this is.
   *
   * @return {@code postgres} or {@code mariadb}
   */
  public String kind() {
    return kind;
  }

  /**
   * Returns the JDBC URL, for example {@code jdbc:postgresql://127.0.0.1:5432/test}.
   *
   * @return the URL
   */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /**
   * Returns the user name, empty when the URL carries it.
   *
   * @return the user
   */
  public String username() {
    return username;
  }

  /**
   * Returns the password, empty when there is none or the URL carries it.
   *
   * @return the password
   */
  public String password() {
    return password;
  }

  /**
   * Returns the host the URL names.
   *
   * @return the host
   */
  public String host() {
    return address().group(2);
  }

  /**
   * Returns the TCP port the URL names, or the database's default port when it names none.
   *
   * @return the port
   */
  public int port() {
    String port = address().group(3);
    if (port != null) {
      return Integer.parseInt(port);
    }
    return kind.equals(TestDatabases.POSTGRES) ? 5432 : 3306;
  }

  /**
   * Returns the JDBC URL with another host and port, for example of a proxy that stands between a
   * test and the server.
   *
   * @param host the host
   * @param port the port
   * @return the URL
   */
  public String jdbcUrlVia(String host, int port) {
    Matcher m = address();
    return m.group(1) + host + ":" + port + m.group(4);
  }

  /**
   * Returns an unpooled data source that opens a connection to {@code url} with this server's
   * credentials on each call (the driver must be on the class path).
   *
   * @param url a JDBC URL of this server, such as {@link #jdbcUrl()} or {@link #jdbcUrlVia}
   * @return the data source
   */
  public DataSource dataSource(String url) {
    return new DriverManagerDataSource(url, username, password);
  }

  /**
   * Returns an unpooled data source for {@link #jdbcUrl()}.
   *
   * @return the data source
   */
  public DataSource dataSource() {
    return dataSource(jdbcUrl);
  }

  @Override
  public String toString() {
    return kind + " at " + host() + ":" + port() + " (" + origin + ")";
  }

  private Matcher address() {
    Matcher m = ADDRESS.matcher(jdbcUrl);
    if (!m.matches()) {
      throw new IllegalStateException("not a JDBC URL with a host: " + jdbcUrl);
    }
    return m;
  }

  private static final class DriverManagerDataSource implements DataSource {
    private final String url;
    private final Properties properties = new Properties();

    DriverManagerDataSource(String url, String username, String password) {
      this.url = Objects.requireNonNull(url);
      if (!username.isEmpty()) {
        properties.setProperty("user", username);
      }
      if (!password.isEmpty()) {
        properties.setProperty("password", password);
      }
    }

    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url, properties);
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return DriverManager.getConnection(url, username, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return new PrintWriter(System.err);
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {
      DriverManager.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() {
      return DriverManager.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      if (type.isInstance(this)) {
        return type.cast(this);
      }
      throw new SQLException("not a wrapper of " + type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
      return type.isInstance(this);
    }
  }
}
