package dev.idem.spring.boot.autoconfigure;

import dev.idem.Idempotency;
import dev.idem.annotation.OnInProgress;
import dev.idem.spring.web.IdempotencyExceptionHandler;
import dev.idem.spring.web.IdempotencyKeyFilter;
import dev.idem.spring.web.IdempotentEndpoints;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Auto-configures the {@code Idempotency-Key} header for Spring MVC: the registry of {@link
 * dev.idem.spring.web.IdempotentEndpoint} handlers (validated at startup) and the {@link
 * IdempotencyKeyFilter}, registered at {@code idem.web.filter-order} (0 by default: after Spring
 * Security's filter chain, so that the principal is known); and the {@link
 * IdempotencyExceptionHandler} that answers Idem exceptions thrown by {@code @Idempotent} methods
 * with their HTTP status as {@code application/problem+json}.
 */
@AutoConfiguration(
    after = IdempotencyAutoConfiguration.class,
    afterName = "org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(
    name = {
      "org.springframework.web.servlet.DispatcherServlet",
      "jakarta.servlet.Filter",
      "org.springframework.boot.web.servlet.FilterRegistrationBean"
    })
@ConditionalOnBean(Idempotency.class)
@ConditionalOnProperty(
    prefix = "idem.web",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class IdempotencyWebMvcAutoConfiguration {

  /** Creates the auto-configuration. */
  public IdempotencyWebMvcAutoConfiguration() {}

  /**
   * The application's idempotent endpoints.
   *
   * @param idempotency the engine
   * @param mappings the annotated-controller handler mappings
   * @param properties the properties ({@code idem.web.on-in-progress})
   * @return the registry
   */
  @Bean
  @ConditionalOnMissingBean
  public IdempotentEndpoints idempotentEndpoints(
      Idempotency idempotency,
      ObjectProvider<RequestMappingHandlerMapping> mappings,
      IdempotencyProperties properties) {
    OnInProgress onInProgress = properties.getWeb().getOnInProgress();
    if (onInProgress == null || onInProgress == OnInProgress.DEFAULT) {
      throw new IllegalArgumentException("idem.web.on-in-progress must be 'reject' or 'wait'");
    }
    return new IdempotentEndpoints(
        idempotency, () -> mappings.orderedStream().toList(), onInProgress);
  }

  /**
   * Answers Idem exceptions from {@code @Idempotent} methods with their HTTP status as problems;
   * ordered last, so that the application's own exception handlers win.
   *
   * @param properties the properties ({@code idem.web.documentation-url})
   * @return the controller advice
   */
  @Bean
  @ConditionalOnMissingBean
  public IdempotencyExceptionHandler idempotencyExceptionHandler(IdempotencyProperties properties) {
    return new IdempotencyExceptionHandler(properties.getWeb().getDocumentationUrl());
  }

  /**
   * The filter that serves idempotent endpoints.
   *
   * @param endpoints the endpoints
   * @param idempotency the engine, whose mapper parses JSON bodies for fingerprints
   * @param properties the properties
   * @return the registration
   */
  @Bean
  @ConditionalOnMissingBean(name = "idempotencyKeyFilter")
  public FilterRegistrationBean<IdempotencyKeyFilter> idempotencyKeyFilter(
      IdempotentEndpoints endpoints, Idempotency idempotency, IdempotencyProperties properties) {
    IdempotencyProperties.Web web = properties.getWeb();
    long maxBody = web.getMaxBodySize().toBytes();
    if (maxBody <= 0 || maxBody > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "idem.web.max-body-size must be between 1 byte and 2 GB: " + web.getMaxBodySize());
    }
    IdempotencyKeyFilter filter =
        IdempotencyKeyFilter.builder(endpoints, idempotency.config().objectMapper())
            .keyHeader(web.getKeyHeader())
            .replayedHeader(web.getReplayedHeader())
            .maxBodyBytes((int) maxBody)
            .maxKeyLength(web.getMaxKeyLength())
            .documentation(web.getDocumentationUrl())
            .build();
    FilterRegistrationBean<IdempotencyKeyFilter> registration =
        new FilterRegistrationBean<>(filter);
    registration.setName("idempotencyKeyFilter");
    registration.setOrder(web.getFilterOrder());
    return registration;
  }
}
