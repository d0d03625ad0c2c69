package dev.idem.test.chaos;

import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs {@link ChaosTest} methods: one invocation per trial with a {@link ChaosTrial} parameter, and
 * failures rethrown with the trial's seed and injected faults.
 */
public final class ChaosExtension implements TestTemplateInvocationContextProvider {

  /** The system property that replays one seed for every {@link ChaosTest}. */
  public static final String SEED_PROPERTY = "idem.chaos.seed";

  /** Creates the extension; JUnit does, through {@link ChaosTest}. */
  public ChaosExtension() {}

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod().map(m -> m.isAnnotationPresent(ChaosTest.class)).orElse(false);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
    Method method = context.getRequiredTestMethod();
    ChaosTest chaos = method.getAnnotation(ChaosTest.class);
    String property = System.getProperty(SEED_PROPERTY);
    LongStream seeds;
    if (chaos.seed() != 0) {
      seeds = LongStream.of(chaos.seed());
    } else if (property != null && !property.isBlank()) {
      seeds = LongStream.of(Long.parseLong(property.strip().replace("L", "")));
    } else {
      if (chaos.trials() < 1) {
        throw new IllegalArgumentException("@ChaosTest(trials) must be at least 1");
      }
      seeds = ThreadLocalRandom.current().longs(chaos.trials()).map(s -> s == 0 ? 1 : s);
    }
    long[] drawn = seeds.toArray();
    return java.util.stream.IntStream.range(0, drawn.length)
        .mapToObj(i -> new Trial(new ChaosTrial(i + 1, drawn[i])));
  }

  private static final class Trial implements TestTemplateInvocationContext {
    private final ChaosTrial trial;

    Trial(ChaosTrial trial) {
      this.trial = trial;
    }

    @Override
    public String getDisplayName(int invocationIndex) {
      return trial.toString();
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      ParameterResolver parameter =
          new ParameterResolver() {
            @Override
            public boolean supportsParameter(
                ParameterContext parameterContext, ExtensionContext extensionContext) {
              return parameterContext.getParameter().getType() == ChaosTrial.class;
            }

            @Override
            public Object resolveParameter(
                ParameterContext parameterContext, ExtensionContext extensionContext) {
              return trial;
            }
          };
      TestExecutionExceptionHandler describe =
          (context, failure) -> {
            AssertionError described = new AssertionError(trial.describe(), failure);
            throw described;
          };
      return List.of(parameter, describe);
    }
  }
}
