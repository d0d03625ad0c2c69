package dev.idem.spi;

/**
 * A store capability: wakes callers waiting on a key when its record is completed or released, so
 * waiting duplicates need not poll. The engine still polls slowly as a fallback, so a lost
 * notification only delays a waiter, it never strands it.
 */
public interface CompletionNotifier {

  /**
   * Subscribes to completion and release of a key until the subscription is closed.
   *
   * <p>The listener may run on any thread, possibly more than once and possibly spuriously; it must
   * be quick and must not block. Events that happen before this method returns may be missed, so a
   * caller subscribes first and then reads the record.
   *
   * @param key the composed key
   * @param listener called after the record of {@code key} is completed or released
   * @return the subscription, to be closed when no longer needed
   */
  Subscription subscribe(String key, Runnable listener);

  /** An active subscription. Closing it more than once has no effect. */
  interface Subscription extends AutoCloseable {
    /** Stops delivering events to the listener. */
    @Override
    void close();
  }
}
