package dev.idem.test.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.spi.ClaimResult;
import dev.idem.spi.IdempotencyRecord;
import dev.idem.spi.IdempotencyStore;
import dev.idem.spi.Outcome;
import dev.idem.spi.OutcomeKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The values and steps that the base contract and the capability contracts share. */
final class ContractFixtures {

  /** The time-to-live of records in tests that are not about expiry: longer than any test. */
  static final Duration TTL = Duration.ofHours(1);

  static final String OWNER = "kit-node-1/kit-thread-1";
  static final String FINGERPRINT =
      "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";
  static final Outcome VALUE =
      Outcome.of(OutcomeKind.VALUE, "{\"receipt\":\"r-1\"}".getBytes(StandardCharsets.UTF_8));

  private ContractFixtures() {}

  /** A key no test has used. */
  static String newKey() {
    return "kit:" + UUID.randomUUID();
  }

  /** {@code count} keys no test has used. */
  static List<String> newKeys(int count) {
    List<String> keys = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      keys.add(newKey());
    }
    return keys;
  }

  /** Claims {@code key} as {@link #OWNER} with {@link #FINGERPRINT}, expecting to acquire it. */
  static ClaimResult.Acquired acquire(IdempotencyStore store, String key, Duration lease) {
    return acquired(store.claim(key, FINGERPRINT, OWNER, lease, TTL));
  }

  static ClaimResult.Acquired acquired(ClaimResult result) {
    assertThat(result).as("claim result").isInstanceOf(ClaimResult.Acquired.class);
    return (ClaimResult.Acquired) result;
  }

  /** The live record of {@code key}, which must exist. */
  static IdempotencyRecord found(IdempotencyStore store, String key) {
    return store
        .find(key)
        .orElseThrow(() -> new AssertionError("expected a live record, found none"));
  }
}
