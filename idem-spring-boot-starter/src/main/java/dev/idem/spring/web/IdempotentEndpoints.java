package dev.idem.spring.web;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyPolicy;
import dev.idem.IdempotentOperation;
import dev.idem.PolicyAttributes;
import dev.idem.annotation.OnInProgress;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.http.HttpEntity;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.WebAsyncTask;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * The {@link IdempotentEndpoint} handler methods of the application, each with its operation, built
 * and validated once all singletons exist (an invalid one stops the application), and found for a
 * request the way the {@code DispatcherServlet} will find its handler. Thread-safe.
 */
public final class IdempotentEndpoints implements SmartInitializingSingleton {

  private final Idempotency idempotency;
  private final Supplier<List<RequestMappingHandlerMapping>> mappings;
  private final OnInProgress defaultOnInProgress;
  private final Map<Method, Endpoint> endpoints = new ConcurrentHashMap<>();
  private volatile List<RequestMappingHandlerMapping> resolvedMappings = List.of();

  /**
   * Creates the registry; a duplicate of a running request gets 409 unless an endpoint or its
   * policy opts into waiting, as the IETF draft requires.
   *
   * @param idempotency the instance that runs the endpoints' operations
   * @param mappings supplies the application's annotated-controller handler mappings, in order
   */
  public IdempotentEndpoints(
      Idempotency idempotency, Supplier<List<RequestMappingHandlerMapping>> mappings) {
    this(idempotency, mappings, OnInProgress.REJECT);
  }

  /**
   * Creates the registry.
   *
   * @param idempotency the instance that runs the endpoints' operations
   * @param mappings supplies the application's annotated-controller handler mappings, in order
   * @param defaultOnInProgress what a duplicate of a running request does when neither the
   *     endpoint's annotation nor its named policy says: {@link OnInProgress#REJECT} (409, the
   *     draft's rule) or {@link OnInProgress#WAIT}
   */
  public IdempotentEndpoints(
      Idempotency idempotency,
      Supplier<List<RequestMappingHandlerMapping>> mappings,
      OnInProgress defaultOnInProgress) {
    this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
    this.mappings = Objects.requireNonNull(mappings, "mappings");
    if (Objects.requireNonNull(defaultOnInProgress, "defaultOnInProgress")
        == OnInProgress.DEFAULT) {
      throw new IllegalArgumentException("defaultOnInProgress must be REJECT or WAIT");
    }
    this.defaultOnInProgress = defaultOnInProgress;
  }

