package dev.idem.spring.boot.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.Idempotency;
import dev.idem.spi.IdempotencyStore;
import dev.idem.store.redis.RedissonIdempotencyStore;
import java.util.UUID;
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
}
