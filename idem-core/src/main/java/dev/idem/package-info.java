/**
 * The public API of Idem: {@link dev.idem.Idempotency} (bootstrap and programmatic execution),
 * {@link dev.idem.IdempotencyConfig} and {@link dev.idem.IdempotencyPolicy} (immutable
 * configuration), {@link dev.idem.IdempotencyListener} (told how every call ended), and the
 * exception hierarchy rooted at {@link dev.idem.IdempotencyException}.
 */
@NullMarked
package dev.idem;

import org.jspecify.annotations.NullMarked;
