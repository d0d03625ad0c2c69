package dev.idem.store.redis;

import dev.idem.test.servers.RedisServerProcess;
import dev.idem.test.servers.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * The Redisson clients of this module's tests: built on first use, light (two executor and two
 * Netty threads, small pools), shared by every test class of the JVM and shut down by {@link
 * RedisTestSupport} when the test plan ends (or by a shutdown hook). Two clients per topology play
 * two JVMs. The Sentinel deployment is private to these tests, started on first use.
 */
final class RedisTestClients {

  /**
   * The conformance kit's lease and margin for the Redis stores: longer than the kit's defaults, as
   * for the SQL stores, so that a loaded machine (the tests share two cores with other builds)
   * cannot push a call past the margin the kit allows around lease and record ends.
   */
  static final Duration KIT_LEASE = Duration.ofMillis(1500);

  static final Duration KIT_MARGIN = Duration.ofMillis(600);

  private static final String SENTINEL_MASTER = "idem-test-master";
  private static final List<RedissonClient> STARTED = new ArrayList<>();
  private static RedissonClient standalone;
  private static RedissonClient standaloneSecond;
  private static RedissonClient cluster;
  private static RedissonClient clusterSecond;
  private static RedissonClient sentinel;
  private static RedissonIdempotencyStore sentinelStore;
  private static RedissonIdempotencyStore standaloneStore;
  private static RedissonIdempotencyStore clusterStore;

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(RedisTestClients::shutdownAll, "idem-redis-clients-stop"));
  }

  private RedisTestClients() {}

  static synchronized RedissonClient standalone() {
    if (standalone == null) {
      standalone = start(standaloneConfig());
    }
    return standalone;
  }

  static synchronized RedissonClient standaloneSecond() {
    if (standaloneSecond == null) {
      standaloneSecond = start(standaloneConfig());
    }
    return standaloneSecond;
  }

  static synchronized RedissonClient cluster() {
    if (cluster == null) {
      cluster = start(clusterConfig(60_000));
    }
    return cluster;
  }

  static synchronized RedissonClient clusterSecond() {
    if (clusterSecond == null) {
      clusterSecond = start(clusterConfig(60_000));
    }
    return clusterSecond;
  }

  /**
   * Returns a client of a private Sentinel deployment (a master and one Sentinel, started on first
   * use and stopped with the other fixture servers).
   */
  static synchronized RedissonClient sentinel() {
    if (sentinel == null) {
      List<RedisServerProcess> deployment = TestRedis.startSentinelDeployment(SENTINEL_MASTER);
      Config config = light();
      config
          .useSentinelServers()
          .setMasterName(SENTINEL_MASTER)
          .addSentinelAddress("redis://" + deployment.get(1).address())
          .setCheckSentinelsList(false)
          .setMasterConnectionMinimumIdleSize(1)
          .setMasterConnectionPoolSize(8)
          .setSlaveConnectionMinimumIdleSize(1)
          .setSlaveConnectionPoolSize(1)
          .setSubscriptionConnectionMinimumIdleSize(1)
          .setSubscriptionConnectionPoolSize(1)
          .setTimeout(3_000)
          .setConnectTimeout(2_000);
      sentinel = start(config);
    }
    return sentinel;
  }

  /** Returns the store on {@link #sentinel()} shared by the tests. */
  static synchronized RedissonIdempotencyStore sentinelStore() {
    if (sentinelStore == null) {
      sentinelStore = RedissonIdempotencyStore.of(sentinel());
    }
    return sentinelStore;
  }

  /** Returns the store on {@link #standalone()} shared by the tests. */
  static synchronized RedissonIdempotencyStore standaloneStore() {
    if (standaloneStore == null) {
      standaloneStore = RedissonIdempotencyStore.of(standalone());
    }
    return standaloneStore;
  }

  /** Returns the store on {@link #cluster()} shared by the tests. */
  static synchronized RedissonIdempotencyStore clusterStore() {
    if (clusterStore == null) {
      clusterStore = RedissonIdempotencyStore.of(cluster());
    }
    return clusterStore;
  }

  /**
   * Returns a new cluster client the caller shuts down, whose slot map is refreshed only every
   * {@code scanIntervalMillis}, so that a test can make it stale.
   */
  static RedissonClient newClusterClient(int scanIntervalMillis) {
    return Redisson.create(clusterConfig(scanIntervalMillis));
  }

  static synchronized void shutdownAll() {
    if (standaloneStore != null) {
      standaloneStore.close();
      standaloneStore = null;
    }
    if (clusterStore != null) {
      clusterStore.close();
      clusterStore = null;
    }
    if (sentinelStore != null) {
      sentinelStore.close();
      sentinelStore = null;
    }
    for (RedissonClient client : STARTED) {
      client.shutdown();
    }
    STARTED.clear();
    standalone = null;
    standaloneSecond = null;
    cluster = null;
    clusterSecond = null;
    sentinel = null;
  }

  private static RedissonClient start(Config config) {
    RedissonClient client = Redisson.create(config);
    STARTED.add(client);
    return client;
  }

  private static Config light() {
    Config config = new Config();
    config.setThreads(2).setNettyThreads(2).setCodec(StringCodec.INSTANCE);
    return config;
  }

  private static Config standaloneConfig() {
    Config config = light();
    config
        .useSingleServer()
        .setAddress(TestRedis.standaloneUrl())
        .setConnectionMinimumIdleSize(1)
        .setConnectionPoolSize(8)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(1)
        .setTimeout(3_000)
        .setConnectTimeout(2_000);
    return config;
  }

  private static Config clusterConfig(int scanIntervalMillis) {
    Config config = light();
    var cluster = config.useClusterServers();
    TestRedis.clusterNodes().forEach(node -> cluster.addNodeAddress("redis://" + node));
    cluster
        .setScanInterval(scanIntervalMillis)
        .setMasterConnectionMinimumIdleSize(1)
        .setMasterConnectionPoolSize(8)
        .setSlaveConnectionMinimumIdleSize(1)
        .setSlaveConnectionPoolSize(1)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(1)
        .setTimeout(3_000)
        .setConnectTimeout(2_000);
    return config;
  }
}
