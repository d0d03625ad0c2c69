package dev.idem;

/**
 * The names, tags and tag values of the Micrometer meters Idem records when a {@link
 * io.micrometer.core.instrument.MeterRegistry} is {@linkplain
 * IdempotencyConfig.Builder#meterRegistry configured}. Without one, nothing is recorded. The call
 * meters are recorded from the {@link IdempotentCall} an {@link IdempotencyListener} is told when a
 * call ends (their outcome and wait tags are {@link IdempotentCall.Outcome#tag()} and {@link
 * IdempotentCall.WaitResult#tag()}); store round trips are timed by a decorator of the store.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what it measures</th></tr>
 *   <tr><td>{@value #CALLS}</td><td>counter</td><td>{@value #TAG_NAME}, {@value #TAG_OUTCOME}</td>
 *       <td>calls of idempotent operations, by how they ended (the outcomes below)</td></tr>
 *   <tr><td>{@value #CALL_DURATION}</td><td>timer</td><td>{@value #TAG_NAME},
 *       {@value #TAG_OUTCOME}</td><td>the time of those calls, body and waiting included (for a
 *       {@code CompletionStage}, until it completes)</td></tr>
 *   <tr><td>{@value #STORE_REQUESTS}</td><td>timer</td><td>{@value #TAG_STORE},
 *       {@value #TAG_OPERATION}, {@value #TAG_RESULT}</td><td>round trips to the store (answers
 *       of the near cache are not round trips and are not counted here)</td></tr>
 *   <tr><td>{@value #WAIT}</td><td>timer</td><td>{@value #TAG_NAME}, {@value #TAG_RESULT}</td>
 *       <td>time duplicates spent waiting for a running call; result {@value #WAIT_COMPLETED},
 *       {@value #WAIT_ACQUIRED} (the first call failed and this one ran), {@value #WAIT_TIMED_OUT}
 *       or {@value #WAIT_ABORTED}</td></tr>
 *   <tr><td>{@value #TAKEOVERS}</td><td>counter</td><td>{@value #TAG_NAME}</td><td>claims that
 *       took over a key whose lease had ended (a crashed or too slow first call)</td></tr>
 *   <tr><td>{@value #FENCING_REJECTIONS}</td><td>counter</td><td>{@value #TAG_NAME}</td>
 *       <td>results not stored because the caller's token was stale: another call had taken the
 *       key over</td></tr>
 *   <tr><td>{@value #FAIL_OPEN}</td><td>counter</td><td>{@value #TAG_NAME}</td><td>calls whose
 *       body ran unprotected because the store failed at claim time and the policy fails
 *       open</td></tr>
 * </table>
 *
 * <p>The {@value #TAG_OUTCOME} of a call is one of {@value #OUTCOME_EXECUTED} (the body ran and
 * returned), {@value #OUTCOME_FAILED} (the body ran and threw), {@value #OUTCOME_REPLAYED} (a
 * stored outcome was returned or rethrown, after a round trip), {@value #OUTCOME_REPLAYED_NEAR}
 * (the same, from the near cache), {@value #OUTCOME_IN_PROGRESS_REJECTED} (a duplicate was rejected
 * or its wait timed out), {@value #OUTCOME_KEY_REUSE} (the key came with another payload) and
 * {@value #OUTCOME_STORE_ERROR} (the store failed and the body did not run). A call that fails open
 * is counted as {@value #OUTCOME_EXECUTED} or {@value #OUTCOME_FAILED} and in {@value #FAIL_OPEN}.
 * Calls rejected before reaching the engine (an invalid key) are not counted.
 *
 * <p>The {@value #TAG_OPERATION} of a store request is {@value #OP_CLAIM}, {@value #OP_COMPLETE},
 * {@value #OP_RELEASE} or {@value #OP_RENEW}; its {@value #TAG_RESULT} is, for a claim, {@value
 * #RESULT_ACQUIRED}, {@value #RESULT_IN_PROGRESS} or {@value #RESULT_COMPLETED}; for the others,
 * {@value #RESULT_APPLIED} or {@value #RESULT_REJECTED} (stale token); and {@value #RESULT_ERROR}
 * when the store threw.
 *
 * <p>Tags never carry keys, scopes or payloads, which may hold customer data: only operation names,
 * store names and the fixed values listed here.
 */
