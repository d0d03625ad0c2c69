/**
 * The store conformance kit: {@link dev.idem.test.store.IdempotencyStoreContract}, the contract
 * tests every {@link dev.idem.spi.IdempotencyStore} passes, one small subclass per database or
 * topology, which also implements {@link dev.idem.test.store.CompletionNotificationContract} and
 * {@link dev.idem.test.store.PurgeContract} for the optional capabilities its store declares.
 */
@NullMarked
package dev.idem.test.store;

import org.jspecify.annotations.NullMarked;
