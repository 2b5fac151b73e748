package io.llmgw.app;

import io.llmgw.runtime.JavaOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * JVM options of the role processes the tests start on their own (to kill them, or to watch them exit). The build sets
 * {@code llmgw.test.child.java.opts} to C1 only and the serial collector: such a JVM lives for seconds, and without C2 it is ready in about
 * half the time and CPU on two cores (a gateway 7.4-10 s -> 5 s), which the test JVM beside it gets back.
 */
public final class TestJvms {

    private TestJvms() {
    }

    public static List<String> childOptions() {
        return JavaOptions.of("llmgw.test.child.java.opts", "LLMGW_TEST_CHILD_JAVA_OPTS");
    }

    /** {@code java -Xmx256m <child options> -cp <this JVM's classpath> <mainClass> <args>}. */
    public static List<String> command(final String mainClass, final String... args) {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        command.addAll(childOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }
}
