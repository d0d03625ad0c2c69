package dev.idem.test.servers;

import java.util.List;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Redis in Docker through Testcontainers, the last resort of {@link TestRedis}. Loaded only when
 * Testcontainers is on the class path (it is an optional dependency of this module).
 */
final class RedisContainers {

  private static final DockerImageName IMAGE = DockerImageName.parse("redis:7");

  private RedisContainers() {}

  static boolean dockerAvailable() {
    return DockerClientFactory.instance().isDockerAvailable();
  }

  @SuppressWarnings("resource") // stopped by TestRedis.stopStartedServers
  static String standaloneUrl() {
    GenericContainer<?> container =
        new GenericContainer<>(IMAGE)
            .withExposedPorts(6379)
            .withCommand("redis-server", "--save", "", "--appendonly", "no");
    container.start();
    TestRedis.closeOnExit(container::stop);
    return "redis://" + container.getHost() + ":" + container.getMappedPort(6379);
  }

  /**
   * Starts a 3-master, 3-replica cluster inside one container on the host network, so the nodes
   * announce loopback addresses the test JVM can reach (Linux Docker engines only).
   */
  @SuppressWarnings("resource") // stopped by TestRedis.stopStartedServers
  static List<String> clusterNodes(List<Integer> ports) {
    String nodes = ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(" "));
    String portList = ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
    String script =
        "set -e\n"
            + "for p in "
            + portList
            + "; do mkdir -p /data/$p; redis-server --port $p --bind 127.0.0.1"
            + " --cluster-enabled yes --cluster-config-file /data/$p/nodes.conf --dir /data/$p"
            + " --save '' --appendonly no --daemonize yes --logfile /data/$p/redis.log; done\n"
            + "for p in "
            + portList
            + "; do until redis-cli -p $p ping >/dev/null 2>&1; do sleep 0.1; done; done\n"
            + "redis-cli --cluster create "
            + nodes
            + " --cluster-replicas 1 --cluster-yes\n"
            + "echo IDEM-CLUSTER-CREATED\n"
            + "exec sleep infinity\n";
    GenericContainer<?> container =
        new GenericContainer<>(IMAGE)
            .withNetworkMode("host")
            .withCommand("sh", "-c", script)
            .waitingFor(Wait.forLogMessage(".*IDEM-CLUSTER-CREATED.*\\n", 1));
    container.start();
    TestRedis.closeOnExit(container::stop);
    List<String> addresses = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    LocalRedisCluster.awaitReady(addresses);
    return addresses;
  }
}
