/**
 * Internals of Idem: the engine, key and payload evaluation, fingerprints and the result codec. No
 * compatibility promises; applications use {@code dev.idem}, store authors {@code dev.idem.spi}.
 */
@NullMarked
package dev.idem.internal;

import org.jspecify.annotations.NullMarked;
