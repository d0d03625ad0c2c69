package dev.idem.chaos;

import dev.idem.test.servers.RawRedis;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@code redis-server} (or Sentinel) child process of the chaos suite, on a free loopback port,
 * its files in a directory of its own under {@code target/chaos-redis}, no persistence unless the
 * extra arguments ask for it. It can be killed with SIGKILL and started again on the same port;
 * every process started here is killed by a JVM shutdown hook. Never a shared server.
 */
public final class PrivateRedis implements AutoCloseable {

  private static final Set<PrivateRedis> STARTED = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> STARTED.forEach(PrivateRedis::kill), "idem-chaos-redis-stop"));
  }

  private final int port;
  private final Path dir;
  private final List<String> command;
  private @Nullable Process process;

  private PrivateRedis(int port, Path dir, List<String> command) {
    this.port = port;
    this.dir = dir;
    this.command = List.copyOf(command);
  }

  /**
   * Starts a server without persistence and waits until it answers PING.
   *
   * @param name a name for its directory
   * @param extraArguments more {@code --option value} arguments
   * @return the server
   */
  public static PrivateRedis start(String name, String... extraArguments) {
    int port = freePort();
    return startOn(port, name, extraArguments);
  }

  /**
   * Starts a server on a given port.
   *
   * @param port the port
   * @param name a name for its directory
   * @param extraArguments more arguments
   * @return the server
   */
  public static PrivateRedis startOn(int port, String name, String... extraArguments) {
    Path dir = directory(name + "-" + port);
    List<String> command = new ArrayList<>();
    command.add(binary("redis-server"));
    command.addAll(
        List.of(
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.toString(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            "redis.log"));
    command.addAll(List.of(extraArguments));
    PrivateRedis server = new PrivateRedis(port, dir, command);
    server.startProcess();
    return server;
  }

  /**
   * Starts a Sentinel monitoring {@code master} under {@code masterName} with a quorum of one, that
   * declares the master down after {@code downAfterMillis}.
   *
   * @param masterName the master's name
   * @param master the master
   * @param downAfterMillis how long the master may be unreachable before a failover
   * @return the Sentinel
   */
  public static PrivateRedis startSentinel(
      String masterName, PrivateRedis master, int downAfterMillis) {
    int port = freePort();
    Path dir = directory("sentinel-" + port);
    Path config = dir.resolve("sentinel.conf");
    try {
      Files.writeString(
          config,
          String.join(
              "\n",
              "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1",
              "sentinel down-after-milliseconds " + masterName + " " + downAfterMillis,
              "sentinel failover-timeout " + masterName + " 10000",
              "sentinel parallel-syncs " + masterName + " 1",
              ""),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command =
        List.of(
            binary("redis-server"),
            config.toString(),
            "--sentinel",
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.toString(),
            "--daemonize",
            "no",
            "--logfile",
            "redis.log");
    PrivateRedis sentinel = new PrivateRedis(port, dir, command);
    sentinel.startProcess();
    return sentinel;
  }

  /**
   * Returns the port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Returns {@code 127.0.0.1:port}.
   *
   * @return the address
   */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /**
   * Returns {@code redis://127.0.0.1:port}.
   *
   * @return the URL
   */
  public String url() {
    return "redis://" + address();
  }

  /**
   * Returns the directory of the server's files.
   *
   * @return the directory
   */
  public Path dir() {
    return dir;
  }

  /**
   * Returns whether the process is alive.
   *
   * @return true if it runs
   */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Kills the server with SIGKILL and waits for it to end. Its memory is lost. */
  public synchronized void kill() {
    Process running = process;
    process = null;
    if (running != null) {
      running.destroyForcibly();
      try {
        if (!running.waitFor(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("redis-server on port " + port + " did not die");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while killing redis-server", e);
      }
    }
  }

  /** Starts the server again on the same port and waits until it answers PING. */
  public synchronized void restart() {
    if (isRunning()) {
      throw new IllegalStateException("redis-server on port " + port + " is running");
    }
    startProcess();
  }

  @Override
  public void close() {
    kill();
    STARTED.remove(this);
  }

  private synchronized void startProcess() {
    try {
      Process started =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.log").toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      process = started;
      STARTED.add(this);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!RawRedis.ping(address(), 500)) {
        if (!started.isAlive() || System.nanoTime() > deadline) {
          kill();
          throw new IllegalStateException(
              "redis-server did not start on port " + port + "; see " + dir.resolve("redis.log"));
        }
        Thread.sleep(20);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new IllegalStateException("interrupted while starting redis-server", e);
    }
  }

  static String binary(String name) {
    for (String directory : List.of("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin")) {
      Path candidate = Path.of(directory, name);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String directory : path.split(File.pathSeparator)) {
        Path candidate = Path.of(directory, name);
        if (!directory.isEmpty() && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    throw new IllegalStateException(
        "the chaos suite starts its own Redis and needs "
            + name
            + " (apt-get install redis-server)");
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path directory(String name) {
    Path dir =
        Path.of("target", "chaos-redis", ProcessHandle.current().pid() + "-" + name)
            .toAbsolutePath();
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
