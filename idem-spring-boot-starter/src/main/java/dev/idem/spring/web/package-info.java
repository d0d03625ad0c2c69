/**
 * The HTTP {@code Idempotency-Key} request header for Spring MVC, after the IETF draft "The
 * Idempotency-Key HTTP Header Field": {@link dev.idem.spring.web.IdempotentEndpoint} marks a
 * handler method, {@link dev.idem.spring.web.IdempotencyKeyFilter} runs its requests through an
 * {@link dev.idem.IdempotentOperation} whose result is the {@linkplain
 * dev.idem.spring.web.CapturedResponse captured response}, and answers errors as {@code
 * application/problem+json}.
 */
@NullMarked
package dev.idem.spring.web;

import org.jspecify.annotations.NullMarked;
