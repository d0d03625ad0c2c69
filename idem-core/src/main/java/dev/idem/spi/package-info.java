/**
 * The store SPI: what a storage backend implements so the engine can claim, complete, release and
 * renew idempotency records atomically. The algorithm lives once, in the engine; a store does
 * atomic storage only. Every store must pass the conformance kit in {@code idem-test}.
 */
@NullMarked
package dev.idem.spi;

import org.jspecify.annotations.NullMarked;
