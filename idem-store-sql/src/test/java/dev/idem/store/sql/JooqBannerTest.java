package dev.idem.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.h2.jdbcx.JdbcDataSource;
import org.jooq.SQLDialect;
import org.junit.jupiter.api.Test;

/**
 * jOOQ's logo and tip of the day stay out of the application's output. Runs a fresh JVM (the test
 * JVM has the properties set on its command line) without SLF4J, so jOOQ logs to the console
 * through java.util.logging and anything it prints is seen.
 */
class JooqBannerTest {

  private static final String LOGO = "Thank you for using jOOQ";
  private static final String TIP = "jOOQ tip of the day";

  @Test
  void buildingAStoreDoesNotPrintJooqsLogoOrTip() throws Exception {
    String output = runChild();
    assertThat(output).contains("store built").doesNotContain(LOGO).doesNotContain(TIP);
  }

  @Test
  void anApplicationThatAsksForTheBannerStillGetsIt() throws Exception {
    // also shows that the test above would see the banner if the store printed it
    String output = runChild("-Dorg.jooq.no-logo=false", "-Dorg.jooq.no-tips=false");
    assertThat(output).contains("store built").contains(LOGO).contains(TIP);
  }

  private static String runChild(String... jvmOptions) throws Exception {
    String classPath =
        Arrays.stream(
                System.getProperty(
                        "surefire.test.class.path", System.getProperty("java.class.path"))
                    .split(File.pathSeparator))
            .filter(entry -> !entry.contains("slf4j"))
            .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", classPath, Child.class.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(exited).as(output).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  /** Builds an H2 store and creates its table, as an application would at startup. */
  static final class Child {
    public static void main(String[] args) {
      JdbcDataSource dataSource = new JdbcDataSource();
      dataSource.setURL("jdbc:h2:mem:banner;DB_CLOSE_DELAY=-1");
      JooqIdempotencyStore store = JooqIdempotencyStore.builder(dataSource, SQLDialect.H2).build();
      store.createSchemaIfMissing();
      System.out.println("store built");
    }
  }
}
