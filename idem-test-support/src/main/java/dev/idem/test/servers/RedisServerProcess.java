package dev.idem.test.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@code redis-server} child process of the test JVM, on a loopback port, without persistence
 * ({@code --save "" --appendonly no}), its files in a directory of its own. It can be killed and
 * started again on the same port, which is what outage tests need; it is killed when closed, and by
 * a JVM shutdown hook if a test forgets.
 *
 * <p>Obtain one from {@link TestRedis#startServer()} (or {@link #start} with a port and directory
 * of the caller's); never stop a shared server instead.
 */
public final class RedisServerProcess implements AutoCloseable {

  private static final int READY_TIMEOUT_MILLIS = 20_000;

  private final Path binary;
  private final int port;
  private final Path dir;
  private final List<String> leadingArguments;
  private final List<String> extraArguments;
  private @Nullable Process process;

  private RedisServerProcess(
      Path binary, int port, Path dir, List<String> leadingArguments, List<String> extraArguments) {
    this.binary = binary;
    this.port = port;
    this.dir = dir;
    this.leadingArguments = List.copyOf(leadingArguments);
    this.extraArguments = List.copyOf(extraArguments);
  }

  /**
   * Starts a server and waits until it answers PING. Most tests want {@link
   * TestRedis#startServer()} instead, which picks the binary, a free port and a directory.
   *
   * @param binary the {@code redis-server} executable
   * @param port the loopback port
   * @param dir the server's working directory, created if needed
   * @param extraArguments more {@code --option value} arguments, for example {@code --replicaof} or
   *     {@code --cluster-enabled}
   * @return the running server
   * @throws IllegalStateException if it does not start (for example, the port is taken)
   */
  public static RedisServerProcess start(
      Path binary, int port, Path dir, List<String> extraArguments) {
    RedisServerProcess server =
        new RedisServerProcess(binary, port, dir, List.of(), extraArguments);
    server.startProcess();
    return server;
  }

  /**
   * Starts a Sentinel that monitors one master, with a quorum of one, and waits until it answers
   * PING.
   *
   * @param binary the {@code redis-server} executable
   * @param port the Sentinel's loopback port
   * @param dir the Sentinel's working directory, created if needed (it rewrites its config there)
   * @param masterName the name the Sentinel knows the master by
   * @param master the monitored master
   * @param settings more lines of the Sentinel's configuration, for example {@code sentinel
   *     down-after-milliseconds <masterName> 1000}
   * @return the running Sentinel
   * @throws IllegalStateException if it does not start
   */
  public static RedisServerProcess startSentinel(
      Path binary,
      int port,
      Path dir,
      String masterName,
      RedisServerProcess master,
      List<String> settings) {
    Path config = dir.resolve("sentinel.conf");
    List<String> lines = new ArrayList<>();
    lines.add("sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1");
    lines.addAll(settings);
    try {
      Files.createDirectories(dir);
      Files.write(config, lines, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisServerProcess sentinel =
        new RedisServerProcess(
            binary,
            port,
            dir,
            List.of(config.toAbsolutePath().toString(), "--sentinel"),
            List.of());
    sentinel.startProcess();
    return sentinel;
  }

  /**
   * Returns the loopback port.
   *
   * @return the port
   */
  public int port() {
    return port;
  }

  /**
   * Returns the address, {@code 127.0.0.1:port}.
   *
   * @return the address
   */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /**
   * Returns the URL, {@code redis://127.0.0.1:port}.
   *
   * @return the URL
   */
  public String url() {
    return "redis://" + address();
  }

  /**
   * Returns the server's working directory, where its log ({@code redis.log}) is.
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

  /**
   * Kills the server abruptly (SIGKILL), as a crash or a network cut would look to clients, and
   * waits for the process to end. Its data is lost.
   */
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

  /**
   * Starts the server again on the same port, empty, and waits until it answers PING.
   *
   * @throws IllegalStateException if it is running or does not start
   */
  public synchronized void restart() {
    if (isRunning()) {
      throw new IllegalStateException("redis-server on port " + port + " is running");
    }
    startProcess();
  }

  /** Kills the server. */
  @Override
  public void close() {
    kill();
  }

  private synchronized void startProcess() {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(leadingArguments);
    command.addAll(
        List.of(
            "--port", Integer.toString(port),
            "--bind", "127.0.0.1",
            "--dir", dir.toAbsolutePath().toString(),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "redis.log"));
    command.addAll(extraArguments);
    try {
      Files.createDirectories(dir);
      Process started =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.log").toFile())
              .start();
      process = started;
      TestRedis.killOnExit(this);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
      while (!RawRedis.ping(address(), 500)) {
        if (!started.isAlive() || System.nanoTime() > deadline) {
          kill();
          throw new IllegalStateException(
              "redis-server did not start on port " + port + ": " + logTail());
        }
        Thread.sleep(20);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + binary, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new IllegalStateException("interrupted while starting redis-server", e);
    }
  }

  private String logTail() {
    try {
      Path log = dir.resolve("redis.log");
      if (!Files.exists(log)) {
        log = dir.resolve("stdout.log");
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
