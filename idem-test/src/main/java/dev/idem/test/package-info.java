/**
 * Test support for Idem users and store authors: a controllable clock, and assertions that an
 * {@code @Idempotent} method really runs once.
 */
@NullMarked
package dev.idem.test;

import org.jspecify.annotations.NullMarked;
