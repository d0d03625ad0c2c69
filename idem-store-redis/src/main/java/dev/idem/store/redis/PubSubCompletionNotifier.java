package dev.idem.store.redis;

import dev.idem.spi.CompletionNotifier;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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
 * <p>Only watched records are published, so that a completion nobody waits for costs no {@code
 * PUBLISH}: once the channel is subscribed, {@link #subscribe} sends the {@code watch} script,
 * which marks the key's in-progress record as watched, without waiting for its reply. Nothing is
 * missed whichever runs first on Redis: a completion or release after the mark is published, and
 * one before it leaves no in-progress record, which the script answers with 0 and the listener is
 * then called at once (so is it when the script fails). A takeover keeps the mark.
 *
 * <p>One channel instead of one per key keeps a wait free of subscribe round trips: after the first
 * subscription, registering a waiter is a map insertion and one script sent. Plain {@code PUBLISH}
 * (not the sharded {@code SPUBLISH}) is used so that one channel works on every topology; on Redis
 * Cluster it is broadcast to every node, so each JVM receives every published completion of the
 * cluster.
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
  private final Function<String, CompletionStage<Boolean>> watch;
  private final long subscribeTimeoutMillis;
  private final ConcurrentHashMap<String, Set<Runnable>> listeners = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private @Nullable CompletableFuture<?> subscription;
  private long nextAttemptNanos;
  private volatile boolean closed;

  /**
   * Creates the notifier of a store.
   *
   * @param topic the client's side of the channel
   * @param redisKeys maps a composed key to its record's Redis key, the messages' content
   * @param watch marks the in-progress record of a composed key as watched; completes with false
   *     when the key holds no in-progress record
   * @param subscribeTimeoutMillis how long a first wait waits for the channel's subscription
   */
  PubSubCompletionNotifier(
      Channel topic,
      Function<String, String> redisKeys,
      Function<String, CompletionStage<Boolean>> watch,
      long subscribeTimeoutMillis) {
    this.topic = topic;
    this.redisKeys = redisKeys;
    this.watch = watch;
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
    watch(key)
        .whenComplete(
            (watched, failure) -> {
              if (failure != null) {
                LOG.log(Level.DEBUG, "could not watch a record, its waiter looks again", failure);
              }
              if (!Boolean.TRUE.equals(watched) && active.get()) {
                call(listener);
              }
            });
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

  private CompletionStage<Boolean> watch(String key) {
    try {
      return watch.apply(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void dispatch(String redisKey) {
    Set<Runnable> waiting = listeners.get(redisKey);
    if (waiting == null) {
      return;
    }
    for (Runnable listener : waiting) {
      call(listener);
    }
  }

  private static void call(Runnable listener) {
    try {
      listener.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a completion listener failed", e);
    }
  }
}
