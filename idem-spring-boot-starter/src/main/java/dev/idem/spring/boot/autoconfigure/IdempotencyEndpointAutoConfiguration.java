package dev.idem.spring.boot.autoconfigure;

import dev.idem.Idempotency;
import dev.idem.spring.IdempotencyScope;
import dev.idem.spring.boot.actuate.IdempotencyEndpoint;
import dev.idem.spring.web.IdempotentEndpoints;
import java.util.function.Predicate;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.util.ClassUtils;

/**
 * Auto-configures the Actuator endpoint {@code idempotency} ({@link IdempotencyEndpoint}) when
 * Spring Boot Actuator is on the class path and the endpoint is available (enabled, and exposed
 * through {@code management.endpoints.web.exposure.include} or JMX).
 */
@AutoConfiguration(
    after = {IdempotencyAutoConfiguration.class, IdempotencyWebMvcAutoConfiguration.class})
@ConditionalOnClass(
    name = {
      "org.springframework.boot.actuate.endpoint.annotation.Endpoint",
      "org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint"
    })
@ConditionalOnBean(Idempotency.class)
@ConditionalOnAvailableEndpoint(IdempotencyEndpoint.class)
public class IdempotencyEndpointAutoConfiguration {

  private static final boolean WEB_MVC =
      ClassUtils.isPresent(
          "org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping",
          IdempotencyEndpointAutoConfiguration.class.getClassLoader());

  /** Creates the auto-configuration. */
  public IdempotencyEndpointAutoConfiguration() {}

  /**
   * The endpoint, on the application's {@link Idempotency}.
   *
   * @param idempotency the engine
   * @param properties the {@code idem.*} properties
   * @param scope the application's scope, if it declares one
   * @param beans where the {@code @IdempotentEndpoint} handlers are found, with Spring MVC
   * @return the endpoint
   */
  @Bean
  @ConditionalOnMissingBean
  public IdempotencyEndpoint idempotencyEndpoint(
      Idempotency idempotency,
      IdempotencyProperties properties,
      ObjectProvider<IdempotencyScope> scope,
      BeanFactory beans) {
    boolean principalIsScope =
        properties.getScope() == IdempotencyProperties.Scope.PRINCIPAL
            && scope.getIfUnique() == null;
    return new IdempotencyEndpoint(
        idempotency.admin(),
        WEB_MVC ? WebMvc.operations(beans) : name -> false,
        principalIsScope,
        properties.getAdmin().isShowBody());
  }

  /** Loaded only with Spring MVC on the class path. */
  private static final class WebMvc {
    static Predicate<String> operations(BeanFactory beans) {
      ObjectProvider<IdempotentEndpoints> endpoints =
          beans.getBeanProvider(IdempotentEndpoints.class);
      return name -> endpoints.stream().anyMatch(registry -> registry.hasOperation(name));
    }
  }
}
