package dev.idem.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the chaos suite's own: {@code initdb} into a fresh directory under {@code
 * /tmp}, {@code pg_ctl start} on a free loopback port (trust authentication, user {@code postgres},
 * database {@code postgres}), stopped with {@code pg_ctl stop -m immediate} and deleted when closed
 * or when the JVM ends. It can be killed (an immediate stop, no checkpoint: the crash a store
 * outage looks like) and started again on the same port with its data. Never the shared server on
 * 5432.
 *
 * <p>The binaries come from {@code IDEM_CHAOS_PG_BIN}, else {@code /usr/lib/postgresql/15/bin}.
 * {@code initdb} refuses to run as root, so as root the cluster runs as the {@code postgres} OS
 * user ({@code runuser -u postgres --}), in a directory it owns.
 */
public final class PrivatePostgres implements AutoCloseable {

  private static final long COMMAND_TIMEOUT_SECONDS = 120;

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgresUser;
  private volatile boolean running;

  private PrivatePostgres(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /**
   * Creates and starts a cluster, and waits until it accepts connections.
   *
   * @return the running cluster
   * @throws IllegalStateException if the binaries are missing or it does not start
   */
  public static PrivatePostgres start() {
    String configured = System.getenv("IDEM_CHAOS_PG_BIN");
    Path bin =
        Path.of(
            configured != null && !configured.isBlank()
                ? configured
                : "/usr/lib/postgresql/15/bin");
    if (!Files.isExecutable(bin.resolve("initdb")) || !Files.isExecutable(bin.resolve("pg_ctl"))) {
      throw new IllegalStateException(
          "the chaos suite starts its own PostgreSQL and needs initdb and pg_ctl in "
              + bin
              + " (apt-get install postgresql-15, or set IDEM_CHAOS_PG_BIN)");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("idem-chaos-pg-");
      PrivatePostgres pg = new PrivatePostgres(bin, dir, freePort(), root);
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "idem-chaos-pg-stop"));
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), dir.resolve("chown.log"));
      }
      pg.initdb();
      pg.startServer();
      return pg;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the JDBC URL of the {@code postgres} database, as user {@code postgres}.
   *
   * @return the URL
   */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  /**
   * Returns the port.
   *
   * @return the loopback port
   */
  public int port() {
    return port;
  }

  /**
   * Returns whether the server was started and not killed since.
   *
   * @return true while it runs
   */
  public boolean isRunning() {
    return running;
  }

  /**
   * Kills the server: {@code pg_ctl stop -m immediate} (every backend ends at once, no checkpoint;
   * committed data survives), then waits until its port refuses connections.
   */
  public synchronized void kill() {
    if (!running) {
      return;
    }
    running = false;
    pgCtl(List.of("stop", "-D", data().toString(), "-m", "immediate", "-w", "-t", "60"), "stop");
  }

  /** Starts the server again on the same port, with its data. */
  public synchronized void restart() {
    if (running) {
      throw new IllegalStateException("PostgreSQL on port " + port + " is running");
    }
    startServer();
  }

  /** Stops the server and deletes its directory. */
  @Override
  public synchronized void close() {
    try {
      kill();
    } catch (RuntimeException e) {
      // best effort: the JVM is ending
    }
    deleteQuietly(dir);
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void initdb() {
    List<String> command =
        List.of(
            bin.resolve("initdb").toString(),
            "-D",
            data().toString(),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C");
    run(asUser(command), dir.resolve("initdb.log"));
  }

  private void startServer() {
    String options =
        "-p "
            + port
            + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
            + dir
            + " -c fsync=off -c full_page_writes=off -c max_connections=200"
            + " -c shared_buffers=32MB";
    pgCtl(
        List.of(
            "start",
            "-D",
            data().toString(),
            "-l",
            dir.resolve("server.log").toString(),
            "-o",
            options,
            "-w",
            "-t",
            "60"),
        "start");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Connection c = DriverManager.getConnection(jdbcUrl())) {
        c.createStatement().execute("select 1");
        running = true;
        return;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the private PostgreSQL did not accept connections on port " + port, e);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        if (Thread.currentThread().isInterrupted()) {
          throw new IllegalStateException("interrupted while the private PostgreSQL started", e);
        }
      }
    }
  }

  private void pgCtl(List<String> arguments, String what) {
    List<String> command = new ArrayList<>();
    command.add(bin.resolve("pg_ctl").toString());
    command.addAll(arguments);
    run(asUser(command), dir.resolve("pg_ctl-" + what + ".log"));
  }

  private List<String> asUser(List<String> command) {
    if (!asPostgresUser) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    wrapped.addAll(command);
    return wrapped;
  }

  private static void run(List<String> command, Path log) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out; see " + log);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed ("
                + process.exitValue()
                + "): "
                + Files.readString(log, StandardCharsets.UTF_8).strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
