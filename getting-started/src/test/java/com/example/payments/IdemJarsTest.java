package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The Idem artifacts this project gets hold nothing of the machine that built them: no ajc argument
 * file ({@code builddef.lst}) and no absolute path of the checkout or the home directory. In a
 * reactor build the class path holds Idem's jars (after {@code package}) or class directories
 * (before it); both are checked.
 */
class IdemJarsTest {

  @Test
  void idemArtifactsHoldNoArgumentFileAndNoBuildMachinePath() throws IOException {
    List<String> forbidden =
        List.of(
            Path.of("").toAbsolutePath().getParent().toString(),
            System.getProperty("user.home") + File.separator + ".m2");
    List<Path> artifacts = idemArtifacts();
    assertThat(artifacts).as("Idem artifacts on the class path").hasSizeGreaterThanOrEqualTo(5);

    List<String> problems = new ArrayList<>();
    for (Path artifact : artifacts) {
      if (Files.isDirectory(artifact)) {
        try (Stream<Path> files = Files.walk(artifact)) {
          for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
            check(artifact + "!" + artifact.relativize(file), Files.readAllBytes(file), forbidden)
                .forEach(problems::add);
          }
        }
      } else {
        try (ZipFile jar = new ZipFile(artifact.toFile())) {
          for (ZipEntry entry : jar.stream().map(ZipEntry.class::cast).toList()) {
            try (InputStream in = jar.getInputStream(entry)) {
              check(artifact + "!" + entry.getName(), in.readAllBytes(), forbidden)
                  .forEach(problems::add);
            }
          }
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  private static List<Path> idemArtifacts() {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return Arrays.stream(classPath.split(File.pathSeparator))
        .map(Path::of)
        .filter(
            path ->
                path.getFileName().toString().startsWith("idem-")
                    || (path.endsWith(Path.of("target", "classes"))
                        && path.getParent().getParent().getFileName().toString().startsWith("idem-")))
        .toList();
  }

  private static List<String> check(String name, byte[] content, List<String> forbidden) {
    List<String> problems = new ArrayList<>();
    if (name.endsWith("builddef.lst")) {
      problems.add(name + ": ajc's argument file");
    }
    String text = new String(content, StandardCharsets.ISO_8859_1);
    for (String path : forbidden) {
      if (text.contains(path)) {
        problems.add(name + ": contains " + path);
      }
    }
    return problems;
  }
}
