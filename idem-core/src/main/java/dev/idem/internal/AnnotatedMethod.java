package dev.idem.internal;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import dev.idem.IdempotencyKeyException;
import dev.idem.PolicyAttributes;
import dev.idem.annotation.Idempotent;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.SpelCompilerMode;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.SpelParserConfiguration;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.StandardEvaluationContext;

/**
 * An {@code @Idempotent} method, validated once: its operation, its compiled key and payload
 * expressions and the names its arguments are bound to.
 */
public final class AnnotatedMethod {

  private static final Pattern POSITIONAL = Pattern.compile("[pa](\\d+)");

  private final OperationSpec spec;
  private final Expression key;
  private final @Nullable Expression payload;
  private final boolean hasPayload;
  private final String[] positionalP;
  private final String[] positionalA;
  private final @Nullable String[] names;

  private AnnotatedMethod(
      OperationSpec spec,
      Expression key,
      @Nullable Expression payload,
      boolean hasPayload,
      @Nullable String[] names) {
    this.spec = spec;
    this.key = key;
    this.payload = payload;
    this.hasPayload = hasPayload;
    this.names = names;
    this.positionalP = new String[names.length];
    this.positionalA = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      positionalP[i] = "p" + i;
      positionalA[i] = "a" + i;
    }
  }

  /**
   * Validates an annotated method and prepares it for calls.
   *
   * @param method the method
   * @param config the configuration
   * @return the prepared method
   * @throws IdempotencyConfigurationException naming the method if anything is invalid
   */
  public static AnnotatedMethod of(Method method, IdempotencyConfig config) {
    String where = IdempotencyConfigurationException.describe(method);
    Idempotent annotation = method.getAnnotation(Idempotent.class);
    if (annotation == null) {
      throw IdempotencyConfigurationException.forMethod(where, "it is not annotated @Idempotent");
    }
    String name =
        annotation.name().isEmpty()
            ? method.getDeclaringClass().getSimpleName() + "." + method.getName()
            : annotation.name();
    try {
      Keys.requireValidName(name);
    } catch (IllegalArgumentException e) {
      throw IdempotencyConfigurationException.forMethod(where, e.getMessage());
    }
    ResolvedPolicy policy;
    try {
      policy = ResolvedPolicy.resolve(config, PolicyAttributes.of(annotation), annotation.policy());
    } catch (IllegalArgumentException e) {
      throw IdempotencyConfigurationException.forMethod(where, e.getMessage());
    }
    checkReplayOnDeclared(method, where, policy);
    ResultCodec codec;
    try {
      codec =
          ResultCodec.forType(
              config.objectMapper(), method.getGenericReturnType(), config.maxResultBytes());
    } catch (IllegalArgumentException e) {
      throw IdempotencyConfigurationException.forMethod(where, e.getMessage());
    }
    @Nullable String[] names = parameterNames(method);
    Expression key = parse(annotation.key(), "key", method, where, names);
    String payloadText = annotation.payload();
    boolean allArguments = Idempotent.ALL_ARGUMENTS.equals(payloadText);
    Expression payload =
        allArguments || payloadText.isEmpty()
            ? null
            : parse(payloadText, "payload", method, where, names);
    OperationSpec spec = new OperationSpec(name, where, policy, codec);
    return new AnnotatedMethod(spec, key, payload, allArguments || !payloadText.isEmpty(), names);
  }

  private static void checkReplayOnDeclared(Method method, String where, ResolvedPolicy policy) {
    if (ResultCodec.rawClass(method.getGenericReturnType())
            == java.util.concurrent.CompletionStage.class
        || ResultCodec.rawClass(method.getGenericReturnType())
            == java.util.concurrent.CompletableFuture.class) {
      return; // failures of async methods travel in the future, checked or not
    }
    for (Class<? extends Throwable> type : policy.replayOn()) {
      boolean unchecked =
          RuntimeException.class.isAssignableFrom(type) || Error.class.isAssignableFrom(type);
      boolean declared =
          Arrays.stream(method.getExceptionTypes()).anyMatch(d -> d.isAssignableFrom(type));
      if (!unchecked && !declared) {
        throw IdempotencyConfigurationException.forMethod(
            where,
            "replayOn lists the checked exception "
                + type.getName()
                + ", which the method does not declare");
      }
    }
  }

  private static @Nullable String[] parameterNames(Method method) {
    Parameter[] parameters = method.getParameters();
    @Nullable String[] names = new String[parameters.length];
    for (int i = 0; i < parameters.length; i++) {
      names[i] = parameters[i].isNamePresent() ? parameters[i].getName() : null;
    }
    return names;
  }

  private static Expression parse(
      String text, String attribute, Method method, String where, @Nullable String[] names) {
    if (text.isBlank()) {
      throw IdempotencyConfigurationException.forMethod(where, attribute + " must not be blank");
    }
    SpelExpressionParser parser =
        new SpelExpressionParser(
            new SpelParserConfiguration(
                SpelCompilerMode.MIXED, method.getDeclaringClass().getClassLoader()));
    Expression expression;
    try {
      expression = parser.parseExpression(text);
    } catch (ParseException e) {
      throw IdempotencyConfigurationException.forMethod(
          where, attribute + " expression '" + text + "' does not parse", e);
    }
    Set<String> referenced = new HashSet<>();
    collectVariables(((SpelExpression) expression).getAST(), referenced);
    Set<String> known = Arrays.stream(names).filter(n -> n != null).collect(Collectors.toSet());
    boolean namesMissing = Arrays.stream(names).anyMatch(n -> n == null);
    for (String variable : referenced) {
      if (variable.equals("root") || variable.equals("this") || known.contains(variable)) {
        continue;
      }
      var positional = POSITIONAL.matcher(variable);
      if (positional.matches() && Integer.parseInt(positional.group(1)) < names.length) {
        continue;
      }
      String refersTo = attribute + " expression '" + text + "' refers to #" + variable;
      if (positional.matches()) {
        throw IdempotencyConfigurationException.forMethod(
            where, refersTo + " but the method has " + names.length + " parameter(s)");
      }
      if (namesMissing) {
        throw IdempotencyConfigurationException.forMethod(
            where,
            refersTo
                + " but parameter names were not compiled into the class: compile with"
                + " -parameters (maven-compiler-plugin <parameters>true</parameters>) or use"
                + " #p0, #p1, ...");
      }
      throw IdempotencyConfigurationException.forMethod(
          where, refersTo + ", which is not a parameter; parameters are " + List.of(names));
    }
    return expression;
  }

  private static void collectVariables(SpelNode node, Set<String> into) {
    if (node instanceof VariableReference) {
      String ast = node.toStringAST();
      into.add(ast.startsWith("#") ? ast.substring(1) : ast);
    }
    for (int i = 0; i < node.getChildCount(); i++) {
      collectVariables(node.getChild(i), into);
    }
  }

  /**
   * Returns the operation.
   *
   * @return the operation spec
   */
  public OperationSpec spec() {
    return spec;
  }

  /**
   * Evaluates the key expression for one call.
   *
   * @param args the call's arguments
   * @param fingerprinter the canonical JSON writer for composite keys
   * @return the key value string, or null if it evaluated to null
   * @throws IdempotencyKeyException if evaluation fails
   */
  public @Nullable String keyValue(Object[] args, Fingerprinter fingerprinter) {
    Object value;
    try {
      value = key.getValue(context(args));
    } catch (EvaluationException e) {
      throw IdempotencyKeyException.evaluationFailed(spec.name(), e);
    }
    return KeyValues.toKeyString(value, fingerprinter);
  }

  /**
   * Returns the fingerprint of one call's payload.
   *
   * @param args the call's arguments
   * @param fingerprinter the fingerprinter
   * @return the fingerprint, or null when the method has no payload check
   */
  public @Nullable String fingerprint(Object[] args, Fingerprinter fingerprinter) {
    if (!hasPayload) {
      return null;
    }
    Object value;
    if (payload == null) {
      value = args;
    } else {
      try {
        value = payload.getValue(context(args));
      } catch (EvaluationException e) {
        throw IdempotencyKeyException.evaluationFailed(spec.name(), e);
      }
    }
    try {
      return fingerprinter.fingerprint(value);
    } catch (IllegalArgumentException e) {
      throw IdempotencyConfigurationException.forMethod(
          spec.description(),
          "the payload cannot be converted to JSON for its fingerprint; set payload to an"
              + " expression selecting serializable arguments, or payload = \"\" to disable the"
              + " check",
          e);
    }
  }

  private StandardEvaluationContext context(Object[] args) {
    StandardEvaluationContext context = new StandardEvaluationContext(args);
    for (int i = 0; i < args.length; i++) {
      Object arg = args[i];
      if (i < names.length && names[i] != null) {
        context.setVariable(names[i], arg);
      }
      if (i < positionalP.length) {
        context.setVariable(positionalP[i], arg);
        context.setVariable(positionalA[i], arg);
      }
    }
    return context;
  }
}
