package dev.idem.aspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idem.ltwtest.LoadTimeWovenMain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Proves load-time weaving with the real AspectJ agent and the shipped {@code META-INF/aop.xml}: a
 * forked JVM runs a javac-compiled class whose {@code @Idempotent} method must run once.
 */
class LoadTimeWeavingTest {

  @Test
  void agentWeavesAnnotatedMethodsAtLoadTime() throws Exception {
    Path weaver = Path.of(System.getProperty("idem.aspectjweaver.jar", ""));
    assertThat(weaver).as("aspectjweaver jar passed by the build").isRegularFile();
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    Process process =
        new ProcessBuilder(
                List.of(
                    java.toString(),
                    "-javaagent:" + weaver,
                    "-cp",
                    classpath,
                    LoadTimeWovenMain.class.getName()))
            .redirectErrorStream(true)
            .start();
    boolean finished = process.waitFor(60, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!finished) {
      process.destroyForcibly();
    }
    assertThat(finished).as("forked JVM finished; output:%n%s", output).isTrue();
    assertThat(output).contains("verifyWoven passed", "executions=1");
    assertThat(process.exitValue()).as("exit code; output:%n%s", output).isZero();
  }

  @Test
  void theShippedAopXmlDeclaresTheAspect() throws Exception {
    var shipped = IdempotentAspect.class.getResource("/META-INF/aop.xml");
    List<String> declaring = new java.util.ArrayList<>();
    for (var it = getClass().getClassLoader().getResources("META-INF/aop.xml").asIterator();
        it.hasNext(); ) {
      try (var in = it.next().openStream()) {
        String xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (xml.contains("<aspect name=\"" + IdempotentAspect.class.getName() + "\"/>")) {
          declaring.add(xml);
        }
      }
    }
    assertThat(shipped).isNotNull();
    assertThat(declaring).hasSize(1);
  }
}
