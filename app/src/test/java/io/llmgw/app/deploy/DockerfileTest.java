package io.llmgw.app.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Dockerfile, read as text: a Maven build stage, a pinned JRE runtime, a non-root user, the Llmgw entry point. */
class DockerfileTest {

    private static final Pattern FROM = Pattern.compile("^FROM\\s+(\\S+)(?:\\s+AS\\s+(\\S+))?", Pattern.MULTILINE);
    private static final Pattern COPY_FROM_BUILD = Pattern.compile("^COPY --from=build /src/(\\S+?)/? ", Pattern.MULTILINE);
    private static final Pattern ENV_NAME = Pattern.compile("(?:^ENV\\s+|\\\\\\s*\\n\\s+)([A-Z][A-Z0-9_]*)=",
            Pattern.MULTILINE);

    private static Path root;
    private static String dockerfile;

    @BeforeAll
    static void read() {
        root = RepositoryFiles.root();
        dockerfile = RepositoryFiles.text(root.resolve("Dockerfile"));
    }

    private static List<String> stages() {
        final List<String> images = new ArrayList<>();
        final Matcher from = FROM.matcher(dockerfile);
        while (from.find()) {
            images.add(from.group(1));
        }
        return images;
    }

    @Test
    void shouldBuildWithMavenThenRunOnAPinnedJreWhenStagesAreRead() {
        final List<String> images = stages();

        assertEquals(2, images.size(), "a build stage and a runtime stage: " + images);
        assertTrue(images.getFirst().startsWith("maven:") && images.getFirst().contains("-21"), images.getFirst());
        assertTrue(images.getLast().startsWith("eclipse-temurin:21") && images.getLast().contains("-jre"),
                images.getLast());
        images.forEach(image -> {
            assertTrue(image.contains(":") && !image.endsWith(":latest"), image + " is pinned");
            assertFalse(image.contains("alpine"), "RocksDB needs glibc: " + image);
        });
    }

    @Test
    void shouldRunAsANonRootUserWhenTheContainerStarts() {
        final int runtime = dockerfile.lastIndexOf("\nFROM ");
        final Matcher user = Pattern.compile("^USER\\s+(\\S+)", Pattern.MULTILINE).matcher(dockerfile.substring(runtime));
        assertTrue(user.find(), "the runtime stage sets a USER");
        assertFalse(Set.of("root", "0", "0:0").contains(user.group(1)), "USER " + user.group(1));
    }

    @Test
    void shouldStartTheLauncherWithTheRoleAsCommandWhenRun() throws Exception {
        assertTrue(dockerfile.contains("ENTRYPOINT [\"java\""), "exec-form ENTRYPOINT running java");
        final Matcher mainClass = Pattern.compile("ENTRYPOINT \\[.*\"(io\\.llmgw\\.[A-Za-z.]+)\"]").matcher(dockerfile);
        assertTrue(mainClass.find());
        assertEquals("io.llmgw.app.Llmgw", mainClass.group(1));
        final java.lang.reflect.Method main = Class.forName(mainClass.group(1)).getMethod("main", String[].class);
        assertTrue(java.lang.reflect.Modifier.isStatic(main.getModifiers()), "main is static: java can launch it");
        assertEquals(void.class, main.getReturnType());
        assertTrue(dockerfile.contains("CMD [\"gateway\"]"), "a default role");
    }

    @Test
    void shouldGiveTheImageAndTheLauncherTheProjectsGcOptionsWhenStarted() {
        // one list (JavaOptions.GC) for the JVMs started from Java; the image and ./llmgw spell it out and must agree
        final String launcher = RepositoryFiles.text(root.resolve("llmgw"));
        final Matcher entrypoint = Pattern.compile("^ENTRYPOINT \\[(.*)]$", Pattern.MULTILINE).matcher(dockerfile);
        assertTrue(entrypoint.find());
        for (final String option : io.llmgw.runtime.JavaOptions.GC) {
            assertTrue(entrypoint.group(1).contains("\"" + option + "\""), "ENTRYPOINT has " + option);
            assertTrue(launcher.contains("jvm_flags+=(" + option + ")"), "./llmgw adds " + option);
        }
    }

    @Test
    void shouldKeepTheBenchmarkOutOfTheProductClasspathWhenPackaged() {
        // the image copies app/target/lib: a load generator there would ship with every gateway
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.llmgw.bench.BenchMain"));
        assertThrows(ClassNotFoundException.class, () -> Class.forName("io.llmgw.app.bench.BenchCommand"));
    }

    @Test
    void shouldCopyTheLibDirectoriesThatTheModulesBuildWhenPackaged() {
        final Matcher copy = COPY_FROM_BUILD.matcher(dockerfile);
        final List<String> copied = new ArrayList<>();
        while (copy.find()) {
            copied.add(copy.group(1));
        }
        assertEquals(List.of("app/target/lib", "broker/target/lib"), copied);
        for (final String lib : copied) {
            final String module = lib.substring(0, lib.indexOf('/'));
            final String pom = RepositoryFiles.text(root.resolve(module).resolve("pom.xml"));
            assertTrue(pom.contains("copy-dependencies") && pom.contains("${project.build.directory}/lib"),
                    module + " copies its runtime classpath to target/lib");
        }
    }

    @Test
    void shouldSetOnlyVariablesTheApplicationReadsWhenItSetsAny() {
        final SettingsReads reads = SettingsReads.scan(root);
        final Matcher env = ENV_NAME.matcher(dockerfile);
        final List<String> names = new ArrayList<>();
        while (env.find()) {
            names.add(env.group(1));
        }
        assertFalse(names.isEmpty());
        names.forEach(name -> assertTrue(reads.reads(name), "ENV " + name + " is read by nothing"));
    }

    @Test
    void shouldKeepBuildOutputAndLocalSettingsOutOfTheContext() {
        final List<String> ignored = RepositoryFiles.text(root.resolve(".dockerignore")).lines()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        assertTrue(ignored.containsAll(List.of("**/target/", ".git/", ".env")), ignored.toString());
        assertTrue(Files.isRegularFile(root.resolve("pom.xml")));
    }
}
