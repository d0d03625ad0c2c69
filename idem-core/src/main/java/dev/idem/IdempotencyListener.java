package dev.idem;

/**
 * Observes calls of idempotent operations: told once per call, when the call has ended, how it
 * ended. Metrics, tracing and audit logs plug in here; Idem's own Micrometer meters (see {@link
 * IdempotencyMetrics}) are recorded by a listener too.
 *
 * <pre>{@code
 * IdempotencyConfig config = IdempotencyConfig.builder()
 *     .store(store)
 *     .listener(call -> {
 *       if (call.outcome() == IdempotentCall.Outcome.KEY_REUSE) {
 *         audit.keyReused(call.operation());
 *       }
 *     })
 *     .build();
 * }</pre>
 *
 * <p>A call is reported when it reached the engine: its key and payload were valid. It ends when
 * the body returned or threw and its outcome was stored or released, when a stored outcome was
 * replayed, or when the call was refused (another payload, a running duplicate, a failing store). A
 * call whose result is a {@link java.util.concurrent.CompletionStage} ends when that stage
 * completes.
 *
 * <p><b>Threads.</b> {@link #onCall} runs on the thread that ended the call (for a {@code
 * CompletionStage}, the thread that completed it), before the caller sees the result, and
 * concurrently for concurrent calls: implementations must be thread-safe and should be quick. An
 * exception thrown by a listener is logged and ignored; it never changes the call's result.
 */
@FunctionalInterface
public interface IdempotencyListener {

  /**
   * Receives one ended call.
   *
   * @param call what happened; the instance is not changed afterwards and may be kept
   */
  void onCall(IdempotentCall call);
}
