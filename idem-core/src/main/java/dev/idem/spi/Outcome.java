package dev.idem.spi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The stored outcome of a completed call: its kind and its opaque bytes. Stores keep the bytes
 * exactly as given and never interpret them.
 */
public final class Outcome {

  private static final byte[] EMPTY = new byte[0];
  private static final Outcome VOID = new Outcome(OutcomeKind.VOID, EMPTY);

  private final OutcomeKind kind;
  private final byte[] bytes;

  private Outcome(OutcomeKind kind, byte[] bytes) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.bytes = Objects.requireNonNull(bytes, "bytes");
  }

  /**
   * Returns an outcome of the given kind holding a copy of the bytes.
   *
   * @param kind the kind
   * @param bytes the encoded outcome
   * @return the outcome
   */
  public static Outcome of(OutcomeKind kind, byte[] bytes) {
    if (kind == OutcomeKind.VOID && bytes.length == 0) {
      return VOID;
    }
    return new Outcome(kind, bytes.clone());
  }

  /**
   * Returns the outcome of a {@code void} method.
   *
   * @return the void outcome
   */
  public static Outcome ofVoid() {
    return VOID;
  }

  /**
   * Returns a dropped outcome recording why the result was not stored.
   *
   * @param reason the reason, without customer data
   * @return the outcome
   */
  public static Outcome dropped(String reason) {
    return new Outcome(OutcomeKind.DROPPED, reason.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Returns the kind of this outcome.
   *
   * @return the kind
   */
  public OutcomeKind kind() {
    return kind;
  }

  /**
   * Returns a copy of the encoded bytes.
   *
   * @return the bytes; empty for {@link OutcomeKind#VOID}
   */
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * Returns the number of encoded bytes.
   *
   * @return the size in bytes
   */
  public int size() {
    return bytes.length;
  }

  /**
   * Returns the bytes without copying. The caller must not modify them.
   *
   * @return the internal bytes
   */
  public byte[] unsafeBytes() {
    return bytes;
  }

  /**
   * Creates an outcome that takes ownership of {@code bytes} without copying; for stores that just
   * decoded them and keep no other reference.
   *
   * @param kind the kind
   * @param bytes the bytes, no longer modified by the caller
   * @return the outcome
   */
  public static Outcome wrap(OutcomeKind kind, byte[] bytes) {
    return new Outcome(kind, bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome other && kind == other.kind && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return 31 * kind.hashCode() + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Outcome[" + kind + ", " + bytes.length + " bytes]";
  }
}
