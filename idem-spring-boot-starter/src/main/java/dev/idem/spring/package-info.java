/**
 * Idem for Spring applications: the hooks an application implements ({@link
 * dev.idem.spring.IdempotencyScope}, {@link dev.idem.spring.IdempotencyConfigCustomizer}), the
 * Spring AOP advisor built from the Idem aspect and its ordering against {@code @Transactional}
 * ({@link dev.idem.spring.IdempotencyAdvisors}), the binding of the SQL store's transactional mode
 * to Spring-managed transactions ({@link dev.idem.spring.SpringTransactionBinding}) and the startup
 * validation of {@code @Idempotent} beans ({@link dev.idem.spring.IdempotentMethodValidator}).
 */
@NullMarked
package dev.idem.spring;

import org.jspecify.annotations.NullMarked;
