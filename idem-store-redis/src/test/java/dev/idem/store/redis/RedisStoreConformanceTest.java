package dev.idem.store.redis;

import dev.idem.spi.IdempotencyStore;
import dev.idem.test.store.CompletionNotificationContract;
import dev.idem.test.store.IdempotencyStoreContract;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The store conformance kit through both Redis clients (Redisson and Lettuce) on every topology the
 * stores support: a standalone Redis, Redis Sentinel (a private master and Sentinel per client) and
 * a 3-master Redis Cluster.
 */
@ParameterizedClass(name = "{0} on {1}")
@MethodSource("clientsAndTopologies")
@ExtendWith(RedisTestSupport.class)
class RedisStoreConformanceTest extends IdempotencyStoreContract
    implements CompletionNotificationContract {

  /** The Redis client a store is built on. */
  enum Client {
    REDISSON("Redisson"),
    LETTUCE("Lettuce");

    private final String displayName;

    Client(String displayName) {
      this.displayName = displayName;
    }

    @Override
    public String toString() {
      return displayName;
    }
  }

  /** How the Redis servers a store talks to are deployed. */
  enum Topology {
    STANDALONE("a standalone Redis"),
    SENTINEL("Redis Sentinel"),
    CLUSTER("a 3-master Redis Cluster");

    private final String displayName;

    Topology(String displayName) {
      this.displayName = displayName;
    }

    @Override
    public String toString() {
      return displayName;
    }
  }

  private final Client client;
  private final Topology topology;

  RedisStoreConformanceTest(Client client, Topology topology) {
    this.client = client;
    this.topology = topology;
  }

  static Stream<Arguments> clientsAndTopologies() {
    return Arrays.stream(Client.values())
        .flatMap(c -> Arrays.stream(Topology.values()).map(t -> Arguments.of(c, t)));
  }

  /** Returns the store of this client and topology that every test of the JVM shares. */
  @Override
  public IdempotencyStore store() {
    return switch (client) {
      case REDISSON ->
          switch (topology) {
            case STANDALONE -> RedisTestClients.standaloneStore();
            case SENTINEL -> RedisTestClients.sentinelStore();
            case CLUSTER -> RedisTestClients.clusterStore();
          };
      case LETTUCE ->
          switch (topology) {
            case STANDALONE -> LettuceTestClients.standaloneStore();
            case SENTINEL -> LettuceTestClients.sentinelStore();
            case CLUSTER -> LettuceTestClients.clusterStore();
          };
    };
  }

  @Override
  public Duration lease() {
    return RedisTestClients.KIT_LEASE;
  }

  @Override
  public Duration margin() {
    return RedisTestClients.KIT_MARGIN;
  }

  @Override
  public void elapse(Duration duration) {
    sleep(duration); // the stores use the Redis server's clock
  }
}
