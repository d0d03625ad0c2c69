package dev.idem;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Logs, at WARN, why the store failed a call: once per distinct cause, so that an outage or a
 * missing table is visible in the log without one line per request. The composed key is replaced by
 * {@code <key>} wherever a driver's message repeats it.
 */
final class StoreErrorLog {

  private static final System.Logger LOG = System.getLogger("dev.idem");
  private static final int MAX_CAUSES = 256;
  private static final int MAX_DEPTH = 5;

  private final Set<String> logged = ConcurrentHashMap.newKeySet();

  void log(String operation, String key, IdempotencyStoreException e) {
    String cause = describe(e, key);
    String signature = e.store() + '\n' + e.storeOperation() + '\n' + cause;
    if (logged.contains(signature)) {
      return;
    }
    if (logged.size() >= MAX_CAUSES) {
      logged.clear();
    }
    if (logged.add(signature)) {
      LOG.log(
          Level.WARNING,
          "Idempotency store ''{0}'' failed on {1} for operation ''{2}''; calls fail with IdempotencyStoreException (HTTP 503)"
              + " until it works again (logged once per cause): {3}",
          e.store(),
          e.storeOperation(),
          operation,
          cause);
    }
  }

  private static String describe(IdempotencyStoreException e, String key) {
    List<String> parts = new ArrayList<>();
    Throwable cause = e.getCause();
    if (cause == null) {
      parts.add(e.getMessage());
    }
    for (int depth = 0; cause != null && depth < MAX_DEPTH; depth++) {
      parts.add(cause.getClass().getName() + ": " + redact(cause.getMessage(), key));
      cause = cause.getCause() == cause ? null : cause.getCause();
    }
    return redact(String.join("; caused by ", parts), key);
  }

  private static String redact(@Nullable String text, String key) {
    if (text == null) {
      return "(no message)";
    }
    return key.isEmpty() ? text : text.replace(key, "<key>");
  }
}
