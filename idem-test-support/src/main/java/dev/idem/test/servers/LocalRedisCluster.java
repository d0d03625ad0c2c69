package dev.idem.test.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of three masters and three replicas, made of {@code redis-server} child processes
 * on loopback ports and joined with {@code redis-cli --cluster create}. Started by {@link
 * TestRedis#clusterNodes()} when no cluster is configured; closing it kills the processes.
 */
public final class LocalRedisCluster implements AutoCloseable {

  /** How many nodes the cluster has: three masters, each with one replica. */
  public static final int NODES = 6;

  private static final long CREATE_TIMEOUT_SECONDS = 60;
  private static final long READY_TIMEOUT_MILLIS = 30_000;

  private final List<RedisServerProcess> servers;

  private LocalRedisCluster(List<RedisServerProcess> servers) {
    this.servers = List.copyOf(servers);
  }

  /**
   * Starts the nodes on the given ports (their cluster bus ports, {@code port + 10000}, must be
   * free too), creates the cluster and waits until every node reports {@code cluster_state:ok} and
   * every replica is in sync.
   *
   * @param redisServer the {@code redis-server} executable
   * @param redisCli the {@code redis-cli} executable
   * @param ports six free loopback ports
   * @param dir a directory for the nodes' files
   * @return the running cluster
   * @throws IllegalStateException if the cluster does not form
   */
  static LocalRedisCluster start(Path redisServer, Path redisCli, List<Integer> ports, Path dir) {
    if (ports.size() != NODES) {
      throw new IllegalArgumentException("a cluster needs " + NODES + " ports: " + ports);
    }
    List<RedisServerProcess> servers = new ArrayList<>();
    try {
      for (int port : ports) {
        servers.add(
            RedisServerProcess.start(
                redisServer,
                port,
                dir.resolve(Integer.toString(port)),
                List.of(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "5000")));
      }
      LocalRedisCluster cluster = new LocalRedisCluster(servers);
      cluster.create(redisCli, dir);
      awaitReady(cluster.nodes());
      return cluster;
    } catch (RuntimeException e) {
      servers.forEach(RedisServerProcess::kill);
      throw e;
    }
  }

  /**
   * Returns the nodes' addresses, {@code 127.0.0.1:port}.
   *
   * @return the six addresses
   */
  public List<String> nodes() {
    return servers.stream().map(RedisServerProcess::address).toList();
  }

  /** Kills every node. */
  @Override
  public void close() {
    servers.forEach(RedisServerProcess::kill);
  }

  private void create(Path redisCli, Path dir) {
    List<String> command = new ArrayList<>();
    command.add(redisCli.toString());
    command.add("--cluster");
    command.add("create");
    command.addAll(nodes());
    command.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
    Path log = dir.resolve("cluster-create.log");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
              .start();
      if (!process.waitFor(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("redis-cli --cluster create timed out; see " + log);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "redis-cli --cluster create failed: "
                + Files.readString(log, StandardCharsets.UTF_8).strip());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + redisCli, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the cluster", e);
    }
  }

  /**
   * Waits until every node reports {@code cluster_state:ok} and knows all nodes, and every replica
   * has a working link to its master.
   *
   * @param nodes the nodes' addresses
   * @throws IllegalStateException if that does not happen within 30 seconds
   */
  static void awaitReady(List<String> nodes) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
    String lastProblem = "";
    while (System.nanoTime() < deadline) {
      lastProblem = problem(nodes);
      if (lastProblem.isEmpty()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the cluster", e);
      }
    }
    throw new IllegalStateException("the Redis Cluster did not become ready: " + lastProblem);
  }

  private static String problem(List<String> nodes) {
    for (String node : nodes) {
      try {
        String info = String.valueOf(RawRedis.call(node, 2_000, "CLUSTER", "INFO"));
        if (!"ok".equals(RawRedis.infoField(info, "cluster_state"))) {
          return node + " cluster_state " + RawRedis.infoField(info, "cluster_state");
        }
        if (!Integer.toString(nodes.size())
            .equals(RawRedis.infoField(info, "cluster_known_nodes"))) {
          return node + " knows " + RawRedis.infoField(info, "cluster_known_nodes") + " nodes";
        }
        String replication = String.valueOf(RawRedis.call(node, 2_000, "INFO", "replication"));
        if ("slave".equals(RawRedis.infoField(replication, "role"))
            && !"up".equals(RawRedis.infoField(replication, "master_link_status"))) {
          return node + " replica link " + RawRedis.infoField(replication, "master_link_status");
        }
      } catch (RuntimeException e) {
        return node + " " + e.getMessage();
      }
    }
    return "";
  }

  private static java.io.File nullDevice() {
    return new java.io.File(
        System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }
}
