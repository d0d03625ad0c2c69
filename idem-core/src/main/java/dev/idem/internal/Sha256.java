package dev.idem.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in lower-case hex: the one digest of store keys, key hashes and payload fingerprints. */
public final class Sha256 {

  private static final HexFormat HEX = HexFormat.of();

  /** One digest per thread: a lookup per call would cost more than the hashing itself. */
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::create);

  private Sha256() {}

  /**
   * Returns the SHA-256 of a text's UTF-8 bytes.
   *
   * @param text the text
   * @return 64 lower-case hex digits
   */
  public static String hex(String text) {
    return hex(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Returns the SHA-256 of some bytes.
   *
   * @param bytes the bytes
   * @return 64 lower-case hex digits
   */
  public static String hex(byte[] bytes) {
    // digest() resets the digest for the thread's next use
    return HEX.formatHex(DIGEST.get().digest(bytes));
  }

  private static MessageDigest create() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
