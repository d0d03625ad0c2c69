package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import dev.idem.store.memory.InMemoryIdempotencyStore;
import java.io.IOException;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code @Idempotent} methods driven through {@link Idempotency#invoke}, as the aspect does. */
class AnnotatedMethodTest {

  record ChargeCommand(String orderId, BigDecimal amount) {}

  record Receipt(String orderId, BigDecimal amount) {}

  public static class Declined extends Exception {
    public Declined(String message) {
      super(message);
    }
  }

  @SuppressWarnings("unused")
  static class Service {
    final AtomicInteger runs = new AtomicInteger();

    @Idempotent(name = "payments.charge", key = "#cmd.orderId")
    Receipt charge(ChargeCommand cmd) {
      runs.incrementAndGet();
      return new Receipt(cmd.orderId(), cmd.amount());
    }

    @Idempotent(name = "positional", key = "#p0 + '-' + #a1", payload = "")
    String positional(String a, int b) {
      return a + b + runs.incrementAndGet();
    }

    @Idempotent(key = "#id")
    String defaultName(String id) {
      return "r" + runs.incrementAndGet();
    }

    @Idempotent(name = "amount-only", key = "#cmd.orderId", payload = "#cmd.amount")
    String amountOnly(ChargeCommand cmd, String note) {
      return note + runs.incrementAndGet();
    }

    @Idempotent(name = "declined", key = "#id", replayOn = Declined.class)
    String declined(String id) throws Declined {
      runs.incrementAndGet();
      throw new Declined("card declined");
    }

    @Idempotent(name = "void", key = "#id")
    void sideEffect(String id) {
      runs.incrementAndGet();
    }

    @Idempotent(name = "primitive", key = "#id")
    int primitive(String id) {
      return runs.incrementAndGet();
    }

    @Idempotent(name = "optional", key = "#id")
    Optional<List<Receipt>> optional(String id) {
      runs.incrementAndGet();
      return Optional.of(List.of(new Receipt(id, BigDecimal.ONE)));
    }

    @Idempotent(name = "async", key = "#id")
    CompletableFuture<Receipt> async(String id) {
      runs.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> new Receipt(id, BigDecimal.TEN));
    }

    @Idempotent(name = "policy", key = "#id", policy = "strict", ttl = "1h")
    String withPolicy(String id) {
      return "p";
    }

    // misconfigured methods
    @Idempotent(key = "#cmd.orderId")
    String typo(ChargeCommand command) {
      return "";
    }

    @Idempotent(key = "#p3")
    String outOfRange(String id) {
      return "";
    }

    @Idempotent(key = "#id +")
    String unparseable(String id) {
      return "";
    }

    @Idempotent(key = "#id", ttl = "tomorrow")
    String badDuration(String id) {
      return "";
    }

    @Idempotent(key = "#id")
    Future<String> future(String id) {
      return CompletableFuture.completedFuture("");
    }

    @Idempotent(key = "#id")
    Object vague(String id) {
      return "";
    }

    @Idempotent(key = "#id", policy = "nope")
    String unknownPolicy(String id) {
      return "";
    }

    @Idempotent(key = "#id", replayOn = IOException.class)
    String undeclaredChecked(String id) {
      return "";
    }

    @Idempotent(key = "#id", name = "has:colon")
    String badName(String id) {
      return "";
    }
  }

  private final Service service = new Service();
  private final Idempotency idem =
      Idempotency.of(
          IdempotencyConfig.builder()
              .store(InMemoryIdempotencyStore.create())
              .policy(
                  "strict",
                  IdempotencyPolicy.builder()
                      .onInProgress(OnInProgress.REJECT)
                      .ttl(Duration.ofMinutes(5))
                      .build())
              .build());

  @AfterEach
  void close() {
    idem.close();
  }

  private Object call(String method, Object... args) throws Throwable {
    Method m = find(method);
    m.setAccessible(true);
    return idem.invoke(
        m,
        args,
        () -> {
          try {
            return m.invoke(service, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static Method find(String name) {
    for (Method m : Service.class.getDeclaredMethods()) {
      if (m.getName().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(name);
  }

  @Test
  void keyExpressionReadsArgumentsByName() throws Throwable {
    Object first = call("charge", new ChargeCommand("o-1", BigDecimal.TEN));
    Object second = call("charge", new ChargeCommand("o-1", BigDecimal.TEN));
    call("charge", new ChargeCommand("o-2", BigDecimal.TEN));
    assertThat(second).isEqualTo(first);
    assertThat(service.runs).hasValue(2);
  }

  @Test
  void defaultPayloadFingerprintsAllArguments() throws Throwable {
    call("charge", new ChargeCommand("o-1", BigDecimal.TEN));
    assertThatThrownBy(() -> call("charge", new ChargeCommand("o-1", BigDecimal.ONE)))
        .isInstanceOf(IdempotencyKeyReuseException.class);
  }

  @Test
  void payloadExpressionLimitsTheFingerprint() throws Throwable {
    assertThat(call("amountOnly", new ChargeCommand("o", BigDecimal.ONE), "first"))
        .isEqualTo("first1");
    assertThat(call("amountOnly", new ChargeCommand("o", new BigDecimal("1.000")), "note changed"))
        .isEqualTo("first1");
    assertThatThrownBy(() -> call("amountOnly", new ChargeCommand("o", BigDecimal.TEN), "first"))
        .isInstanceOf(IdempotencyKeyReuseException.class);
  }

  @Test
  void positionalVariablesWork() throws Throwable {
    assertThat(call("positional", "x", 1)).isEqualTo("x11");
    assertThat(call("positional", "x", 1)).isEqualTo("x11");
  }

  @Test
  void nameDefaultsToSimpleClassAndMethod() throws Throwable {
    call("defaultName", "k");
    assertThat(idem.config().store().find("idem:Service.defaultName:k")).isPresent();
  }

  @Test
  void nullKeyFailsBeforeTheBodyRuns() {
    assertThatThrownBy(() -> call("charge", new ChargeCommand(null, BigDecimal.ONE)))
        .isInstanceOf(IdempotencyKeyException.class)
        .hasMessageContaining("payments.charge");
    assertThat(service.runs).hasValue(0);
  }

  @Test
  void keyExpressionFailureIsAKeyException() {
    assertThatThrownBy(() -> call("charge", (Object) null))
        .isInstanceOf(IdempotencyKeyException.class);
  }

  @Test
  void checkedReplayOnExceptionIsReplayed() {
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> call("declined", "k"))
          .isExactlyInstanceOf(Declined.class)
          .hasMessage("card declined");
    }
    assertThat(service.runs).hasValue(1);
  }

  @Test
  void voidPrimitiveOptionalAndAsyncReturnTypesReplay() throws Throwable {
    call("sideEffect", "k");
    call("sideEffect", "k");
    assertThat(call("primitive", "k")).isEqualTo(2);
    assertThat(call("primitive", "k")).isEqualTo(2);
    Object optional = call("optional", "k");
    assertThat(call("optional", "k")).isEqualTo(optional);
    CompletableFuture<?> async = (CompletableFuture<?>) call("async", "k");
    Object value = async.get();
    assertThat(((CompletableFuture<?>) call("async", "k")).get()).isEqualTo(value);
    assertThat(service.runs).hasValue(4);
  }

  @Test
  void annotationAttributesOverrideTheNamedPolicy() throws Throwable {
    call("withPolicy", "k");
    var record = idem.config().store().find("idem:policy:k").orElseThrow();
    assertThat(Duration.between(record.createdAt(), record.expiresAt()))
        .isGreaterThan(Duration.ofMinutes(50));
  }

  @Test
  void misconfiguredMethodsFailValidationNamingTheMethod() {
    assertInvalid("typo", "#cmd");
    assertInvalid("outOfRange", "#p3");
    assertInvalid("unparseable", "does not parse");
    assertInvalid("badDuration", "tomorrow");
    assertInvalid("future", "CompletionStage");
    assertInvalid("vague", "too vague");
    assertInvalid("unknownPolicy", "nope");
    assertInvalid("undeclaredChecked", "IOException");
    assertInvalid("badName", "has:colon");
  }

  private void assertInvalid(String method, String messagePart) {
    assertThatThrownBy(() -> idem.validate(find(method)))
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("Service." + method)
        .hasMessageContaining(messagePart);
    assertThatThrownBy(() -> call(method, "x"))
        .isInstanceOf(IdempotencyConfigurationException.class);
  }

  @Test
  void globalInstanceMustBeConfiguredFirst() {
    Idempotency.unconfigure();
    assertThatThrownBy(Idempotency::global)
        .isInstanceOf(IdempotencyConfigurationException.class)
        .hasMessageContaining("Idempotency.configure(");
    Idempotency configured = Idempotency.configure(IdempotencyConfig.ofDefaults());
    try {
      assertThat(Idempotency.global()).isSameAs(configured);
    } finally {
      Idempotency.unconfigure();
    }
  }
}
