package io.llmgw.app;

import io.llmgw.runtime.ProcessFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Ends the process with {@link #STATUS} when one of its internal loops died ({@link ProcessFailure}), so that Docker,
 * Kubernetes or systemd restart it rather than keep a process that answers 503 forever. {@code System.exit} runs the
 * shutdown hooks (the roles close their Kafka clients, the gateway cancels what its clients wait for); if they hang,
 * the JVM is halted after {@link #HALT_AFTER}.
 */
final class ProcessExit {

    /** EX_SOFTWARE of sysexits.h: an internal software error. */
    static final int STATUS = 70;
    static final Duration HALT_AFTER = Duration.ofSeconds(20);

    private static final Logger LOG = LoggerFactory.getLogger(ProcessExit.class);

    private ProcessExit() {
    }

    /** Exits the JVM on the first failure reported to {@link ProcessFailure#process()}. */
    static void onFatalFailure() {
        ProcessFailure.process().onFailure(reason -> {
            LOG.error("exiting with status {} because {}", STATUS, reason);
            final Thread halt = new Thread(() -> {
                try {
                    Thread.sleep(HALT_AFTER.toMillis()); // a watchdog, not a wait for a condition
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Runtime.getRuntime().halt(STATUS);
            }, "llmgw-halt");
            halt.setDaemon(true);
            halt.start();
            System.exit(STATUS);
        });
    }
}
