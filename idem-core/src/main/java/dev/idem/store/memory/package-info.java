/**
 * The in-memory store: {@link dev.idem.store.memory.InMemoryIdempotencyStore}, the reference
 * implementation of the store SPI on Caffeine, for tests, samples and single-JVM applications.
 */
@NullMarked
package dev.idem.store.memory;

import org.jspecify.annotations.NullMarked;
