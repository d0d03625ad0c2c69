package dev.idem.spring.boot.autoconfigure;

import dev.idem.annotation.Idempotent;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** Beans with {@code @Idempotent} methods, valid and not, for the auto-configuration tests. */
final class Beans {

  private Beans() {}

  /** A valid bean that counts executions. */
  static class Charges {
    final AtomicInteger executions = new AtomicInteger();

    /** Read through a method: a CGLIB proxy's own fields are not the target's. */
    public int executions() {
      return executions.get();
    }

    @Idempotent(name = "charges.charge", key = "#orderId")
    public String charge(String orderId, int cents) {
      return orderId + ":" + cents + ":" + executions.incrementAndGet();
    }

    @Idempotent(name = "charges.strict", key = "#orderId", policy = "strict")
    public String strict(String orderId) {
      return orderId + ":" + executions.incrementAndGet();
    }
  }

  /** A key expression that does not parse. */
  static class BadExpression {
    @Idempotent(name = "bad.expression", key = "#orderId +")
    public String charge(String orderId) {
      return orderId;
    }
  }

  /** A return type that is consumed once and cannot be replayed. */
  static class BadReturnType {
    @Idempotent(name = "bad.stream", key = "#orderId")
    public Stream<String> charge(String orderId) {
      return Stream.of(orderId);
    }
  }

  /** A policy that is not registered. */
  static class UnknownPolicy {
    @Idempotent(name = "bad.policy", key = "#orderId", policy = "nope")
    public String charge(String orderId) {
      return orderId;
    }
  }

  /** A final method, which a proxy cannot advise. */
  static class FinalMethod {
    @Idempotent(name = "bad.final", key = "#orderId")
    public final String charge(String orderId) {
      return orderId;
    }
  }
}
