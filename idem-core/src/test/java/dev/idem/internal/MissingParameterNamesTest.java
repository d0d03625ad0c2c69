package dev.idem.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idem.IdempotencyConfig;
import dev.idem.IdempotencyConfigurationException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A class compiled without {@code -parameters} must fail fast, not evaluate {@code #cmd} as null.
 */
class MissingParameterNamesTest {

  @TempDir Path dir;

  @Test
  void namedVariableWithoutParameterNamesIsAConfigurationError() throws Exception {
    Path source = dir.resolve("NoNames.java");
    Files.writeString(
        source,
        "public class NoNames {\n"
            + "  @dev.idem.annotation.Idempotent(key = \"#orderId\")\n"
            + "  public String charge(String orderId) { return orderId; }\n"
            + "}\n");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int status =
        javac.run(
            null,
            null,
            null,
            List.of(
                    "-classpath",
                    System.getProperty("java.class.path"),
                    "-d",
                    dir.toString(),
                    source.toString())
                .toArray(String[]::new));
    if (status != 0) {
      throw new AssertionError("javac failed");
    }
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      Method charge = loader.loadClass("NoNames").getMethod("charge", String.class);
      assertThatThrownBy(() -> AnnotatedMethod.of(charge, IdempotencyConfig.ofDefaults()))
          .isInstanceOf(IdempotencyConfigurationException.class)
          .hasMessageContaining("-parameters")
          .hasMessageContaining("NoNames.charge");
    }
  }
}
