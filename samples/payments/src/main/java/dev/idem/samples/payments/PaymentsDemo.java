package dev.idem.samples.payments;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyException;
import dev.idem.IdempotencyKeyReuseException;
import dev.idem.IdempotencyPolicy;
import dev.idem.IdempotentOperation;
import dev.idem.spi.IdempotencyStore;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays what payment services live through — lost responses, concurrent duplicates, a reused key, a
 * declined card, a node that dies mid-charge — against an {@code @Idempotent} charge method, and
 * prints a table showing that the card gateway was called exactly once per order.
 *
 * <p>Run it with {@code mvn -q -pl samples/payments -am package exec:java -DskipTests}. The store
 * is in-memory by default; {@code -Dexec.args="--help"} lists the others.
 */
public final class PaymentsDemo {

  private static final Duration LEASE = Duration.ofSeconds(1);

  private final PrintStream out;
  private final PaymentGateway gateway = new PaymentGateway();
  private final PaymentService service = new PaymentService(gateway);
  private final List<Row> rows = new ArrayList<>();
  private final IdempotencyStore store;
  private final IdempotencyConfig config;

  /** Each run gets its own key prefix, so runs against a shared server never see each other. */
  private final String keyPrefix = "payments-demo-" + Long.toString(System.nanoTime(), 36);

  /**
   * Creates the demo on a store.
   *
   * @param store the store
   * @param out where the table goes
   */
  PaymentsDemo(IdempotencyStore store, PrintStream out) {
    this.store = store;
    this.out = out;
    // node B, where every scenario runs, keeps the default 30 s lease: a JVM starved of CPU
    // for a second must not lose its claims; only node A, which freezes, claims with a short one
    this.config = nodeConfig("node-b", IdempotencyPolicy.builder().build());
  }

  private IdempotencyConfig nodeConfig(String node, IdempotencyPolicy defaults) {
    return IdempotencyConfig.builder()
        .store(store)
        .keyPrefix(keyPrefix)
        .owner(node)
        .defaults(defaults)
        .build();
  }

  /**
   * Runs the demo.
   *
   * @param args {@code --store=memory} (default); see {@link DemoStores}
   * @throws Exception if the demo cannot run
   */
  public static void main(String[] args) throws Exception {
    System.setProperty("java.util.logging.SimpleFormatter.format", "  [%4$s] %5$s%n");
    try (IdempotencyStore store = DemoStores.fromArgs(args)) {
      Result result = new PaymentsDemo(store, System.out).run();
      System.exit(result.exactlyOnce() ? 0 : 1);
    }
  }

  /** What the demo observed. */
  record Result(int requests, int charges, int chargedOrders, int orders) {
    boolean exactlyOnce() {
      return charges == chargedOrders && chargedOrders == orders;
    }
  }

  /** One line of the table. */
  private record Row(
      String scenario, int requests, int executions, int replays, int refused, String note) {}

  Result run() throws Exception {
    Idempotency.configure(config);
    try {
      // at startup, not at the first charge: a bad annotation, or a class javac compiled without
      // ajc (`mvn compile exec:java`, an IDE build), stops the demo here with how to fix it
      Idempotency.global().validate(PaymentService.class);
      Idempotency.verifyWoven(PaymentService.class);
      lostResponses();
      concurrentDuplicates();
      reusedKey();
      declinedCard();
      crashedNode();
    } finally {
      Idempotency.unconfigure();
    }
    return print();
  }

  /** 20 orders; the client loses the first two responses of each and retries. */
  private void lostResponses() {
    Tally tally = new Tally("lost responses, client retries x2");
    for (int i = 1; i <= 20; i++) {
      ChargeCommand cmd = command("ord-lost-" + i, "49.90");
      for (int attempt = 0; attempt < 3; attempt++) {
        tally.call(() -> service.charge(cmd)); // attempts 1 and 2: "timeout", response lost
      }
    }
    tally.done("");
  }

