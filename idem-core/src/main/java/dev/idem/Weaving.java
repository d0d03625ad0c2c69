package dev.idem;

import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Finds the {@code @Idempotent} methods of a class and tells whether AspectJ wove them. ajc and the
 * load-time weaver move the body of an advised method {@code m} into a static {@code
 * m_aroundBody<n>} method taking the instance, the method's parameters and the join point; a class
 * compiled by javac alone has none.
 */
final class Weaving {

  static final String HOW_TO_WEAVE =
      "compile-time weaving happens in Maven's process-classes phase (the aspectj-maven-plugin with"
          + " dev.idem:idem-aspects in <aspectLibraries>), so build and run through Maven (mvn"
          + " package, or mvn process-classes exec:java; in IntelliJ delegate build and run to"
          + " Maven), or weave at load time with -javaagent:aspectjweaver.jar";

  private Weaving() {}

  /**
   * Checks every {@code @Idempotent} method of the classes (and of their superclasses).
   *
   * @param classes the classes, at least one
   * @param problem the check: a method's problem, or null when it passes
   * @throws IdempotencyConfigurationException listing every problem, and every class without an
   *     {@code @Idempotent} method
   */
  static void checkAnnotatedMethods(
      Class<?>[] classes, Function<Method, @Nullable String> problem) {
    List<String> problems = new ArrayList<>();
    for (Class<?> type : requireClasses(classes)) {
      List<Method> annotated = annotatedMethods(type);
      if (annotated.isEmpty()) {
        problems.add(noAnnotatedMethod(type));
      }
      for (Method method : annotated) {
        String found = problem.apply(method);
        if (found != null) {
          problems.add(found);
        }
      }
    }
    throwIfAny(problems);
  }

  private static List<Class<?>> requireClasses(Class<?>[] classes) {
    Objects.requireNonNull(classes, "classes");
    if (classes.length == 0) {
      throw new IllegalArgumentException("name at least one class");
    }
    List<Class<?>> list = new ArrayList<>();
    for (Class<?> type : classes) {
      list.add(Objects.requireNonNull(type, "classes must not contain null"));
    }
    return list;
  }

  private static List<Method> annotatedMethods(Class<?> type) {
    List<Method> methods = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      Arrays.stream(c.getDeclaredMethods())
          .filter(m -> m.isAnnotationPresent(Idempotent.class) && !m.isBridge())
          .sorted((a, b) -> a.toString().compareTo(b.toString()))
          .forEach(methods::add);
    }
    return methods;
  }

  private static String noAnnotatedMethod(Class<?> type) {
    return type.getName()
        + " declares no @Idempotent method (annotations on interface methods are not inherited:"
        + " annotate the implementing method)";
  }

  static @Nullable String problem(Method method) {
    if (Modifier.isAbstract(method.getModifiers())) {
      return "Invalid @Idempotent method "
          + IdempotencyConfigurationException.describe(method)
          + ": it is abstract, and only method bodies are woven; annotate the implementing method";
    }
    if (isWoven(method)) {
      return null;
    }
    return "Invalid @Idempotent method "
        + IdempotencyConfigurationException.describe(method)
        + ": its class was not woven by AspectJ, so its calls run unprotected; "
        + HOW_TO_WEAVE;
  }

  private static boolean isWoven(Method method) {
    Class<?> owner = method.getDeclaringClass();
    String prefix = method.getName() + "_aroundBody";
    List<Class<?>> expected = new ArrayList<>();
    if (!Modifier.isStatic(method.getModifiers())) {
      expected.add(owner);
    }
    expected.addAll(Arrays.asList(method.getParameterTypes()));
    for (Method candidate : owner.getDeclaredMethods()) {
      if (!candidate.getName().startsWith(prefix) || !Modifier.isStatic(candidate.getModifiers())) {
        continue;
      }
      List<Class<?>> actual = new ArrayList<>(Arrays.asList(candidate.getParameterTypes()));
      if (actual.size() == expected.size() + 1
          && actual.get(actual.size() - 1).getName().equals("org.aspectj.lang.JoinPoint")) {
        actual.remove(actual.size() - 1);
      }
      if (actual.equals(expected)) {
        return true;
      }
    }
    return false;
  }

  private static void throwIfAny(List<String> problems) {
    if (problems.isEmpty()) {
      return;
    }
    List<String> distinct = problems.stream().distinct().toList();
    throw IdempotencyConfigurationException.of(
        distinct.size() == 1
            ? distinct.get(0)
            : distinct.size()
                + " invalid @Idempotent methods:\n  - "
                + String.join("\n  - ", distinct));
  }
}
