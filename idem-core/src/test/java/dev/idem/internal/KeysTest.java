package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyKeyException;
import org.junit.jupiter.api.Test;

class KeysTest {

  @Test
  void composesPrefixNameScopeAndValue() {
    assertThat(Keys.compose("idem", "op", null, "42")).isEqualTo("idem:op:42");
    assertThat(Keys.compose("idem", "op", "tenant-1", "42")).isEqualTo("idem:op:tenant-1:42");
  }

  @Test
  void escapesColonsInTheScope() {
    assertThat(Keys.compose("idem", "op", "t:1", "x")).isEqualTo("idem:op:t%3A1:x");
    assertThat(Keys.compose("idem", "op", "t%3A1", "x")).isEqualTo("idem:op:t%253A1:x");
  }

  @Test
  void hashesLongKeysToBoundedLength() {
    String key = Keys.compose("idem", "o".repeat(100), "s".repeat(300), "v".repeat(10_000));
    assertThat(key).hasSizeLessThanOrEqualTo(Keys.MAX_KEY_LENGTH).contains(":sha256=");
    assertThat(Keys.compose("idem", "op", null, "v".repeat(10_000)))
        .isEqualTo(Keys.compose("idem", "op", null, "v".repeat(10_000)))
        .isNotEqualTo(Keys.compose("idem", "op", null, "v".repeat(10_001)));
  }

  @Test
  void rejectsNullBlankAndControlCharacters() {
    assertThatThrownBy(() -> Keys.compose("idem", "op", null, null))
        .isInstanceOf(IdempotencyKeyException.class);
    assertThatThrownBy(() -> Keys.compose("idem", "op", null, " \t"))
        .isInstanceOf(IdempotencyKeyException.class);
    assertThatThrownBy(() -> Keys.compose("idem", "op", null, "a\u0000"))
        .isInstanceOf(IdempotencyKeyException.class)
        .hasMessageContaining("U+0000")
        .hasMessageNotContaining("a\u0000");
    assertThatThrownBy(() -> Keys.compose("idem", "op", "", "a"))
        .isInstanceOf(IdempotencyKeyException.class);
  }

  @Test
  void validatesNamesAndPrefixes() {
    assertThat(Keys.requireValidName("payments.charge")).isEqualTo("payments.charge");
    assertThatThrownBy(() -> Keys.requireValidName("a b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.requireValidName("x".repeat(101)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Keys.requireValidPrefix("a:b"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
