/**
 * Store decorators that work with any {@link dev.idem.spi.IdempotencyStore}: {@link
 * dev.idem.store.NearCachingStore} keeps completed records in the JVM so replays of hot keys skip
 * the store. The stores themselves live in sub-packages and modules named after their technology.
 */
@NullMarked
package dev.idem.store;

import org.jspecify.annotations.NullMarked;
