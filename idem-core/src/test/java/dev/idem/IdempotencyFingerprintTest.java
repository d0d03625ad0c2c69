package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Idempotency#fingerprint(Object)} is the fingerprint calls store. */
class IdempotencyFingerprintTest {

  record Command(String orderId, String currency) {}

  static class Service {
    @Idempotent(name = "payments.charge", key = "#cmd.orderId")
    public String charge(Command cmd) {
      return "charged " + cmd.orderId();
    }
  }

  private final Idempotency idem = Idempotency.of(IdempotencyConfig.ofDefaults());

  @AfterEach
  void close() {
    idem.close();
  }

  @Test
  void isTheFingerprintAnOperationStoresForItsPayload() {
    Command command = new Command("order-1", "EUR");
    idem.operation("payments.refund", String.class).build().execute("order-1", command, () -> "ok");

    assertThat(idem.admin().find("payments.refund", "order-1").orElseThrow().fingerprint())
        .isEqualTo(idem.fingerprint(command));
  }

  @Test
  void isTheFingerprintAnAnnotatedMethodStoresForItsArguments() throws Throwable {
    Service service = new Service();
    Method charge = Service.class.getMethod("charge", Command.class);
    Command command = new Command("order-2", "EUR");
    idem.invoke(charge, new Object[] {command}, () -> service.charge(command));

    assertThat(idem.admin().find("payments.charge", "order-2").orElseThrow().fingerprint())
        .isEqualTo(idem.fingerprint(new Object[] {command}));
  }

  @Test
  void isTheSha256OfTheCanonicalJsonInHex() throws Exception {
    String canonical = "{\"a\":\"first\",\"b\":\"second\"}";
    String expected =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(canonical.getBytes(StandardCharsets.UTF_8)));

    assertThat(idem.fingerprint(Map.of("b", "second", "a", "first"))).isEqualTo(expected);
  }

  @Test
  void refusesPayloadsThatAreNotJson() {
    assertThatThrownBy(() -> idem.fingerprint(new Object()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
