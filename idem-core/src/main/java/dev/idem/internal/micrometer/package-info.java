/**
 * The Micrometer binding: the only code in idem-core that uses Micrometer, an optional dependency.
 * The engine loads it only when a {@code MeterRegistry} is configured, so an application without
 * Micrometer never loads these classes. {@link dev.idem.internal.micrometer.MicrometerListener}
 * records how calls end, {@link dev.idem.internal.micrometer.MeteredStore} times store round trips;
 * the meter names are {@link dev.idem.IdempotencyMetrics}'s. No compatibility promises.
 */
@NullMarked
package dev.idem.internal.micrometer;

import org.jspecify.annotations.NullMarked;
