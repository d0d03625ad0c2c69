package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.Idempotent;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What plain Java applications check at startup instead of at a method's first call: {@link
 * Idempotency#validate(Class[])}, {@link Idempotency#verifyWoven(Class[])}; who closes the store;
 * and the WARN log of store failures.
 */
class StartupChecksTest {

  @AfterEach
  void tearDown() {
    Idempotency.unconfigure();
  }

  static class ValidService {
    @Idempotent(name = "valid.charge", key = "#orderId", ttl = "1h")
    public String charge(String orderId) {
      return orderId;
    }
  }

  static class BrokenService {
    @Idempotent(name = "broken.key", key = "#order.id")
    public String badKey(String orderId) {
      return orderId;
    }

    @Idempotent(name = "broken.ttl", key = "#orderId", ttl = "forever")
    public String badTtl(String orderId) {
      return orderId;
    }

    @Idempotent(name = "broken.policy", key = "#orderId", policy = "nope")
    public String unknownPolicy(String orderId) {
      return orderId;
    }

    @Idempotent(name = "fine", key = "#orderId")
    public String fine(String orderId) {
      return orderId;
    }
  }

  static class NotAnnotated {
    public String charge(String orderId) {
      return orderId;
    }
  }

  @Test
  void validateAcceptsValidMethods() {
    Idempotency.of(IdempotencyConfig.ofDefaults()).validate(ValidService.class);
  }

  @Test
  void validateListsEveryBrokenMethodAtStartup() {
    Idempotency idem = Idempotency.of(IdempotencyConfig.ofDefaults());
    assertThatThrownBy(() -> idem.validate(ValidService.class, BrokenService.class))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageStartingWith("3 invalid @Idempotent methods")
        .hasMessageContaining("BrokenService.badKey(String)")
        .hasMessageContaining("#order")
        .hasMessageContaining("BrokenService.badTtl(String)")
        .hasMessageContaining("BrokenService.unknownPolicy(String)")
        .hasMessageContaining("nope")
        .hasMessageNotContaining("fine(")
        .hasMessageNotContaining("ValidService");
  }

  @Test
  void validateRefusesAClassWithoutIdempotentMethods() {
    Idempotency idem = Idempotency.of(IdempotencyConfig.ofDefaults());
    assertThatThrownBy(() -> idem.validate(NotAnnotated.class))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining(NotAnnotated.class.getName() + " declares no @Idempotent method");
  }

  @Test
  void verifyWovenRefusesAJavacOnlyClassSayingHowToWeave() {
    // this test module is compiled by javac only: nothing in it is woven
    assertThatThrownBy(() -> Idempotency.verifyWoven(ValidService.class))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("ValidService.charge(String)")
        .hasMessageContaining("not woven")
        .hasMessageContaining("process-classes")
        .hasMessageContaining("-javaagent:aspectjweaver.jar");
  }

  @Test
  void verifyWovenRecognisesTheMethodsAjcGenerates() {
    Idempotency.verifyWoven(LooksWoven.class);
  }

  /** The shape ajc gives a woven class: the body moved to a static {@code m_aroundBody<n>}. */
  static class LooksWoven {
    @Idempotent(name = "looks.woven", key = "#orderId")
    public String charge(String orderId) {
      return charge_aroundBody0(this, orderId);
    }

    static String charge_aroundBody0(LooksWoven self, String orderId) {
      return orderId;
    }
  }

  @Test
  void closeLeavesTheApplicationsStoreOpen() {
    ClosingStore store = new ClosingStore();
    Idempotency.of(IdempotencyConfig.builder().store(store).build()).close();
    assertThat(store.closed.get()).isZero();
  }

  @Test
  void closeClosesAStoreHandedOverToIdem() {
    ClosingStore store = new ClosingStore();
    Idempotency.of(IdempotencyConfig.builder().store(store).closeStoreOnClose(true).build())
        .close();
    assertThat(store.closed.get()).isEqualTo(1);
  }

  @Test
  void reconfiguringWithTheSameStoreDoesNotCloseIt() {
    ClosingStore store = new ClosingStore();
    IdempotencyConfig config =
        IdempotencyConfig.builder().store(store).closeStoreOnClose(true).build();
    Idempotency.configure(config);
    Idempotency.configure(config);
    assertThat(store.closed.get()).isZero();
    Idempotency.unconfigure();
    assertThat(store.closed.get()).isEqualTo(1);
  }

  @Test
  void idemOwnsTheDefaultInMemoryStore() {
    assertThat(IdempotencyConfig.ofDefaults().closeStoreOnClose()).isTrue();
    assertThat(
            IdempotencyConfig.builder()
                .store(InMemoryIdempotencyStore.create())
                .build()
                .closeStoreOnClose())
        .isFalse();
  }

  @Test
  void storeFailuresAreLoggedAtWarnOncePerCauseWithoutTheKey() {
    CountingStore store = new CountingStore(InMemoryIdempotencyStore.create());
    store.down.set(true);
    Idempotency idem = Idempotency.of(IdempotencyConfig.builder().store(store).build());
    IdempotentOperation<String> op = idem.operation("orders.place", String.class).build();
    List<LogRecord> records = new ArrayList<>();
    Logger logger = Logger.getLogger("dev.idem");
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            records.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
    try {
      for (int i = 0; i < 5; i++) {
        String key = "customer-secret-" + i;
        assertThatThrownBy(() -> op.execute(key, null, () -> "x"))
            .isInstanceOf(IdempotencyStoreException.class);
      }
    } finally {
      logger.removeHandler(handler);
    }
    assertThat(records).hasSize(1);
    LogRecord record = records.get(0);
    assertThat(record.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
    String text =
        java.text.MessageFormat.format(
            record.getMessage(),
            record.getParameters() == null ? new Object[0] : record.getParameters());
    assertThat(text)
        .contains("'counting'", "claim", "'orders.place'", "java.net.ConnectException: down")
        .doesNotContain("customer-secret");
  }

  /** A store that counts how often it is closed. */
  static final class ClosingStore extends ForwardingIdempotencyStore {
    final AtomicInteger closed = new AtomicInteger();

    ClosingStore() {
      super(InMemoryIdempotencyStore.create());
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }
}
