package dev.idem.store.sql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.jooq.Name;
import org.jooq.impl.DSL;

/**
 * The records table's name and its expiry index's, quoted identifiers built with {@link
 * DSL#quotedName}: jOOQ renders them quoted (escaping any quote inside) for every statement and the
 * DDL, so a name is never interpreted as SQL and is matched case-sensitively on every database.
 */
final class RecordsTable {

  static final String DEFAULT_NAME = "idem_records";
  static final String DEFAULT_INDEX_NAME = "idem_records_expires_at_idx";

  private static final Pattern PART = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private static final String INDEX_SUFFIX = "_expires_at_idx";
  private static final int MAX_IDENTIFIER = 63;

  final Name name;

  private RecordsTable(Name name) {
    this.name = name;
  }

  static RecordsTable of(Name name) {
    return new RecordsTable(name);
  }

  /**
   * Validates a table name, optionally qualified by a schema, and returns it as a quoted name.
   *
   * @throws IllegalArgumentException if a part is not a plain identifier
   */
  static Name parseName(String tableName) {
    String[] parts = tableName.split("\\.", -1);
    if (parts.length > 2) {
      throw invalid(tableName);
    }
    for (String part : parts) {
      if (!PART.matcher(part).matches()) {
        throw invalid(tableName);
      }
    }
    return DSL.quotedName(parts);
  }

  private static IllegalArgumentException invalid(String tableName) {
    // the rejected text may be hostile: show its length, never its content
    return new IllegalArgumentException(
        "invalid table name ("
            + tableName.length()
            + " characters): expected [schema.]table, each part matching"
            + " [A-Za-z_][A-Za-z0-9_]{0,62}");
  }

  /** The unqualified name of the expiry index, at most 63 characters. */
  String indexName() {
    String tableName = name.last();
    if (tableName.length() + INDEX_SUFFIX.length() <= MAX_IDENTIFIER) {
      return tableName + INDEX_SUFFIX;
    }
    // long names: keep a readable prefix and make the rest unique with a hash of the full name
    String hash = HexFormat.of().formatHex(sha256(name.toString())).substring(0, 8);
    int keep = MAX_IDENTIFIER - INDEX_SUFFIX.length() - hash.length() - 1;
    return tableName.substring(0, keep) + "_" + hash + INDEX_SUFFIX;
  }

  /** The expiry index name qualified by the table's schema, if it has one. */
  Name qualifiedIndexName() {
    return name.qualified()
        ? DSL.quotedName(name.first(), indexName())
        : DSL.quotedName(indexName());
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
