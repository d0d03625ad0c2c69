package dev.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyAttributesTest {

  @Test
  void parsesSimpleAndIsoDurations() {
    assertThat(PolicyAttributes.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(PolicyAttributes.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(PolicyAttributes.parseDuration("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(PolicyAttributes.parseDuration(" 24H ")).isEqualTo(Duration.ofHours(24));
    assertThat(PolicyAttributes.parseDuration("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(PolicyAttributes.parseDuration("PT24H")).isEqualTo(Duration.ofHours(24));
    assertThat(PolicyAttributes.parseDuration("p1d")).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void rejectsGarbageZeroAndNegativeDurations() {
    for (String bad :
        new String[] {"", "24", "h", "1y", "0s", "PT0S", "PT-1S", "-5s", "tomorrow"}) {
      assertThatThrownBy(() -> PolicyAttributes.parseDuration(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void unsetValuesLeaveTheirSettingsToBeInherited() {
    IdempotencyPolicy policy =
        PolicyAttributes.create()
            .ttl("")
            .lease((Duration) null)
            .waitTimeout((String) null)
            .onInProgress(OnInProgress.DEFAULT)
            .replayOn(null)
            .failOpen(null)
            .nearCache(null)
            .toPolicy();

    assertThat(policy).isEqualTo(IdempotencyPolicy.inherit());
  }

  @Test
  void textAndTypedValuesGiveTheSamePolicy() {
    IdempotencyPolicy fromText =
        PolicyAttributes.create().ttl("24h").lease("30s").waitTimeout("PT5S").toPolicy();
    IdempotencyPolicy fromValues =
        PolicyAttributes.create()
            .ttl(Duration.ofHours(24))
            .lease(Duration.ofSeconds(30))
            .waitTimeout(Duration.ofSeconds(5))
            .toPolicy();

    assertThat(fromText).isEqualTo(fromValues);
    assertThat(fromText.ttl()).contains(Duration.ofHours(24));
  }

  @Test
  void anEmptyReplayOnListReplaysNothingRatherThanInheriting() {
    assertThat(PolicyAttributes.create().replayOn(List.of()).toPolicy().replayOn())
        .contains(List.of());
  }

  @Test
  void invalidValuesAreNamedByTheirAttribute() {
    assertThatThrownBy(() -> PolicyAttributes.create().waitTimeout("forever"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("waitTimeout: 'forever' is not a duration");
    assertThatThrownBy(() -> PolicyAttributes.create().lease(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("lease must be a positive duration");
  }

  static class Annotated {
    @Idempotent(
        key = "#id",
        ttl = "7d",
        onInProgress = OnInProgress.REJECT,
        replayOn = IllegalStateException.class,
        policy = "payments")
    void charge(String id) {}

    @Idempotent(key = "#id")
    void plain(String id) {}
  }

  @Test
  void readsAnIdempotentAnnotationsOwnSettings() throws NoSuchMethodException {
    IdempotencyPolicy charge =
        PolicyAttributes.of(
            Annotated.class
                .getDeclaredMethod("charge", String.class)
                .getAnnotation(Idempotent.class));
    IdempotencyPolicy plain =
        PolicyAttributes.of(
            Annotated.class
                .getDeclaredMethod("plain", String.class)
                .getAnnotation(Idempotent.class));

    assertThat(charge)
        .isEqualTo(
            IdempotencyPolicy.builder()
                .ttl(Duration.ofDays(7))
                .onInProgress(OnInProgress.REJECT)
                .replayOn(IllegalStateException.class)
                .build());
    assertThat(plain).isEqualTo(IdempotencyPolicy.inherit());
  }

  @Test
  void anOperationTakesTheSettingsAPolicySets() {
    try (Idempotency idem = Idempotency.of(IdempotencyConfig.ofDefaults())) {
      IdempotentOperation<String> op =
          idem.operation("reports.run", String.class)
              .settings(PolicyAttributes.create().ttl("1h").toPolicy())
              .build();
      op.execute("r-1", null, () -> "done");

      IdempotencyAdmin.RecordView record = idem.admin().find("reports.run", "r-1").orElseThrow();
      assertThat(Duration.between(record.createdAt(), record.expiresAt()))
          .isGreaterThan(Duration.ofMinutes(59))
          .isLessThan(Duration.ofMinutes(61));
    }
  }
}
