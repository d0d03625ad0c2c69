package dev.idem.spring;

import dev.idem.Idempotency;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.interceptor.ExposeInvocationInterceptor;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Validates every {@code @Idempotent} method of every bean once all singletons exist, so that a
 * misconfigured method stops the application at startup instead of failing at its first call: a key
 * or payload expression that does not parse or names an unknown parameter, parameter names missing
 * from the class file (compiled without {@code -parameters}), an unknown policy, an invalid
 * duration, a return type that cannot be replayed ({@link Idempotency#validate(Method)}); and,
 * beyond what the engine can see, a method the chosen weaving cannot advise:
 *
 * <ul>
 *   <li>proxy mode: a private, static or final method, a bean that is not proxied by the Idem
 *       advisor (Spring's AspectJ auto-proxying is off: {@code spring.aop.auto=false}), or a JDK
 *       interface proxy (the advice would see the interface method, which is not annotated);
 *   <li>AspectJ mode: a class that ajc or the load-time weaver did not weave.
 * </ul>
 *
 * <p>Every problem is reported with the method's name and the fix, in one {@link
 * IdempotencyConfigurationException} listing all of them.
 */
public final class IdempotentMethodValidator
    implements SmartInitializingSingleton, BeanFactoryAware {

  private final Idempotency idempotency;
  private final @Nullable Advisor advisor;
  private @Nullable ConfigurableListableBeanFactory beanFactory;

  /**
   * Creates the validator.
   *
   * @param idempotency the instance whose configuration the methods are validated against
   * @param advisor the Idem advisor in proxy mode, or null when the application weaves with AspectJ
   */
  public IdempotentMethodValidator(Idempotency idempotency, @Nullable Advisor advisor) {
    this.idempotency = Objects.requireNonNull(idempotency, "idempotency");
    this.advisor = advisor;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
    if (beanFactory instanceof ConfigurableListableBeanFactory listable) {
      this.beanFactory = listable;
    }
  }

  @Override
  public void afterSingletonsInstantiated() {
    ConfigurableListableBeanFactory factory = beanFactory;
    if (factory == null) {
      return;
    }
    Map<Class<?>, List<Method>> byClass = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (String name : factory.getBeanDefinitionNames()) {
      Object instance = null;
      Class<?> type;
      if (!factory.isFactoryBean(name) && factory.containsSingleton(name)) {
        instance = factory.getSingleton(name);
        if (instance == null) {
          continue;
        }
        type = AopProxyUtils.ultimateTargetClass(instance);
      } else {
        type = factory.getType(name, false);
      }
      if (type == null) {
        continue;
      }
      Class<?> userClass = ClassUtils.getUserClass(type);
      List<Method> methods =
          byClass.computeIfAbsent(userClass, IdempotentMethodValidator::annotated);
      for (Method method : methods) {
        try {
          idempotency.validate(method);
        } catch (IdempotencyConfigurationException e) {
          problems.add(e.getMessage());
          continue;
        }
        String weaving =
            advisor != null ? proxyProblem(method, name, instance) : wovenProblem(method);
        if (weaving != null) {
          problems.add(weaving);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw IdempotencyConfigurationException.of(
          problems.size() == 1
              ? problems.get(0)
              : problems.size()
                  + " invalid @Idempotent methods:\n  - "
                  + String.join("\n  - ", problems.stream().distinct().toList()));
    }
  }

  private static List<Method> annotated(Class<?> type) {
    if (type.getName().startsWith("org.springframework.")) {
      return List.of();
    }
    return Arrays.stream(ReflectionUtils.getUniqueDeclaredMethods(type))
        .filter(m -> m.isAnnotationPresent(Idempotent.class) && !m.isBridge())
        .toList();
  }

  private @Nullable String proxyProblem(Method method, String beanName, @Nullable Object bean) {
    int modifiers = method.getModifiers();
    String kind =
        Modifier.isPrivate(modifiers)
            ? "private"
            : Modifier.isStatic(modifiers)
                ? "static"
                : Modifier.isFinal(modifiers) ? "final" : null;
    if (kind != null) {
      return "Invalid @Idempotent method "
          + IdempotencyConfigurationException.describe(method)
          + ": it is "
          + kind
          + ", so a Spring AOP proxy cannot advise it; make it public and non-final, or weave at"
          + " compile time (idem.aop.mode=aspectj)";
    }
    if (bean == null) {
      return null; // lazy, scoped or factory-made: checked at its first call
    }
    if (AopUtils.isJdkDynamicProxy(bean)) {
      return "Invalid @Idempotent method "
          + IdempotencyConfigurationException.describe(method)
          + ": bean '"
          + beanName
          + "' is a JDK interface proxy, whose advice sees the unannotated interface method; use"
          + " class proxies (spring.aop.proxy-target-class=true, the default)";
    }
    if (!(bean instanceof Advised advised)
        || !Arrays.asList(advised.getAdvisors()).contains(advisor)
        || !Arrays.asList(advised.getAdvisors()).contains(ExposeInvocationInterceptor.ADVISOR)) {
      return "Invalid @Idempotent method "
          + IdempotencyConfigurationException.describe(method)
          + ": bean '"
          + beanName
          + "' is not proxied by Spring's AspectJ auto-proxying with the Idem advisor, so calls"
          + " would not be idempotent; enable"
          + " Spring's AspectJ auto-proxying (spring.aop.auto=true, the default, with aspectjweaver"
          + " on the class path) or weave at compile time (idem.aop.mode=aspectj)";
    }
    return null;
  }

  private static @Nullable String wovenProblem(Method method) {
    String prefix = method.getName() + "_aroundBody";
    for (Method candidate : method.getDeclaringClass().getDeclaredMethods()) {
      if (candidate.getName().startsWith(prefix)) {
        return null;
      }
    }
    return "Invalid @Idempotent method "
        + IdempotencyConfigurationException.describe(method)
        + ": idem.aop.mode=aspectj, but its class was not woven by ajc or the load-time weaver"
        + " (add idem-aspects to the aspectj-maven-plugin's aspectLibraries, or start the JVM with"
        + " -javaagent:aspectjweaver.jar)";
  }
}
