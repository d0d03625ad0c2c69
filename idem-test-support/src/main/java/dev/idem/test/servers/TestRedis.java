package dev.idem.test.servers;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The Redis servers of Idem's tests, resolved once per JVM and returned as addresses, so that this
 * module needs no Redis client.
 *
 * <ul>
 *   <li><b>Standalone</b> ({@link #standaloneUrl()}): {@value #URL_VARIABLE} if set; else a server
 *       listening on {@code 127.0.0.1:6379}; else a {@code redis:7} container when Testcontainers
 *       finds a Docker engine; else the call fails, naming the variable.
 *   <li><b>Cluster</b> ({@link #clusterNodes()}): {@value #CLUSTER_VARIABLE} (comma-separated
 *       {@code host:port}) if set; else a 3-master, 3-replica cluster started here from the {@code
 *       redis-server} and {@code redis-cli} binaries on free loopback ports; else the same cluster
 *       inside a {@code redis:7} container on the host network when a Docker engine is present;
 *       else the call fails, naming the variable.
 *   <li><b>A private server</b> ({@link #startServer()}) for tests that kill and restart Redis: a
 *       {@code redis-server} child process on a free port. Never stop a shared server.
 *   <li><b>A private Sentinel deployment</b> ({@link #startSentinelDeployment(String)}): a master
 *       and one Sentinel monitoring it, both child processes on free ports.
 * </ul>
 *
 * <p>Servers started here are stopped by {@link #stopStartedServers()}, which test suites call when
 * they end, and by a JVM shutdown hook as a safety net. Nothing is ever skipped: a server that
 * cannot be found is an error.
 */
public final class TestRedis {

  /** The environment variable that names a standalone server, as {@code redis://host:port}. */
  public static final String URL_VARIABLE = "IDEM_TEST_REDIS_URL";

  /** The environment variable that names the nodes of a cluster, as {@code host:port,...}. */
  public static final String CLUSTER_VARIABLE = "IDEM_TEST_REDIS_CLUSTER_NODES";

  private static final String LOCAL_HOST = "127.0.0.1";
  private static final int LOCAL_PORT = 6379;
  private static final int PROBE_TIMEOUT_MILLIS = 300;
  private static final int START_ATTEMPTS = 3;

  private static final Set<RedisServerProcess> PROCESSES = ConcurrentHashMap.newKeySet();
  private static final Set<AutoCloseable> RESOURCES = ConcurrentHashMap.newKeySet();
  private static final AtomicInteger DIRECTORIES = new AtomicInteger();

  private static @Nullable String standaloneUrl;
  private static boolean standaloneStarted;
  private static @Nullable List<String> clusterNodes;

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestRedis::stopStartedServers, "idem-test-redis-stop"));
  }

  private TestRedis() {}

  /**
   * Returns the standalone server of this JVM's tests.
   *
   * @return its URL, {@code redis://host:port}
   * @throws IllegalStateException if no server can be found or started
   */
  public static synchronized String standaloneUrl() {
    if (standaloneUrl == null) {
      standaloneUrl = resolveStandalone();
    }
    return standaloneUrl;
  }

  /**
   * Returns the Redis Cluster of this JVM's tests, starting one if needed.
   *
   * @return the addresses of its nodes, {@code host:port}
   * @throws IllegalStateException if no cluster can be found or started
   */
  public static synchronized List<String> clusterNodes() {
    if (clusterNodes == null) {
      clusterNodes = resolveCluster();
    }
    return clusterNodes;
  }

  /**
   * Starts a private {@code redis-server} on a free loopback port, for a test that kills and
   * restarts it. The caller closes it.
   *
   * @return the running server
   * @throws IllegalStateException if the {@code redis-server} binary is not installed
   */
  public static RedisServerProcess startServer() {
    Path binary =
        executable("redis-server")
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "this test kills and restarts its own Redis server and needs the"
                            + " redis-server binary on the PATH (apt-get install redis-server)"));
    RuntimeException last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        return RedisServerProcess.start(binary, freePort(), newDirectory("server"), List.of());
      } catch (IllegalStateException e) {
        last = e;
      }
    }
    throw Optional.ofNullable(last).orElseThrow();
  }

  /**
   * Starts a private Sentinel deployment: a {@code redis-server} master and one Sentinel that
   * monitors it under {@code masterName} with a quorum of one, both on free loopback ports. The
   * caller closes both (the Sentinel first).
   *
   * @param masterName the name Sentinel clients ask for
   * @return the master and the Sentinel, in that order
   * @throws IllegalStateException if the {@code redis-server} binary is not installed
   */
  public static List<RedisServerProcess> startSentinelDeployment(String masterName) {
    Path binary =
        executable("redis-server")
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the Sentinel tests start their own master and Sentinel and need the"
                            + " redis-server binary on the PATH (apt-get install redis-server)"));
    RedisServerProcess master = startServer();
    try {
      RedisServerProcess sentinel =
          RedisServerProcess.startSentinel(
              binary, freePort(), newDirectory("sentinel"), masterName, master, List.of());
      return List.of(master, sentinel);
    } catch (RuntimeException e) {
      master.close();
      throw e;
    }
  }

  /** Stops every server and container this class started. Safe to call more than once. */
  public static void stopStartedServers() {
    for (RedisServerProcess process : PROCESSES) {
      process.kill();
    }
    PROCESSES.clear();
    for (AutoCloseable resource : RESOURCES) {
      try {
        resource.close();
      } catch (Exception e) {
        // best effort: the JVM is ending or the suite is over
      }
    }
    RESOURCES.clear();
    synchronized (TestRedis.class) {
      clusterNodes = null;
      if (standaloneStarted) {
        standaloneUrl = null;
        standaloneStarted = false;
      }
    }
  }

  static void killOnExit(RedisServerProcess process) {
    PROCESSES.add(process);
  }

  static void closeOnExit(AutoCloseable resource) {
    RESOURCES.add(resource);
  }

  private static String resolveStandalone() {
    String configured = System.getenv(URL_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      String url = configured.strip();
      return url.contains("://") ? url : "redis://" + url;
    }
    if (ServerProbes.listening(LOCAL_HOST, LOCAL_PORT, PROBE_TIMEOUT_MILLIS)) {
      return "redis://" + LOCAL_HOST + ":" + LOCAL_PORT;
    }
    if (ServerProbes.testcontainersPresent() && RedisContainers.dockerAvailable()) {
      standaloneStarted = true;
      return RedisContainers.standaloneUrl();
    }
    throw new IllegalStateException(
        "No Redis server for the tests: set "
            + URL_VARIABLE
            + "=redis://host:port, start Redis on "
            + LOCAL_HOST
            + ":"
            + LOCAL_PORT
            + ", or provide a Docker engine for Testcontainers");
  }

  private static List<String> resolveCluster() {
    String configured = System.getenv(CLUSTER_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      List<String> nodes =
          Arrays.stream(configured.split(","))
              .map(String::strip)
              .filter(s -> !s.isEmpty())
              .toList();
      LocalRedisCluster.awaitReady(nodes);
      return nodes;
    }
    Optional<Path> server = executable("redis-server");
    Optional<Path> cli = executable("redis-cli");
    if (server.isPresent() && cli.isPresent()) {
      return startLocalCluster(server.get(), cli.get());
    }
    if (ServerProbes.testcontainersPresent() && RedisContainers.dockerAvailable()) {
      return RedisContainers.clusterNodes(freeClusterPorts());
    }
    throw new IllegalStateException(
        "No Redis Cluster for the tests: set "
            + CLUSTER_VARIABLE
            + "=host:port,host:port,..., install the redis-server and redis-cli binaries so the"
            + " tests can start one, or provide a Docker engine for Testcontainers");
  }

  private static List<String> startLocalCluster(Path server, Path cli) {
    RuntimeException last = null;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        LocalRedisCluster cluster =
            LocalRedisCluster.start(server, cli, freeClusterPorts(), newDirectory("cluster"));
        closeOnExit(cluster);
        return cluster.nodes();
      } catch (IllegalStateException e) {
        last = e; // most likely a port taken between the check and the start: try other ports
      }
    }
    throw Optional.ofNullable(last).orElseThrow();
  }

  /**
   * Returns a loopback port that was free a moment ago, for a server to start on.
   *
   * @return the port
   */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOCAL_HOST))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns six consecutive free loopback ports whose cluster bus ports (+10000) are free too. */
  static List<Integer> freeClusterPorts() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = random.nextInt(20_000, 50_000);
      List<Integer> ports = new ArrayList<>();
      for (int port = base; port < base + LocalRedisCluster.NODES; port++) {
        if (!bindable(port) || !bindable(port + 10_000)) {
          break;
        }
        ports.add(port);
      }
      if (ports.size() == LocalRedisCluster.NODES) {
        return ports;
      }
    }
    throw new IllegalStateException("found no free loopback ports for a Redis Cluster");
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(LOCAL_HOST))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Returns a new, empty directory under {@code target/idem-redis} of the working directory. */
  static Path newDirectory(String kind) {
    Path dir =
        Path.of(
                "target",
                "idem-redis",
                kind + "-" + ProcessHandle.current().pid() + "-" + DIRECTORIES.incrementAndGet())
            .toAbsolutePath();
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Finds an executable, such as {@code redis-server} or {@code redis-cli}, on the PATH or in the
   * usual install directories.
   *
   * @param name the executable's file name
   * @return its path, or empty if it is not installed
   */
  public static Optional<Path> executable(String name) {
    List<String> directories = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      directories.addAll(Arrays.asList(path.split(File.pathSeparator)));
    }
    directories.addAll(List.of("/usr/local/bin", "/usr/bin", "/opt/homebrew/bin"));
    for (String directory : directories) {
      if (directory.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(directory, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
