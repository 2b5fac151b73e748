package io.llmgw.app.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layout rules that ARCHITECTURE.md states, checked on the sources so that they hold after the next change too:
 * small main source files, and imports that respect the module borders (the poms enforce dependencies; this also
 * catches a module that reaches a package it depends on only by accident, through another module).
 */
class ModuleBordersTest {

    private static final int MAX_MAIN_FILE_LINES = 400;

    /** Module -> packages of other project modules its main code must never import. */
    private static final Map<String, List<String>> FORBIDDEN = Map.of(
            "schemas", List.of("io.llmgw.topology", "io.llmgw.processors", "io.llmgw.gateway", "io.llmgw.app",
                    "io.llmgw.simulator", "io.llmgw.bench"),
            "topology", List.of("io.llmgw.processors", "io.llmgw.gateway", "io.llmgw.app", "io.llmgw.bench"),
            "processors", List.of("io.llmgw.topology", "io.llmgw.gateway", "io.llmgw.app", "io.llmgw.bench"),
            "gateway", List.of("io.llmgw.topology", "io.llmgw.processors", "io.llmgw.app", "io.llmgw.bench"),
            "simulator", List.of("io.llmgw.topology", "io.llmgw.processors", "io.llmgw.gateway", "io.llmgw.app",
                    "io.llmgw.bench"),
            "app", List.of("io.llmgw.bench"));

    @Test
    void shouldKeepEveryMainSourceFileUnderTheLineLimit() {
        final List<String> tooLong = mainSources().filter(file -> lines(file).size() > MAX_MAIN_FILE_LINES)
                .map(file -> RepositoryFiles.root().relativize(file) + " (" + lines(file).size() + " lines)")
                .toList();
        assertEquals(List.of(), tooLong, "main source files over " + MAX_MAIN_FILE_LINES + " lines");
    }

    @Test
    void shouldImportOnlyAcrossTheDocumentedModuleBorders() {
        final List<String> crossings = FORBIDDEN.entrySet().stream()
                .flatMap(rule -> sources(rule.getKey()).flatMap(file -> lines(file).stream()
                        .filter(line -> line.startsWith("import "))
                        .filter(line -> rule.getValue().stream().anyMatch(pkg -> line.contains(" " + pkg + ".")))
                        .map(line -> RepositoryFiles.root().relativize(file) + ": " + line)))
                .toList();
        assertEquals(List.of(), crossings, "imports across module borders");
    }

    @Test
    void shouldFindTheSourcesItChecks() {
        assertTrue(mainSources().count() > 50, "the walk reached the modules' main sources");
    }

    private static Stream<Path> mainSources() {
        return Stream.of("schemas", "topology", "processors", "gateway", "simulator", "broker", "app", "bench")
                .flatMap(ModuleBordersTest::sources);
    }

    private static Stream<Path> sources(final String module) {
        final Path dir = RepositoryFiles.root().resolve(module).resolve("src/main/java");
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(file -> file.toString().endsWith(".java")).toList().stream();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> lines(final Path file) {
        try {
            return Files.readAllLines(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