  /** 10 orders, each sent by 8 threads at once (double clicks, redelivered messages). */
  private void concurrentDuplicates() throws Exception {
    Tally tally = new Tally("8 concurrent duplicates per order");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int i = 1; i <= 10; i++) {
        ChargeCommand cmd = command("ord-dup-" + i, "120.00");
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> calls = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          calls.add(
              pool.submit(
                  () -> {
                    start.await();
                    tally.call(() -> service.charge(cmd));
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> call : calls) {
          call.get(30, TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    tally.done("duplicates waited, got the first receipt");
  }

  /** The same order id sent again with a different amount: a client bug, refused with 422. */
  private void reusedKey() {
    Tally tally = new Tally("same key, different amount");
    tally.call(() -> service.charge(command("ord-reuse", "15.00")));
    for (int i = 0; i < 3; i++) {
      tally.call(() -> service.charge(command("ord-reuse", "150.00")));
    }
    tally.done("422 key reuse, card not charged");
  }

  /** A declined card is an outcome: retries get the same decline without another charge. */
  private void declinedCard() {
    Tally tally = new Tally("declined card, retried x3");
    ChargeCommand cmd = command("ord-declined", "25000.00");
    for (int i = 0; i < 4; i++) {
      tally.call(() -> service.charge(cmd));
    }
    tally.done("decline replayed");
  }

  /**
   * Node A claims an order and freezes before reaching the gateway (its lease renewals stop with
   * it). After the lease, the client's retry on node B takes the order over and charges it. When
   * node A is finally killed, its stale claim cannot touch node B's result (fencing).
   */
  private void crashedNode() throws Exception {
    Tally tally = new Tally("node dies mid-charge, retry takes over");
    ChargeCommand cmd = command("ord-crash", "75.00");
    Idempotency nodeA =
        Idempotency.of(nodeConfig("node-a", IdempotencyPolicy.builder().lease(LEASE).build()));
    IdempotentOperation<Receipt> chargeOnA =
        nodeA.operation("payments.charge", Receipt.class).build();
    CountDownLatch frozen = new CountDownLatch(1); // never released: node A never wakes up
    ExecutorService nodeAThread = Executors.newSingleThreadExecutor();
    Future<Receipt> onA =
        nodeAThread.submit(
            () ->
                chargeOnA.execute(
                    cmd.orderId(),
                    new Object[] {cmd}, // the same payload the annotated method fingerprints
                    () -> {
                      frozen.await(); // frozen after claiming, before reaching the gateway
                      return service.charge(cmd);
                    }));
    PaymentGateway.sleep(100); // node A has claimed the order and hangs
    nodeA.close(); // the process is frozen: no more lease renewals
    PaymentGateway.sleep(LEASE.toMillis() + 300);
    tally.requests.incrementAndGet(); // node A's request
    tally.call(() -> service.charge(cmd)); // the client's retry, on node B
    onA.cancel(true); // node A is killed; its stale token cannot release or overwrite B's record
    nodeAThread.shutdownNow();
    nodeAThread.awaitTermination(5, TimeUnit.SECONDS);
    tally.call(() -> service.charge(cmd)); // a late retry is a plain replay
    tally.done("after the " + LEASE.toMillis() + " ms lease; stale node fenced");
  }

  private static ChargeCommand command(String orderId, String amount) {
    return new ChargeCommand(orderId, "cus_42", new BigDecimal(amount), "EUR");
  }

  private Result print() {
    out.println();
    out.println("Idem payments demo  (store: " + store.name() + ")");
    out.println();
    String format = "%-42s %8s %10s %8s %8s   %s%n";
    out.printf(format, "scenario", "requests", "executions", "replays", "refused", "");
    out.println("-".repeat(100));
    int requests = 0;
    int executions = 0;
    int replays = 0;
    int refused = 0;
    for (Row row : rows) {
      out.printf(
          format, row.scenario, row.requests, row.executions, row.replays, row.refused, row.note);
      requests += row.requests;
      executions += row.executions;
      replays += row.replays;
      refused += row.refused;
    }
    out.println("-".repeat(100));
    out.printf(format, "total", requests, executions, replays, refused, "");
    int orders = 20 + 10 + 1 + 1 + 1;
    Result result = new Result(requests, gateway.totalCharges(), gateway.chargedOrders(), orders);
    out.println();
    out.printf(
        "card gateway calls: %d   distinct orders: %d   -> %s%n",
        result.charges(),
        result.orders(),
        result.exactlyOnce()
            ? "every order charged exactly once"
            : "DUPLICATE CHARGES: idempotency is broken");
    return result;
  }

  /** Counts one scenario's requests and outcomes; executions are read off the gateway. */
  private final class Tally {
    final String scenario;
    final int chargesBefore = gateway.totalCharges();
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger answered = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();

    Tally(String scenario) {
      this.scenario = scenario;
    }

    void call(Runnable request) {
      requests.incrementAndGet();
      try {
        request.run();
        answered.incrementAndGet();
      } catch (PaymentDeclinedException declined) {
        answered.incrementAndGet();
      } catch (IdempotencyKeyReuseException | dev.idem.IdempotencyInProgressException e) {
        refused.incrementAndGet();
      } catch (IdempotencyException e) {
        throw e;
      }
    }

    void done(String note) {
      int executions = gateway.totalCharges() - chargesBefore;
      rows.add(
          new Row(
              scenario,
              requests.get(),
              executions,
              Math.max(0, answered.get() - executions),
              refused.get(),
              note));
    }
  }
}
