package dev.idem.spring;

import dev.idem.IdempotencyConfig;

/**
 * Adjusts the {@link IdempotencyConfig} the starter builds from the {@code idem.*} properties,
 * before it is built: for settings that have no property (a clock, an {@code ObjectMapper} with
 * custom modules) or that are computed. Customizers run in {@link
 * org.springframework.core.annotation.Order} order, after the properties are applied.
 */
@FunctionalInterface
public interface IdempotencyConfigCustomizer {

  /**
   * Customizes the builder.
   *
   * @param builder the builder, already holding the settings from the properties
   */
  void customize(IdempotencyConfig.Builder builder);
}
