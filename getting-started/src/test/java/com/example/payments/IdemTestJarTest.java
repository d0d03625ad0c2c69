package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The {@code idem-test} a user's project gets holds what users and store authors test with — the
 * conformance kit, {@code MutableClock}, the assertions, the chaos toolkit — and none of Idem's own
 * test-server fixtures, which live in the internal {@code idem-test-support} module and never reach
 * a user's class path. In a reactor build the class path holds the jar (after {@code package}) or
 * the class directory (before it); both are checked.
 */
class IdemTestJarTest {

  /** The packages idem-test publishes. */
  private static final Set<String> PUBLISHED =
      Set.of("dev/idem/test", "dev/idem/test/store", "dev/idem/test/chaos");

  @Test
  void idemTestHoldsTheKitClockAssertionsAndChaosToolkitOnly() throws IOException {
    List<Path> idemTest = classPath().filter(path -> isArtifact(path, "idem-test")).toList();
    assertThat(idemTest).as("idem-test on the test class path").hasSize(1);
    List<String> classes = classesOf(idemTest.get(0));

    assertThat(classes)
        .contains(
            "dev/idem/test/MutableClock.class",
            "dev/idem/test/IdempotencyAssertions.class",
            "dev/idem/test/store/IdempotencyStoreContract.class",
            "dev/idem/test/chaos/FaultInjectingStore.class");
    assertThat(classes)
        .as("classes outside %s (the fixtures are in idem-test-support)", PUBLISHED)
        .allSatisfy(name -> assertThat(PUBLISHED).contains(packageOf(name)));
  }

  @Test
  void idemTestSupportIsNotOnAUsersClassPath() {
    assertThat(classPath().filter(path -> isArtifact(path, "idem-test-support")))
        .as("idem-test-support on the test class path")
        .isEmpty();
  }

  private static Stream<Path> classPath() {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.stream(classPath.split(File.pathSeparator)).map(Path::of);
  }

  /** Whether {@code path} is the jar or the class directory of the Idem module {@code module}. */
  private static boolean isArtifact(Path path, String module) {
    String name = path.getFileName().toString();
    if (path.endsWith(Path.of("target", "classes"))) {
      return path.getParent().getParent().getFileName().toString().equals(module);
    }
    return name.matches(Pattern.quote(module) + "-\\d.*\\.jar");
  }

  private static List<String> classesOf(Path artifact) throws IOException {
    if (Files.isDirectory(artifact)) {
      try (Stream<Path> files = Files.walk(artifact)) {
        return files
            .filter(file -> file.toString().endsWith(".class"))
            .filter(file -> !file.endsWith("module-info.class"))
            .map(file -> artifact.relativize(file).toString().replace(File.separatorChar, '/'))
            .toList();
      }
    }
    try (ZipFile jar = new ZipFile(artifact.toFile())) {
      return jar.stream()
          .map(ZipEntry::getName)
          .filter(name -> name.endsWith(".class") && !name.endsWith("module-info.class"))
          .toList();
    }
  }

  private static String packageOf(String classFile) {
    return classFile.substring(0, Math.max(0, classFile.lastIndexOf('/')));
  }
}