public final class IdempotencyMetrics {

  /** Counter of calls: {@value}. */
  public static final String CALLS = "idem.calls";

  /** Timer of calls: {@value}. */
  public static final String CALL_DURATION = "idem.call.duration";

  /** Timer of store round trips: {@value}. */
  public static final String STORE_REQUESTS = "idem.store.requests";

  /** Timer of duplicates waiting for a running call: {@value}. */
  public static final String WAIT = "idem.wait";

  /** Counter of lease takeovers: {@value}. */
  public static final String TAKEOVERS = "idem.takeovers";

  /** Counter of completions refused for a stale token: {@value}. */
  public static final String FENCING_REJECTIONS = "idem.fencing.rejections";

  /** Counter of calls run unprotected because the store was down: {@value}. */
  public static final String FAIL_OPEN = "idem.fail.open";

  /** Tag: the operation name. */
  public static final String TAG_NAME = "name";

  /** Tag: how a call ended. */
  public static final String TAG_OUTCOME = "outcome";

  /** Tag: the store's {@linkplain dev.idem.spi.IdempotencyStore#name() name}. */
  public static final String TAG_STORE = "store";

  /** Tag: the store operation. */
  public static final String TAG_OPERATION = "operation";

  /** Tag: the result of a store request or of a wait. */
  public static final String TAG_RESULT = "result";

  /** Outcome: the body ran and returned. */
  public static final String OUTCOME_EXECUTED = "executed";

  /** Outcome: a stored outcome was replayed after a store round trip. */
  public static final String OUTCOME_REPLAYED = "replayed";

  /** Outcome: a stored outcome was replayed from the near cache. */
  public static final String OUTCOME_REPLAYED_NEAR = "replayed_near";

  /** Outcome: a duplicate of a running call was rejected, or its wait timed out. */
  public static final String OUTCOME_IN_PROGRESS_REJECTED = "in_progress_rejected";

  /** Outcome: the key was reused with a different payload. */
  public static final String OUTCOME_KEY_REUSE = "key_reuse";

  /** Outcome: the body ran and threw. */
  public static final String OUTCOME_FAILED = "failed";

  /** Outcome: the store failed at claim time and the body did not run. */
  public static final String OUTCOME_STORE_ERROR = "store_error";

  /** Store operation: claim. */
  public static final String OP_CLAIM = "claim";

  /** Store operation: complete. */
  public static final String OP_COMPLETE = "complete";

  /** Store operation: release. */
  public static final String OP_RELEASE = "release";

  /** Store operation: renew. */
  public static final String OP_RENEW = "renew";

  /** Claim result: the caller acquired the key. */
  public static final String RESULT_ACQUIRED = "acquired";

  /** Claim result: another call holds the key. */
  public static final String RESULT_IN_PROGRESS = "in_progress";

  /** Claim result: the key is completed. */
  public static final String RESULT_COMPLETED = "completed";

  /** Complete, release or renew result: the token was current and the record changed. */
  public static final String RESULT_APPLIED = "applied";

  /** Complete, release or renew result: the token was stale and nothing changed. */
  public static final String RESULT_REJECTED = "rejected";

  /** Store request result: the store threw. */
  public static final String RESULT_ERROR = "error";

  /** Wait result: the running call completed and its outcome was replayed. */
  public static final String WAIT_COMPLETED = "completed";

  /** Wait result: the running call released the key and the waiter ran the body. */
  public static final String WAIT_ACQUIRED = "acquired";

  /** Wait result: the wait timed out (or the waiting thread was interrupted). */
  public static final String WAIT_TIMED_OUT = "timed_out";

  /**
   * Wait result: the wait ended without an outcome, because the store failed or the key was taken
   * over with a different payload.
   */
  public static final String WAIT_ABORTED = "aborted";

  private IdempotencyMetrics() {}
}
