package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** This project imports the BOM of the Idem being built, and the BOM agrees with the build. */
class BomTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  void thisProjectImportsTheBomOfTheIdemVersionBeingBuilt() throws IOException {
    assertThat(find("getting-started/pom.xml", "<artifactId>idem-bom</artifactId>\\s*<version>"))
        .isEqualTo(find("pom.xml", "<artifactId>idem-parent</artifactId>\\s*<version>"))
        .isEqualTo(find("idem-bom/pom.xml", "<artifactId>idem-bom</artifactId>\\s*<version>"));
  }

  @Test
  void versionsWrittenInBothTheBomAndTheParentAreEqual() throws IOException {
    // the parent imports the BOM; these it also needs for a plugin and for sibling artifacts
    for (String property : new String[] {"aspectj.version", "spring.version", "slf4j.version"}) {
      assertThat(find("pom.xml", "<" + property + ">"))
          .as(property)
          .isEqualTo(find("idem-bom/pom.xml", "<" + property + ">"));
    }
  }

  @Test
  void theBomHasNoParent() throws IOException {
    // an imported BOM hands users everything it inherits; idem-parent manages test libraries
    assertThat(Files.readString(ROOT.resolve("idem-bom/pom.xml"), StandardCharsets.UTF_8))
        .doesNotContain("<parent>");
  }

  private static String find(String file, String before) throws IOException {
    Matcher matcher =
        Pattern.compile(before + "([^<]+)<")
            .matcher(Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8));
    assertThat(matcher.find()).as("%s in %s", before, file).isTrue();
    return matcher.group(1);
  }
}
