/**
 * The {@link dev.idem.annotation.Idempotent} annotation, the only type application code needs at
 * compile time to make a method safe to retry. This package depends on the JDK alone.
 */
@NullMarked
package dev.idem.annotation;

import org.jspecify.annotations.NullMarked;
