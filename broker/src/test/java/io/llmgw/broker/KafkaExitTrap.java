package io.llmgw.broker;

import org.apache.kafka.common.utils.internals.Exit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Turns Kafka's own exit and halt calls, made when a node in this JVM meets a fatal fault (a failed log dir, a fatal
 * raft error), into a failure of the test that names the fault. Left alone they kill the test JVM, and the build
 * reports only "the forked VM terminated without properly saying goodbye", with the reason somewhere in the log.
 *
 * <p>The calling Kafka thread gets an {@link Error} and stops, as it would have with the JVM; the test then fails
 * with what Kafka said. Procedures are global to the JVM: tests using this must not run concurrently.
 */
final class KafkaExitTrap implements BeforeEachCallback, AfterEachCallback, TestExecutionExceptionHandler {

    private final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void beforeEach(final ExtensionContext context) {
        calls.clear();
        Exit.setExitProcedure((status, message) -> trap("exit", status, message));
        Exit.setHaltProcedure((status, message) -> trap("halt", status, message));
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        Exit.resetExitProcedure();
        Exit.resetHaltProcedure();
        if (!calls.isEmpty()) {
            throw new AssertionError("Kafka tried to stop this JVM: " + calls);
        }
    }

    @Override
    public void handleTestExecutionException(final ExtensionContext context, final Throwable failure)
            throws Throwable {
        if (calls.isEmpty()) {
            throw failure;
        }
        // the test's own failure (a timeout, mostly) is a consequence: lead with the cause
        throw new AssertionError("Kafka tried to stop this JVM: " + calls, failure);
    }

    private void trap(final String kind, final int status, final String message) {
        final String call = kind + "(" + status + ") on " + Thread.currentThread().getName() + ": " + message;
        calls.add(call);
        System.err.println("KafkaExitTrap: " + call);
        throw new KafkaStopped(call);
    }

    /** Thrown into the Kafka thread that asked to stop the JVM. */
    static final class KafkaStopped extends Error {
        KafkaStopped(final String call) {
            super(call);
        }
    }
}
