package dev.idem.store.redis;

import dev.idem.spi.CompletionNotifier;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Wakes waiters through one Redis pub/sub channel per store: the complete and release scripts
 * {@code PUBLISH} the record's Redis key on it, and this notifier, subscribed once with a single
 * client listener ({@link Channel}: Redisson's or Lettuce's), dispatches each message to the local
 * listeners of that key.
 *
 * <p>One channel instead of one per key keeps a wait free of subscribe round trips: after the first
 * subscription, registering a waiter is a map insertion. Plain {@code PUBLISH} (not the sharded
 * {@code SPUBLISH}) is used so that one channel works on every topology; on Redis Cluster it is
 * broadcast to every node, so each JVM receives every completion of the cluster. That costs one
 * small message per completion and per JVM, which is fine until completions reach tens of thousands
 * per second; beyond that, wake-ups are best left to polling.
 */
final class PubSubCompletionNotifier implements CompletionNotifier {

  private static final System.Logger LOG =
      System.getLogger(PubSubCompletionNotifier.class.getName());

  private static final long RETRY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** The client's side of the channel: one subscription whose messages are Redis keys. */
  interface Channel {
    /**
     * Subscribes to the channel, passing each message to {@code onMessage}; the future completes
     * when the subscription is established. Called again only after a failed attempt.
     */
    CompletableFuture<?> subscribe(Consumer<String> onMessage);

    /** Ends the subscription made by {@link #subscribe}, if any; best effort. */
    void unsubscribe(CompletableFuture<?> subscription);
  }

  private final Channel topic;
  private final Function<String, String> redisKeys;
  private final long subscribeTimeoutMillis;
  private final ConcurrentHashMap<String, Set<Runnable>> listeners = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private @Nullable CompletableFuture<?> subscription;
  private long nextAttemptNanos;
  private volatile boolean closed;

  PubSubCompletionNotifier(
      Channel topic, Function<String, String> redisKeys, long subscribeTimeoutMillis) {
    this.topic = topic;
    this.redisKeys = redisKeys;
    this.subscribeTimeoutMillis = subscribeTimeoutMillis;
  }

  @Override
  public Subscription subscribe(String key, Runnable listener) {
    if (closed) {
      return () -> {}; // a closed store wakes nobody; its waiters poll and fail
    }
    String redisKey = redisKeys.apply(key);
    listeners.computeIfAbsent(redisKey, k -> ConcurrentHashMap.newKeySet()).add(listener);
    awaitSubscribed();
    AtomicBoolean active = new AtomicBoolean(true);
    return () -> {
      if (active.compareAndSet(true, false)) {
        listeners.computeIfPresent(
            redisKey,
            (k, set) -> {
              set.remove(listener);
              return set.isEmpty() ? null : set;
            });
      }
    };
  }

  /** Returns the number of keys with at least one local listener. */
  int subscribedKeys() {
    return listeners.size();
  }

  /** Returns whether the channel subscription is established. */
  boolean isSubscribed() {
    synchronized (lock) {
      return subscription != null
          && subscription.isDone()
          && !subscription.isCompletedExceptionally();
    }
  }

  /** Unsubscribes from the channel and forgets every listener. */
  void close() {
    CompletableFuture<?> current;
    synchronized (lock) {
      closed = true;
      current = subscription;
      subscription = null;
    }
    listeners.clear();
    if (current != null) {
      topic.unsubscribe(current);
    }
  }

  /**
   * Subscribes to the channel on first use and waits a bounded time for it. A wait that fails or
   * times out is not an error: the waiter is registered and the engine's polling covers it until
   * the subscription is up. Redisson resubscribes by itself after a reconnection; a subscription
   * that failed outright is attempted again at most once per {@link #RETRY_INTERVAL_NANOS}, so that
   * a server that refuses {@code SUBSCRIBE} does not slow every waiter down.
   */
  private void awaitSubscribed() {
    CompletableFuture<?> current;
    synchronized (lock) {
      if (closed) {
        return;
      }
      if (subscription == null
          || (subscription.isCompletedExceptionally()
              && System.nanoTime() - nextAttemptNanos >= 0)) {
        subscription = topic.subscribe(this::dispatch);
        nextAttemptNanos = System.nanoTime() + RETRY_INTERVAL_NANOS;
      }
      current = subscription;
    }
    if (current.isDone()) {
      return;
    }
    try {
      current.get(subscribeTimeoutMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(
          Level.DEBUG, "completion channel not subscribed yet, waiters fall back to polling", e);
    }
  }

  private void dispatch(String redisKey) {
    Set<Runnable> waiting = listeners.get(redisKey);
    if (waiting == null) {
      return;
    }
    for (Runnable listener : waiting) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a completion listener failed", e);
      }
    }
  }
}
