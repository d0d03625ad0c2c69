/**
 * The store conformance kit: {@link dev.idem.test.store.IdempotencyStoreContract}, the contract
 * tests every {@link dev.idem.spi.IdempotencyStore} passes, one small subclass per database or
 * topology.
 */
@NullMarked
package dev.idem.test.store;

import org.jspecify.annotations.NullMarked;
