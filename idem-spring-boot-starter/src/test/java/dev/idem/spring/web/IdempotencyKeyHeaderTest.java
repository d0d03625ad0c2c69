package dev.idem.spring.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IdempotencyKeyHeaderTest {

  private static String parse(String raw) throws IdempotencyKeyHeader.Malformed {
    return IdempotencyKeyHeader.parse("Idempotency-Key", raw, 255);
  }

  /** What a servlet container hands over for UTF-8 header bytes: one character per byte. */
  private static String asContainerDecodes(String utf8) {
    return new String(utf8.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "\"8e03978e-40d5-43e8-bc93-6894a57f9324\"|8e03978e-40d5-43e8-bc93-6894a57f9324",
        "  \"k1\"  |k1",
        "\"a \\\"quoted\\\" \\\\ key\"|a \"quoted\" \\ key",
        "\"x\";a=1|x",
        "\"x\"; a=1;b;c=?0;d=\"s\";e=tok/en;f=-1.5;g=:aGk=:|x",
        "\"k,with;separators=\"|k,with;separators=",
        "8e03978e-40d5-43e8-bc93-6894a57f9324|8e03978e-40d5-43e8-bc93-6894a57f9324",
        "order:42/a|order:42/a",
        "tok;p=1|tok"
      })
  void acceptsStructuredFieldStringsWithParametersAndBareTokens(String raw, String key)
      throws Exception {
    assertThat(parse(raw)).isEqualTo(key);
  }

  @Test
  void refusesControlCharactersInsideAndOutsideTheQuotes() {
    // 0.1.0 accepted a tab inside the quotes
    assertThatThrownBy(() -> parse("\"a\tb\""))
        .isInstanceOf(IdempotencyKeyHeader.Malformed.class)
        .hasMessageContaining("control character (0x09)");
    assertThatThrownBy(() -> parse("\"a\u0001b\""))
        .hasMessageContaining("control character (0x01)");
    assertThatThrownBy(() -> parse("\"a\u007Fb\""))
        .hasMessageContaining("control character (0x7F)");
  }

  @Test
  void refusesNonAsciiNamingTheByteNotAControlCharacter() {
    // 0.1.0 said "control character (U+008E)" for this key, and stored "nc-é" as "nc-Ã©"
    assertThatThrownBy(() -> parse(asContainerDecodes("\"nc-ключ-\uD83D\uDD11\"")))
        .isInstanceOf(IdempotencyKeyHeader.Malformed.class)
        .hasMessageContaining("printable ASCII")
        .hasMessageContaining("0xD0")
        .hasMessageNotContaining("control");
    assertThatThrownBy(() -> parse(asContainerDecodes("\"nc-é\"")))
        .hasMessageContaining("0xC3")
        .hasMessageContaining("position 5");
    assertThatThrownBy(() -> parse("\"nc-é\"")).hasMessageContaining("0xE9");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"unterminated",
        "\"bad escape \\n\"",
        "\"x\" trailing",
        "\"x\";",
        "\"x\";A=1",
        "\"x\";a=",
        "\"x\";a=?2",
        "\"a\", \"b\"",
        "two words",
        "(x)"
      })
  void refusesWhatIsNotAStructuredFieldString(String raw) {
    assertThatThrownBy(() -> parse(raw)).isInstanceOf(IdempotencyKeyHeader.Malformed.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\"\"", "\"   \""})
  void refusesEmptyAndBlankKeys(String raw) {
    assertThatThrownBy(() -> parse(raw))
        .isInstanceOf(IdempotencyKeyHeader.Malformed.class)
        .hasMessageMatching(".*(empty|blank).*");
  }

  @Test
  void refusesKeysOverTheLimit() throws Exception {
    assertThat(IdempotencyKeyHeader.parse("K", "\"" + "a".repeat(64) + "\"", 64)).hasSize(64);
    assertThatThrownBy(() -> IdempotencyKeyHeader.parse("K", "\"" + "a".repeat(65) + "\"", 64))
        .hasMessageContaining("65 characters, more than the limit of 64");
  }
}
