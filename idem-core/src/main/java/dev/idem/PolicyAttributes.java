package dev.idem;

import dev.idem.annotation.Idempotent;
import dev.idem.annotation.OnInProgress;
import dev.idem.internal.Durations;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads policy settings as annotations and configuration properties write them into an {@link
 * IdempotencyPolicy}. It is Idem's one reader of such values: {@code @Idempotent} is read with it,
 * and integrations read their own annotations (the Spring Boot starter's {@code
 * IdempotentEndpoint}) and property holders with it, so that a setting means the same everywhere.
 *
 * <pre>{@code
 * IdempotencyPolicy own = PolicyAttributes.create()
 *     .ttl(annotation.ttl())                    // "24h"; "" leaves it unset
 *     .onInProgress(annotation.onInProgress())  // DEFAULT leaves it unset
 *     .toPolicy();
 * }</pre>
 *
 * <p>A value that says "not set" — an empty string, {@link OnInProgress#DEFAULT} or {@code null} —
 * leaves its setting unset, to be inherited as {@link IdempotencyPolicy} describes. Durations
 * written as text are read by {@link #parseDuration(String)}. Every value is checked as it is
 * given: an invalid one throws {@link IllegalArgumentException} with a message that starts with the
 * attribute's name ({@code ttl: 'forever' is not a duration ...}), to which the caller adds where
 * the value came from (the method, the property prefix).
 *
 * <p>Not thread-safe; read one policy per instance.
 */
public final class PolicyAttributes {

  private static final Pattern SIMPLE = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private final IdempotencyPolicy.Builder policy = IdempotencyPolicy.builder();

  private PolicyAttributes() {}

  /**
   * Starts reading a policy with every setting unset.
   *
   * @return the reader
   */
  public static PolicyAttributes create() {
    return new PolicyAttributes();
  }

  /**
   * Reads the policy settings of an {@code @Idempotent} annotation: {@code ttl}, {@code lease},
   * {@code onInProgress}, {@code waitTimeout} and {@code replayOn}. Attributes left at their
   * defaults (an empty {@code replayOn} among them) are unset. The annotation's {@code policy}
   * names the policy these settings override; it is not read here.
   *
   * @param annotation the annotation
   * @return the annotation's own settings
   * @throws IllegalArgumentException naming the attribute if one is invalid
   */
  public static IdempotencyPolicy of(Idempotent annotation) {
    return create()
        .ttl(annotation.ttl())
        .lease(annotation.lease())
        .onInProgress(annotation.onInProgress())
        .waitTimeout(annotation.waitTimeout())
        .replayOn(annotation.replayOn().length == 0 ? null : List.of(annotation.replayOn()))
        .toPolicy();
  }

  /**
   * Parses a positive duration written as {@code <n>ms}, {@code <n>s}, {@code <n>m}, {@code <n>h},
   * {@code <n>d} (for example {@code 500ms}, {@code 24h}, {@code 7d}) or in ISO-8601 ({@code
   * PT24H}, {@code P1D}). Case and surrounding whitespace do not matter.
   *
   * @param text the duration
   * @return the duration
   * @throws IllegalArgumentException if the text is not a positive duration
   */
  public static Duration parseDuration(String text) {
    String trimmed = text.strip();
    Duration duration;
    if (trimmed.startsWith("P") || trimmed.startsWith("p")) {
      try {
        duration = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(notADuration(text), e);
      }
    } else {
      Matcher m = SIMPLE.matcher(trimmed.toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new IllegalArgumentException(notADuration(text));
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
    return Durations.requirePositive(duration, text);
  }

  /**
   * Reads how long a completed result is kept and replayed.
   *
   * @param ttl a duration as {@link #parseDuration(String)} reads it; empty or null for unset
   * @return this reader
   * @throws IllegalArgumentException if the text is not a positive duration
   */
  public PolicyAttributes ttl(@Nullable String ttl) {
    return ttl(duration(ttl, "ttl"));
  }

  /**
   * Reads how long a completed result is kept and replayed.
   *
   * @param ttl a positive duration, or null for unset
   * @return this reader
   * @throws IllegalArgumentException if the duration is not positive
   */
  public PolicyAttributes ttl(@Nullable Duration ttl) {
    return set(ttl, policy::ttl);
  }

  /**
   * Reads how long a claim stays exclusive without renewal.
   *
   * @param lease a duration as {@link #parseDuration(String)} reads it; empty or null for unset
   * @return this reader
   * @throws IllegalArgumentException if the text is not a positive duration
   */
  public PolicyAttributes lease(@Nullable String lease) {
    return lease(duration(lease, "lease"));
  }

  /**
   * Reads how long a claim stays exclusive without renewal.
   *
   * @param lease a positive duration, or null for unset
   * @return this reader
   * @throws IllegalArgumentException if the duration is not positive
   */
  public PolicyAttributes lease(@Nullable Duration lease) {
    return set(lease, policy::lease);
  }

  /**
   * Reads the longest a waiting duplicate blocks.
   *
   * @param waitTimeout a duration as {@link #parseDuration(String)} reads it; empty or null for
   *     unset
   * @return this reader
   * @throws IllegalArgumentException if the text is not a positive duration
   */
  public PolicyAttributes waitTimeout(@Nullable String waitTimeout) {
    return waitTimeout(duration(waitTimeout, "waitTimeout"));
  }

  /**
   * Reads the longest a waiting duplicate blocks.
   *
   * @param waitTimeout a positive duration, or null for unset
   * @return this reader
   * @throws IllegalArgumentException if the duration is not positive
   */
  public PolicyAttributes waitTimeout(@Nullable Duration waitTimeout) {
    return set(waitTimeout, policy::waitTimeout);
  }

  /**
   * Reads what a duplicate does while the first call runs.
   *
   * @param onInProgress WAIT or REJECT; {@link OnInProgress#DEFAULT} or null for unset
   * @return this reader
   */
  public PolicyAttributes onInProgress(@Nullable OnInProgress onInProgress) {
    return set(onInProgress == OnInProgress.DEFAULT ? null : onInProgress, policy::onInProgress);
  }

  /**
   * Reads the exception types stored and replayed as outcomes.
   *
   * @param replayOn the types (empty: none is replayed), or null for unset
   * @return this reader
   * @throws IllegalArgumentException if a type cannot be replayed (see {@link
   *     IdempotencyPolicy.Builder#replayOn(List)})
   */
  public PolicyAttributes replayOn(@Nullable List<Class<? extends Throwable>> replayOn) {
    return set(replayOn, policy::replayOn);
  }

  /**
   * Reads whether the body runs unprotected when the store is unreachable at claim time.
   *
   * @param failOpen the flag, or null for unset
   * @return this reader
   */
  public PolicyAttributes failOpen(@Nullable Boolean failOpen) {
    return set(failOpen, policy::failOpen);
  }

  /**
   * Reads whether replays are served from the near cache.
   *
   * @param nearCache the flag, or null for unset
   * @return this reader
   */
  public PolicyAttributes nearCache(@Nullable Boolean nearCache) {
    return set(nearCache, policy::nearCache);
  }

  /**
   * Returns the policy read so far: the settings given, the others unset.
   *
   * @return the policy
   */
  public IdempotencyPolicy toPolicy() {
    return policy.build();
  }

  private <V> PolicyAttributes set(@Nullable V value, Consumer<V> setting) {
    if (value != null) {
      setting.accept(value);
    }
    return this;
  }

  private static @Nullable Duration duration(@Nullable String text, String attribute) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      return parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(attribute + ": " + e.getMessage(), e);
    }
  }

  private static String notADuration(String text) {
    return "'"
        + text
        + "' is not a duration: use <n>ms, <n>s, <n>m, <n>h, <n>d or ISO-8601 such as PT24H";
  }
}
