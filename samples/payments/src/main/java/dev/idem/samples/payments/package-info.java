/**
 * A payment service made safe to retry with {@code @Idempotent}, and a demo that throws lost
 * responses, concurrent duplicates, a reused key and a crashed node at it.
 */
@NullMarked
package dev.idem.samples.payments;

import org.jspecify.annotations.NullMarked;
