package dev.idem.store.redis;

import dev.idem.test.servers.RedisServerProcess;
import dev.idem.test.servers.TestRedis;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Lettuce clients and stores of this module's tests: built on first use, shared by every test
 * class of the JVM and shut down by {@link RedisTestSupport} when the test plan ends.
 */
final class LettuceTestClients {

  private static final String SENTINEL_MASTER = "idem-lettuce-master";
  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final List<AbstractRedisClient> STARTED = new ArrayList<>();
  private static final List<LettuceIdempotencyStore> STORES = new ArrayList<>();
  private static LettuceIdempotencyStore standaloneStore;
  private static LettuceIdempotencyStore clusterStore;
  private static LettuceIdempotencyStore sentinelStore;

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(LettuceTestClients::shutdownAll, "idem-lettuce-stop"));
  }

  private LettuceTestClients() {}

  static synchronized RedisClient standalone() {
    RedisURI uri = RedisURI.create(TestRedis.standaloneUrl());
    uri.setTimeout(TIMEOUT);
    return start(RedisClient.create(uri));
  }

  static synchronized RedisClusterClient cluster() {
    List<RedisURI> nodes = new ArrayList<>();
    for (String node : TestRedis.clusterNodes()) {
      RedisURI uri = RedisURI.create("redis://" + node);
      uri.setTimeout(TIMEOUT);
      nodes.add(uri);
    }
    return start(RedisClusterClient.create(nodes));
  }

  static synchronized LettuceIdempotencyStore standaloneStore() {
    if (standaloneStore == null) {
      standaloneStore = store(LettuceIdempotencyStore.of(standalone()));
    }
    return standaloneStore;
  }

  static synchronized LettuceIdempotencyStore clusterStore() {
    if (clusterStore == null) {
      clusterStore = store(LettuceIdempotencyStore.of(cluster()));
    }
    return clusterStore;
  }

  /** Returns a store through a private Sentinel deployment (a master and one Sentinel). */
  static synchronized LettuceIdempotencyStore sentinelStore() {
    if (sentinelStore == null) {
      List<RedisServerProcess> deployment = TestRedis.startSentinelDeployment(SENTINEL_MASTER);
      RedisServerProcess sentinel = deployment.get(1);
      RedisURI uri =
          RedisURI.Builder.sentinel("127.0.0.1", sentinel.port(), SENTINEL_MASTER)
              .withTimeout(TIMEOUT)
              .build();
      sentinelStore = store(LettuceIdempotencyStore.of(start(RedisClient.create(uri))));
    }
    return sentinelStore;
  }

  static synchronized void shutdownAll() {
    for (LettuceIdempotencyStore store : STORES) {
      store.close();
    }
    STORES.clear();
    standaloneStore = null;
    clusterStore = null;
    sentinelStore = null;
    for (AbstractRedisClient client : STARTED) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
    STARTED.clear();
  }

  private static LettuceIdempotencyStore store(LettuceIdempotencyStore store) {
    STORES.add(store);
    return store;
  }

  private static <C extends AbstractRedisClient> C start(C client) {
    STARTED.add(client);
    return client;
  }
}
