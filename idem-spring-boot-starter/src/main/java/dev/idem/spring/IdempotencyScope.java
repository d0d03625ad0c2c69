package dev.idem.spring;

import org.jspecify.annotations.Nullable;

/**
 * The scope of the current call, such as the tenant or the authenticated principal, which Idem
 * inserts into every key so that two scopes never share a record. Declare a bean of this type to
 * set it; the starter passes it to {@link
 * dev.idem.IdempotencyConfig.Builder#scopeSupplier(java.util.function.Supplier)}.
 *
 * <pre>{@code
 * @Bean
 * IdempotencyScope tenantScope() {
 *   return () -> TenantContext.currentTenantId();
 * }
 * }</pre>
 *
 * <p>The scope must come from the caller's security context, never from the request body.
 * Implementations are called on the calling thread of every idempotent call and must be thread-safe
 * and fast.
 */
@FunctionalInterface
public interface IdempotencyScope {

  /**
   * Returns the scope of the calling thread's current call.
   *
   * @return the scope, or null for none
   */
  @Nullable String current();
}
