package dev.idem.spring.mvc;

import dev.idem.IdempotencyStoreException;
import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import dev.idem.spi.ClaimResult;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring MVC application whose controller calls {@code @Idempotent} service methods, for the
 * mapping of Idem exceptions to HTTP problems.
 */
@SpringBootApplication
public class ProblemsTestApplication {

  /** The in-memory store, which the tests can take down. */
  @Bean
  SwitchableStore idempotencyStore() {
    return new SwitchableStore();
  }

  /** A store that fails every claim while it is down. */
  public static final class SwitchableStore extends ForwardingIdempotencyStore {
    volatile boolean down;

    SwitchableStore() {
      super(InMemoryIdempotencyStore.create());
    }

    @Override
    public ClaimResult claim(
        String key, @Nullable String fingerprint, String owner, Duration lease, Duration ttl) {
      if (down) {
        throw IdempotencyStoreException.of(name(), "claim", new ConnectException("down"));
      }
      return super.claim(key, fingerprint, owner, lease, ttl);
    }
  }

  /** The idempotent service. */
  @Service
  public static class Charges {
    /** Static: the bean is a class proxy, whose own fields the target never sees. */
    static volatile CountDownLatch slowEntered = new CountDownLatch(1);

    static volatile CountDownLatch slowRelease = new CountDownLatch(1);

    @Idempotent(name = "charges.charge", key = "#orderId")
    public String charge(String orderId, int amount) {
      return orderId + ":" + amount;
    }

    @Idempotent(
        name = "charges.slow",
        key = "#orderId",
        onInProgress = OnInProgress.REJECT,
        lease = "30s")
    public String slow(String orderId) throws InterruptedException {
      slowEntered.countDown();
      slowRelease.await(30, TimeUnit.SECONDS);
      return orderId;
    }
  }

  /** The controller, which knows nothing about Idem. */
  @RestController
  static class ChargeController {
    private final Charges charges;

    ChargeController(Charges charges) {
      this.charges = charges;
    }

    @PostMapping("/charges/{orderId}")
    String charge(@PathVariable String orderId, @RequestParam int amount) {
      return charges.charge(orderId, amount);
    }

    @PostMapping("/slow/{orderId}")
    String slow(@PathVariable String orderId) throws InterruptedException {
      return charges.slow(orderId);
    }

    @PostMapping("/charges")
    String chargeWithKey(@RequestParam String orderId) {
      return charges.charge(orderId, 1);
    }
  }
}
