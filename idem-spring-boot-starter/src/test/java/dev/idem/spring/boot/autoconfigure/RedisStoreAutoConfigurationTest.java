package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyStoreException;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * {@code idem.store=redis} on a real Redis: {@code IDEM_TEST_REDIS_URL} if set, else {@code
 * redis://127.0.0.1:6379}. Fails, never skips, when the server cannot be reached.
 */
class RedisStoreAutoConfigurationTest {

  private static String redisUrl() {
    String url = System.getenv("IDEM_TEST_REDIS_URL");
    return url != null && !url.isBlank() ? url : "redis://127.0.0.1:6379";
  }

  @Test
  void usesTheRedisStoreFromTheUrl() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(AopAutoConfiguration.class, IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "idem.store=redis",
            "idem.redis.url=" + redisUrl(),
            "idem.redis.key-prefix=idem-starter-test:",
            "idem.policies.strict.on-in-progress=reject")
        .withBean(Beans.Charges.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(IdempotencyStore.class))
                  .isInstanceOf(RedissonIdempotencyStore.class);
              assertThat(context.getBean(Idempotency.class).config().store().name())
                  .isEqualTo("redis");
              Beans.Charges charges = context.getBean(Beans.Charges.class);
              String order = UUID.randomUUID().toString();
              String first = charges.charge(order, 5);
              assertThat(charges.charge(order, 5)).isEqualTo(first);
              assertThat(charges.executions()).isEqualTo(1);
            });
  }

  @Test
  void storeBuiltFromTheUrlIsClosedWithTheContext() throws Exception {
    Set<Thread> before = redissonThreads();
    AtomicReference<RedissonIdempotencyStore> store = new AtomicReference<>();
    Set<Thread> started = new HashSet<>();
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(AopAutoConfiguration.class, IdempotencyAutoConfiguration.class))
        .withPropertyValues(
            "idem.store=redis",
            "idem.redis.url=" + redisUrl(),
            "idem.redis.key-prefix=idem-starter-test:",
            "idem.policies.strict.on-in-progress=reject")
        .withBean(Beans.Charges.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              store.set(context.getBean(RedissonIdempotencyStore.class));
              context.getBean(Beans.Charges.class).charge(UUID.randomUUID().toString(), 1);
              started.addAll(redissonThreads());
              started.removeAll(before);
            });
    assertThat(started).as("threads of the client built from idem.redis.url").isNotEmpty();

    assertThatThrownBy(
            () -> store.get().claim("k", null, "o", Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IdempotencyStoreException.class)
        .hasMessageContaining("closed");
    for (Thread thread : started) {
      thread.join(15_000);
    }
    assertThat(started.stream().filter(Thread::isAlive).map(Thread::getName))
        .as("threads of the Redisson client the starter built from idem.redis.url")
        .isEmpty();
  }

  private static Set<Thread> redissonThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("redisson"))
        .collect(Collectors.toSet());
  }
}