  /**
   * Builds and validates the operation of every annotated handler method.
   *
   * @throws IdempotencyConfigurationException naming every invalid method
   */
  @Override
  public void afterSingletonsInstantiated() {
    List<RequestMappingHandlerMapping> found = List.copyOf(mappings.get());
    List<String> problems = new ArrayList<>();
    for (RequestMappingHandlerMapping mapping : found) {
      for (HandlerMethod handler : mapping.getHandlerMethods().values()) {
        IdempotentEndpoint annotation = handler.getMethodAnnotation(IdempotentEndpoint.class);
        if (annotation == null || endpoints.containsKey(handler.getMethod())) {
          continue;
        }
        try {
          endpoints.put(handler.getMethod(), build(handler.getMethod(), annotation));
        } catch (IdempotencyConfigurationException e) {
          problems.add(e.getMessage());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw IdempotencyConfigurationException.of(
          problems.size() == 1
              ? problems.get(0)
              : problems.size()
                  + " invalid @IdempotentEndpoint methods:\n  - "
                  + String.join("\n  - ", problems));
    }
    resolvedMappings = found;
  }

  /**
   * Returns whether any handler method is an idempotent endpoint.
   *
   * @return true if there is at least one
   */
  public boolean isEmpty() {
    return endpoints.isEmpty();
  }

  /**
   * Returns whether an idempotent endpoint runs under an operation name.
   *
   * @param name the operation name
   * @return true if an {@link IdempotentEndpoint} handler has this name
   */
  public boolean hasOperation(String name) {
    return endpoints.values().stream().anyMatch(endpoint -> endpoint.name().equals(name));
  }

  /**
   * Returns the key value under which an endpoint's operation keeps the record of a request: the
   * list {@code [principal, key]}. Operators address records with it (see {@link
   * dev.idem.IdempotencyAdmin}).
   *
   * @param principal the authenticated principal's name, or null for an anonymous request
   * @param key the {@code Idempotency-Key} value, without the Structured Field quotes
   * @return the key value
   */
  public static List<@Nullable String> keyValue(@Nullable String principal, String key) {
    return Arrays.asList(principal, key);
  }

  /**
   * Returns the endpoint of a handler method.
   *
   * @param method the handler method
   * @return the endpoint, or null if the method is not annotated
   */
  public @Nullable Endpoint forMethod(Method method) {
    return endpoints.get(method);
  }

  /**
   * Finds the endpoint the request will be dispatched to, leaving the request's attributes as they
   * were.
   *
   * @param request the request
   * @return the endpoint, or null if the request is not for an idempotent endpoint
   */
  public @Nullable Endpoint find(HttpServletRequest request) {
    if (endpoints.isEmpty()) {
      return null;
    }
    IsolatedRequest isolated = new IsolatedRequest(request);
    for (RequestMappingHandlerMapping mapping : resolvedMappings) {
      HandlerExecutionChain chain;
      try {
        if (mapping.usesPathPatterns()) {
          ServletRequestPathUtils.parseAndCache(isolated);
        }
        chain = mapping.getHandler(isolated);
      } catch (Exception e) {
        return null; // the DispatcherServlet will answer it (405, 415, ...)
      }
      if (chain != null) {
        return chain.getHandler() instanceof HandlerMethod handler
            ? endpoints.get(handler.getMethod())
            : null;
      }
    }
    return null;
  }

  private Endpoint build(Method method, IdempotentEndpoint annotation) {
    String where = IdempotencyConfigurationException.describe(method);
    String asyncType = asyncType(method.getGenericReturnType());
    if (asyncType != null) {
      throw IdempotencyConfigurationException.forMethod(
          where,
          "@IdempotentEndpoint handlers must write their response before they return, but it"
              + " returns "
              + asyncType
              + "; return the value itself or a ResponseEntity");
    }
    String name =
        annotation.name().isEmpty()
            ? method.getDeclaringClass().getSimpleName() + "." + method.getName()
            : annotation.name();
    try {
      IdempotencyPolicy own =
          PolicyAttributes.create()
              .ttl(annotation.ttl())
              .lease(annotation.lease())
              .onInProgress(annotation.onInProgress())
              .waitTimeout(annotation.waitTimeout())
              .toPolicy();
      IdempotentOperation.Builder<CapturedResponse> builder =
          idempotency.operation(name, CapturedResponse.class).settings(own);
      if (!annotation.policy().isEmpty()) {
        builder.policy(annotation.policy());
      }
      if (own.onInProgress().isEmpty()
          && (annotation.policy().isEmpty()
              || idempotency
                  .config()
                  .policy(annotation.policy())
                  .flatMap(IdempotencyPolicy::onInProgress)
                  .isEmpty())) {
        // HTTP's own default, not the method defaults: the draft answers a duplicate with 409
        builder.onInProgress(defaultOnInProgress);
      }
      return new Endpoint(method, name, annotation.required(), builder.build());
    } catch (IllegalArgumentException | IdempotencyConfigurationException e) {
      throw IdempotencyConfigurationException.forMethod(where, e.getMessage());
    }
  }

  private static @Nullable String asyncType(Type type) {
    Class<?> raw = raw(type);
    if (HttpEntity.class.isAssignableFrom(raw) && type instanceof ParameterizedType p) {
      return asyncType(p.getActualTypeArguments()[0]);
    }
    for (Class<?> async :
        List.of(
            Callable.class,
            DeferredResult.class,
            WebAsyncTask.class,
            CompletionStage.class,
            java.util.concurrent.Future.class,
            ResponseBodyEmitter.class,
            StreamingResponseBody.class)) {
      if (async.isAssignableFrom(raw)) {
        return async.getSimpleName();
      }
    }
    for (Class<?> c = raw; c != null && c != Object.class; c = c.getSuperclass()) {
      if (Arrays.stream(c.getInterfaces())
          .anyMatch(i -> i.getName().equals("org.reactivestreams.Publisher"))) {
        return "a reactive Publisher";
      }
    }
    return null;
  }

  private static Class<?> raw(Type type) {
    if (type instanceof Class<?> c) {
      return c;
    }
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return Object.class;
  }

  /**
   * One idempotent endpoint.
   *
   * @param method the handler method
   * @param name the operation name
   * @param required whether requests without a key are refused
   * @param operation the operation its requests run through
   */
  public record Endpoint(
      Method method,
      String name,
      boolean required,
      IdempotentOperation<CapturedResponse> operation) {}
}
