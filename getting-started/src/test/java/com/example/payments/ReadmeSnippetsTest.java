package com.example.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's snippets are copies of tested files. A README line {@code <!-- snippet: PATH -->}
 * (or {@code PATH#region,region}) says that the fenced block after it is that file, or the named
 * regions of it: the lines between {@code readme:begin NAME} and {@code readme:end NAME} comments,
 * without their common indentation. Several regions of one name are joined directly, different
 * names with a blank line between them. Paths are relative to the repository root.
 */
class ReadmeSnippetsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Pattern SNIPPET =
      Pattern.compile("<!-- snippet: ([^#\\s]+)(?:#(\\S+))? -->\\n```[a-z]*\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern BEGIN = Pattern.compile("readme:begin (\\S+)");
  private static final Pattern END = Pattern.compile("readme:end (\\S+)");

  @Test
  void everyMarkedReadmeSnippetEqualsTheFileItIsCopiedFrom() throws IOException {
    String readme = read(ROOT.resolve("README.md"));
    Matcher snippets = SNIPPET.matcher(readme);
    int count = 0;
    List<String> mismatches = new ArrayList<>();
    while (snippets.find()) {
      count++;
      Path file = ROOT.resolve(snippets.group(1));
      String expected =
          snippets.group(2) == null
              ? read(file)
              : regions(read(file), List.of(snippets.group(2).split(",")), file);
      if (!snippets.group(3).equals(expected)) {
        mismatches.add(
            snippets.group(0).lines().findFirst().orElseThrow()
                + " differs; the README should read:\n"
                + expected);
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(count)
        .as("marked snippets in README.md, each followed by its fenced block")
        .isEqualTo(readme.split("<!-- snippet: ", -1).length - 1)
        .isGreaterThanOrEqualTo(7);
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  /** The named regions of a file, each without its common indentation. */
  private static String regions(String text, List<String> names, Path file) {
    Map<String, StringBuilder> regions = new LinkedHashMap<>();
    String open = null;
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      Matcher begin = BEGIN.matcher(line);
      Matcher end = END.matcher(line);
      if (open == null && begin.find()) {
        open = begin.group(1);
        lines.clear();
      } else if (open != null && end.find() && end.group(1).equals(open)) {
        regions.computeIfAbsent(open, name -> new StringBuilder()).append(dedent(lines));
        open = null;
      } else if (open != null) {
        lines.add(line);
      }
    }
    StringBuilder joined = new StringBuilder();
    for (String name : names) {
      assertThat(regions).as("regions of %s", file).containsKey(name);
      if (joined.length() > 0) {
        joined.append('\n');
      }
      joined.append(regions.get(name));
    }
    return joined.toString();
  }

  private static String dedent(List<String> lines) {
    int indent =
        lines.stream()
            .filter(line -> !line.isBlank())
            .mapToInt(line -> line.length() - line.stripLeading().length())
            .min()
            .orElse(0);
    StringBuilder out = new StringBuilder();
    for (String line : lines) {
      out.append(line.isBlank() ? "" : line.substring(indent)).append('\n');
    }
    return out.toString();
  }
}
