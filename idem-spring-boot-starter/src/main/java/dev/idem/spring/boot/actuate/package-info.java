/**
 * Spring Boot Actuator support: the {@code idempotency} endpoint, through which an operator sees
 * and deletes the record of an operation's key ({@link
 * dev.idem.spring.boot.actuate.IdempotencyEndpoint}).
 */
@NullMarked
package dev.idem.spring.boot.actuate;

import org.jspecify.annotations.NullMarked;
