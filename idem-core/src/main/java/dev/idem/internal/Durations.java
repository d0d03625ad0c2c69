package dev.idem.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the duration strings of {@code @Idempotent}: {@code 500ms}, {@code 30s}, {@code PT24H}.
 */
public final class Durations {

  private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses a positive duration.
   *
   * @param text {@code <n>ms|s|m|h|d} or ISO-8601 ({@code PT24H}, {@code P1D})
   * @return the duration
   * @throws IllegalArgumentException if the text is not a positive duration
   */
  public static Duration parse(String text) {
    String trimmed = text.strip();
    Duration duration;
    if (trimmed.startsWith("P") || trimmed.startsWith("p")) {
      try {
        duration = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(invalid(text), e);
      }
    } else {
      Matcher m = SIMPLE.matcher(trimmed.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new IllegalArgumentException(invalid(text));
      }
      long amount = Long.parseLong(m.group(1));
      duration =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
          };
    }
    return requirePositive(duration, text);
  }

  /**
   * Checks that a duration is positive.
   *
   * @param duration the duration
   * @param what what it is, for the message
   * @return the duration
   */
  public static Duration requirePositive(Duration duration, String what) {
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(what + " must be a positive duration, got " + duration);
    }
    return duration;
  }

  private static String invalid(String text) {
    return "'"
        + text
        + "' is not a duration: use <n>ms, <n>s, <n>m, <n>h, <n>d or ISO-8601 such as PT24H";
  }
}
