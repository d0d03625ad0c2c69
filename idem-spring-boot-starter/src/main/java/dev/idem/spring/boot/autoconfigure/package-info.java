/**
 * Spring Boot auto-configuration of Idem: {@link
 * dev.idem.spring.boot.autoconfigure.IdempotencyAutoConfiguration} (the engine, the store chosen by
 * {@code idem.store}, policies, scope, near cache, metrics, the Spring AOP advisor and the startup
 * validation), {@link dev.idem.spring.boot.autoconfigure.IdempotencyWebMvcAutoConfiguration} (the
 * {@code Idempotency-Key} header for Spring MVC) and their {@link
 * dev.idem.spring.boot.autoconfigure.IdempotencyProperties}.
 */
@NullMarked
package dev.idem.spring.boot.autoconfigure;

import org.jspecify.annotations.NullMarked;
