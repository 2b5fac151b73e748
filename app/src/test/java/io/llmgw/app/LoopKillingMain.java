package io.llmgw.app;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A child JVM for {@link LoudFailureIT}: runs {@code llmgw <role>} as the image does, and on a line
 * {@code interrupt <thread-name-prefix>} on stdin interrupts the first thread of that name, so that an internal loop
 * dies the way a real failure would end it (an exception out of the Kafka client it blocks in). EOF on stdin (the
 * test is gone) halts the JVM.
 */
public final class LoopKillingMain {

    private LoopKillingMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Thread commands = new Thread(LoopKillingMain::readCommands, "loop-killer");
        commands.setDaemon(true);
        commands.start();
        Llmgw.main(args);
    }

    private static void readCommands() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("interrupt ")) {
                    final String prefix = line.substring("interrupt ".length()).strip();
                    Thread.getAllStackTraces().keySet().stream()
                            .filter(thread -> thread.getName().startsWith(prefix))
                            .findFirst()
                            .ifPresentOrElse(thread -> {
                                System.out.println("loop-killer: interrupting " + thread.getName());
                                thread.interrupt();
                            }, () -> System.out.println("loop-killer: no thread " + prefix));
                }
            }
        } catch (final Exception e) {
            // stdin gone
        }
        Runtime.getRuntime().halt(3);
    }
}
