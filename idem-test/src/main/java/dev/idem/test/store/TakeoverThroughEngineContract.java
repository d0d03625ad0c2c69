package dev.idem.test.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyInProgressException;
import dev.idem.IdempotentOperation;
import dev.idem.spi.ForwardingIdempotencyStore;
import dev.idem.spi.IdempotencyStore;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A real takeover through the engine, on a store whose lease runs on its own clock: a caller frozen
 * past its lease (its renewals never reach the store, as in a paused JVM) is taken over by a second
 * engine, and when it wakes up its completion is refused by the store's fencing. Its caller must
 * then get what every other caller of the key gets — the new owner's outcome — never the value it
 * computed itself, which was never stored.
 *
 * <p>Extend it once per store, next to the store's {@link IdempotencyStoreContract}: implement
 * {@link #store()} (shared by both engines, as two JVMs share a server) and, if the store is slow,
 * {@link #lease()}.
 */
public abstract class TakeoverThroughEngineContract {

  private Idempotency zombieNode;
  private Idempotency otherNode;

  /**
   * The store under test; both engines use it.
   *
   * @return the store
   */
  protected abstract IdempotencyStore store();

  /**
   * The lease of the operations; the frozen caller is taken over once it has passed.
   *
   * @return the lease, 600 ms unless overridden
   */
  protected Duration lease() {
    return Duration.ofMillis(600);
  }

  private IdempotentOperation<String> operation(Idempotency node, String name) {
    return node.operation(name, String.class)
        .lease(lease())
        .waitTimeout(Duration.ofSeconds(10))
        .build();
  }

  private void startNodes() {
    zombieNode =
        Idempotency.of(
            IdempotencyConfig.builder().store(new FrozenRenewals(store())).owner("zombie").build());
    otherNode = Idempotency.of(IdempotencyConfig.builder().store(store()).owner("other").build());
  }

  @AfterEach
  void closeNodes() {
    if (zombieNode != null) {
      zombieNode.close();
    }
    if (otherNode != null) {
      otherNode.close();
    }
  }

  private static String uniqueName() {
    return "takeover." + UUID.randomUUID().toString().substring(0, 8);
  }

  private void sleepPastLease() throws InterruptedException {
    Thread.sleep(lease().toMillis() * 2 + 200);
  }

  @Test
  void fencedCallerGetsTheCompletedOutcomeOfTheCallerThatTookOver() throws Exception {
    startNodes();
    String name = uniqueName();
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch wake = new CountDownLatch(1);
    CompletableFuture<String> zombie = runningCall(zombieNode, name, "zombie", wake, runs);
    sleepPastLease();
    String taken = operation(otherNode, name).execute("k", null, () -> "new owner");
    wake.countDown();

    assertThat(taken).isEqualTo("new owner");
    assertThat(zombie.get(10, TimeUnit.SECONDS)).isEqualTo("new owner");
    assertThat(operation(otherNode, name).execute("k", null, () -> "again")).isEqualTo("new owner");
    assertThat(runs).hasValue(1);
  }

  @Test
  void fencedCallerWaitsForTheCallerThatTookOverWhileItRuns() throws Exception {
    startNodes();
    String name = uniqueName();
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch zombieWake = new CountDownLatch(1);
    CountDownLatch ownerDone = new CountDownLatch(1);
    CompletableFuture<String> zombie = runningCall(zombieNode, name, "zombie", zombieWake, runs);
    sleepPastLease();
    CompletableFuture<String> owner = runningCall(otherNode, name, "new owner", ownerDone, runs);
    zombieWake.countDown(); // fenced while the new owner still runs: it waits
    Thread.sleep(300);
    assertThat(zombie).isNotDone();
    ownerDone.countDown();

    assertThat(owner.get(10, TimeUnit.SECONDS)).isEqualTo("new owner");
    assertThat(zombie.get(10, TimeUnit.SECONDS)).isEqualTo("new owner");
    assertThat(runs).hasValue(2);
  }

  @Test
  void fencedCallerWhoseTakerFailedIsToldToRetry() throws Exception {
    startNodes();
    String name = uniqueName();
    CountDownLatch wake = new CountDownLatch(1);
    CompletableFuture<String> zombie =
        runningCall(zombieNode, name, "zombie", wake, new AtomicInteger());
    sleepPastLease();
    assertThatThrownBy(
            () ->
                operation(otherNode, name)
                    .execute(
                        "k",
                        null,
                        () -> {
                          throw new IllegalStateException("the new owner failed");
                        }))
        .hasMessage("the new owner failed");
    wake.countDown();

    assertThatThrownBy(() -> zombie.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(IdempotencyInProgressException.class)
        .hasMessageContaining("lost its claim");
    assertThat(operation(otherNode, name).execute("k", null, () -> "retried")).isEqualTo("retried");
  }

  /**
   * Starts a call of key {@code k} of operation {@code name} on {@code node}, in a thread of its
   * own, and returns once its body runs. The body counts itself in {@code runs}, waits for {@code
   * wake} and returns {@code value}.
   */
  private CompletableFuture<String> runningCall(
      Idempotency node, String name, String value, CountDownLatch wake, AtomicInteger runs)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<String> call =
        inThread(
            () ->
                operation(node, name)
                    .execute(
                        "k",
                        null,
                        () -> {
                          runs.incrementAndGet();
                          started.countDown();
                          wake.await(30, TimeUnit.SECONDS);
                          return value;
                        }));
    assertThat(started.await(10, TimeUnit.SECONDS)).as("the body of %s started", value).isTrue();
    return call;
  }

  private static CompletableFuture<String> inThread(java.util.concurrent.Callable<String> call) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.complete(call.call());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            "takeover-contract");
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  /** The store as a frozen JVM sees it: lease renewals never arrive. */
  private static final class FrozenRenewals extends ForwardingIdempotencyStore {
    FrozenRenewals(IdempotencyStore delegate) {
      super(delegate);
    }

    @Override
    public boolean renew(String key, long token, Duration lease) {
      return true;
    }

    @Override
    public void close() {
      // the store is shared with the other node and owned by the test
    }
  }
}
