package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyKeyException;
import org.junit.jupiter.api.Test;

class KeysTest {

  @Test
  void composesPrefixNameScopeAndValue() {
    assertThat(Keys.compose("idem", "op", null, "42")).isEqualTo("idem:op:42");
    assertThat(Keys.compose("idem", "op", "tenant-1", "42")).isEqualTo("idem:op:@tenant-1:42");
  }

  @Test
  void escapesColonsAndPercentSignsInTheScope() {
    assertThat(Keys.compose("idem", "op", "t:1", "x")).isEqualTo("idem:op:@t%3A1:x");
    assertThat(Keys.compose("idem", "op", "t%3A1", "x")).isEqualTo("idem:op:@t%253A1:x");
  }

  @Test
  void aKeyWithoutScopeNeverEqualsAScopedKey() {
    // 0.1.0 composed both as idem:op:alice:K, so an anonymous caller could replay alice's result
    assertThat(Keys.compose("idem", "op", null, "alice:K"))
        .isNotEqualTo(Keys.compose("idem", "op", "alice", "K"));
    assertThat(Keys.compose("idem", "op", null, "@alice:K"))
        .isEqualTo("idem:op:\\@alice:K")
        .isNotEqualTo(Keys.compose("idem", "op", "alice", "K"));
  }

  @Test
  void aLiteralKeyNeverEqualsTheDigestOfALongKey() {
    String hashed = Keys.compose("idem", "op", null, "v".repeat(10_000));
    String tail = hashed.substring("idem:op:".length());
    assertThat(tail).startsWith("#sha256=");
    assertThat(Keys.compose("idem", "op", null, tail)).isEqualTo("idem:op:\\" + tail);
    assertThat(Keys.compose("idem", "op", null, tail.substring(1))).isNotEqualTo(hashed);
  }

  @Test
  void escapesValuesThatStartWithAMarker() {
    assertThat(Keys.compose("idem", "op", null, "#x")).isEqualTo("idem:op:\\#x");
    assertThat(Keys.compose("idem", "op", null, "\\x")).isEqualTo("idem:op:\\\\x");
    assertThat(Keys.compose("idem", "op", "s", "@x")).isEqualTo("idem:op:@s:\\@x");
    assertThat(Keys.compose("idem", "op", null, "x@#\\")).isEqualTo("idem:op:x@#\\");
  }

  @Test
  void composedKeysAreStableAcrossRunsAndStores() {
    // pinned: a change here changes every stored key (README, "Changes")
    assertThat(Keys.compose("idem", "payments.charge", "acme", "order-42"))
        .isEqualTo("idem:payments.charge:@acme:order-42");
    assertThat(Keys.compose("idem", "op", null, "v".repeat(300)))
        .isEqualTo("idem:op:#sha256=" + Sha256.hex("v".repeat(300)));
    assertThat(Keys.compose("idem", "op", "s", "v".repeat(300)))
        .isEqualTo("idem:op:#sha256=" + Sha256.hex("@s:" + "v".repeat(300)));
  }

  @Test
  void hashesLongKeysToBoundedLength() {
    String key = Keys.compose("idem", "o".repeat(100), "s".repeat(300), "v".repeat(10_000));
    assertThat(key).hasSizeLessThanOrEqualTo(Keys.MAX_KEY_LENGTH).contains(":#sha256=");
    assertThat(Keys.compose("idem", "op", null, "v".repeat(10_000)))
        .isEqualTo(Keys.compose("idem", "op", null, "v".repeat(10_000)))
        .isNotEqualTo(Keys.compose("idem", "op", null, "v".repeat(10_001)));
    String longScope = "%:".repeat(100);
    assertThat(Keys.compose("idem", "o".repeat(100), longScope, "@".repeat(200)))
        .hasSizeLessThanOrEqualTo(Keys.MAX_KEY_LENGTH);
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
  void rejectsLoneSurrogatesInKeysAndScopes() {
    // 0.1.0 stored x\uD800, x\uDBFF and x\uDC00 as one record: UTF-8 encodes each as '?'
    for (String malformed : new String[] {"x\uD800", "x\uDBFF", "x\uDC00", "\uDC00\uD800x"}) {
      assertThatThrownBy(() -> Keys.compose("idem", "op", null, malformed))
          .isInstanceOf(IdempotencyKeyException.class)
          .hasMessageContaining("lone surrogate");
      assertThatThrownBy(() -> Keys.compose("idem", "op", malformed, "k"))
          .isInstanceOf(IdempotencyKeyException.class)
          .hasMessageContaining("scope");
    }
    assertThat(Keys.compose("idem", "op", "\uD83D\uDD11", "ключ-\uD83D\uDD11"))
        .isEqualTo("idem:op:@\uD83D\uDD11:ключ-\uD83D\uDD11");
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
