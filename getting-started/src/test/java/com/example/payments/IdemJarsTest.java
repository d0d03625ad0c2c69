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
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The Idem artifacts this project gets hold nothing of the machine that built them: no ajc argument
 * file ({@code builddef.lst}) and no absolute path of the checkout or the home directory. Each jar
 * names its module ({@code Automatic-Module-Name}), and no two artifacts share a package, so that
 * they work on the module path. In a reactor build the class path holds Idem's jars (after {@code
 * package}) or class directories (before it); both are checked, the manifests where there are
 * jars.
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

  @Test
  void everyIdemJarNamesItsOwnModule() throws IOException {
    Map<String, Path> modules = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Path artifact : idemArtifacts()) {
      if (Files.isDirectory(artifact)) {
        continue;
      }
      try (JarFile jar = new JarFile(artifact.toFile())) {
        Manifest manifest = jar.getManifest();
        String name =
            manifest == null
                ? null
                : manifest.getMainAttributes().getValue("Automatic-Module-Name");
        if (name == null || !name.matches("dev[.]idem([.][a-z][a-z0-9]*)+")) {
          problems.add(artifact.getFileName() + ": Automatic-Module-Name " + name);
        } else if (modules.putIfAbsent(name, artifact) != null) {
          problems.add(
              artifact.getFileName() + ": " + name + " is also " + modules.get(name).getFileName());
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void noTwoIdemArtifactsShareAPackage() throws IOException {
    Map<String, Path> owners = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Path artifact : idemArtifacts()) {
      for (String entry : entries(artifact)) {
        int slash = entry.lastIndexOf('/');
        if (slash <= 0 || entry.startsWith("META-INF/")) {
          continue;
        }
        String pkg = entry.substring(0, slash).replace('/', '.');
        Path owner = owners.putIfAbsent(pkg, artifact);
        if (owner != null && !owner.equals(artifact)) {
          problems.add(pkg + " is in " + owner + " and " + artifact);
        }
      }
    }
    assertThat(owners).as("packages").containsKey("dev.idem");
    assertThat(problems.stream().distinct()).isEmpty();
  }

  private static List<String> entries(Path artifact) throws IOException {
    if (Files.isDirectory(artifact)) {
      try (Stream<Path> files = Files.walk(artifact)) {
        return files
            .filter(Files::isRegularFile)
            .map(file -> artifact.relativize(file).toString().replace(File.separatorChar, '/'))
            .toList();
      }
    }
    try (ZipFile jar = new ZipFile(artifact.toFile())) {
      return jar.stream().filter(entry -> !entry.isDirectory()).map(ZipEntry::getName).toList();
    }
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
