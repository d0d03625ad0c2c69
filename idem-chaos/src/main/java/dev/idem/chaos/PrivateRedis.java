package dev.idem.chaos;

import dev.idem.test.servers.RedisServerProcess;
import dev.idem.test.servers.TestRedis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts the chaos suite's own {@code redis-server} and Sentinel processes: {@link
 * RedisServerProcess}es on free loopback ports, their files in directories of their own under
 * {@code target/chaos-redis}, no persistence unless the extra arguments ask for it. Each can be
 * killed with SIGKILL and started again on the same port, and is killed by a JVM shutdown hook if a
 * scenario does not close it. Never a shared server.
 */
public final class PrivateRedis {

  private PrivateRedis() {}

  /**
   * Starts a server on a free port and waits until it answers PING.
   *
   * @param name a name for its directory
   * @param extraArguments more {@code --option value} arguments
   * @return the server
   */
  public static RedisServerProcess start(String name, String... extraArguments) {
    return startOn(TestRedis.freePort(), name, extraArguments);
  }

  /**
   * Starts a server on a given port and waits until it answers PING.
   *
   * @param port the port
   * @param name a name for its directory
   * @param extraArguments more {@code --option value} arguments
   * @return the server
   */
  public static RedisServerProcess startOn(int port, String name, String... extraArguments) {
    return RedisServerProcess.start(
        Path.of(binary("redis-server")),
        port,
        directory(name + "-" + port),
        List.of(extraArguments));
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
  public static RedisServerProcess startSentinel(
      String masterName, RedisServerProcess master, int downAfterMillis) {
    int port = TestRedis.freePort();
    return RedisServerProcess.startSentinel(
        Path.of(binary("redis-server")),
        port,
        directory("sentinel-" + port),
        masterName,
        master,
        List.of(
            "sentinel down-after-milliseconds " + masterName + " " + downAfterMillis,
            "sentinel failover-timeout " + masterName + " 10000",
            "sentinel parallel-syncs " + masterName + " 1"));
  }

  /**
   * Returns the path of a Redis executable.
   *
   * @param name {@code redis-server} or {@code redis-cli}
   * @return its path
   * @throws IllegalStateException if it is not installed
   */
  static String binary(String name) {
    return TestRedis.executable(name)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the chaos suite starts its own Redis and needs "
                        + name
                        + " (apt-get install redis-server)"))
        .toString();
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
