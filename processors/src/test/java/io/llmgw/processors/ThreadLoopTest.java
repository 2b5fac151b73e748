package io.llmgw.processors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadLoopTest {

    private final ThreadLoop loop = new ThreadLoop("llmgw-calls-test");
    private final BlockingQueue<String> ran = new LinkedBlockingQueue<>();

    @AfterEach
    void close() {
        loop.close();
    }

    private String next() throws InterruptedException {
        return ran.poll(5, TimeUnit.SECONDS);
    }

    @Test
    void shouldRunTasksFromManyThreadsOneAtATimeOnTheLoopThreadInTheOrderEachThreadOfferedThem() throws Exception {
        final int threads = 8;
        final int perThread = 2_000;
        final List<List<Integer>> seen = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            seen.add(new ArrayList<>());
        }
        final AtomicBoolean overlap = new AtomicBoolean();
        final AtomicBoolean running = new AtomicBoolean();
        final AtomicBoolean elsewhere = new AtomicBoolean();
        final CountDownLatch done = new CountDownLatch(threads * perThread);
        final List<Thread> offering = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int thread = t;
            offering.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    final int n = i;
                    loop.execute(() -> {
                        overlap.compareAndSet(false, !running.compareAndSet(false, true));
                        elsewhere.compareAndSet(false, !Thread.currentThread().getName().equals("llmgw-calls-test"));
                        seen.get(thread).add(n); // only the loop thread touches these lists
                        running.set(false);
                        done.countDown();
                    });
                }
            }));
        }
        for (final Thread thread : offering) {
            thread.join();
        }

        assertTrue(done.await(10, TimeUnit.SECONDS), "every task ran");
        assertFalse(overlap.get(), "two tasks at once");
        assertFalse(elsewhere.get(), "a task off the loop thread");
        final CountDownLatch read = new CountDownLatch(1);
        loop.execute(read::countDown); // the lists were written on the loop thread: read them after it
        assertTrue(read.await(5, TimeUnit.SECONDS));
        for (final List<Integer> order : seen) {
            assertEquals(perThread, order.size());
            for (int i = 0; i < perThread; i++) {
                assertEquals(i, order.get(i));
            }
        }
    }

    @Test
    void shouldRunATimerOnTheLoopThreadOnlyOnceItsDelayHasPassed() throws Exception {
        final long[] firedAfterMs = new long[1];
        final long start = System.nanoTime();
        loop.execute(() -> loop.schedule(300, () -> {
            firedAfterMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            ran.add(Thread.currentThread().getName());
        }));

        assertEquals("llmgw-calls-test", next());
        assertTrue(firedAfterMs[0] >= 300, firedAfterMs[0] + " ms");
    }

    @Test
    void shouldNeverRunACancelledTimerEvenOneAlreadyDue() throws Exception {
        loop.execute(() -> {
            final SchedulerLoop.Timer timer = loop.schedule(0, () -> ran.add("cancelled timer ran"));
            // stay busy while the timer is due: it must not run after the cancel below
            final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            timer.cancel();
        });
        loop.execute(() -> loop.schedule(50, () -> ran.add("later timer")));

        assertEquals("later timer", next());
        assertNull(ran.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldGoOnAfterATaskThrows() throws Exception {
        loop.execute(() -> {
            throw new IllegalStateException("a bad callback");
        });
        loop.execute(() -> ran.add("after"));

        assertEquals("after", next());
    }

    @Test
    void shouldRunTheTasksQueuedBeforeCloseAndDropTimersAndLaterTasks() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        loop.execute(() -> ran.add("queued before close"));
        loop.schedule(100, () -> ran.add("timer"));

        final Thread closing = Thread.ofPlatform().start(loop::close);
        await().atMost(Duration.ofSeconds(5)).until(() -> closing.getState() == Thread.State.TIMED_WAITING);
        loop.execute(() -> ran.add("after close"));
        release.countDown();
        closing.join(5_000);

        assertFalse(closing.isAlive(), "close returns once the loop has drained");
        assertEquals("queued before close", next());
        assertNull(ran.poll(300, TimeUnit.MILLISECONDS), "no timer and no task offered after close");
    }

    @Test
    void shouldCostNothingWhileIdle() throws Exception {
        loop.execute(() -> ran.add("warm"));
        assertEquals("warm", next());
        final Thread thread = findThread("llmgw-calls-test");
        await().atMost(Duration.ofSeconds(5)).until(() -> thread.getState() == Thread.State.WAITING);
        final long cpuBefore = cpuNanos(thread);
        final CountDownLatch pause = new CountDownLatch(1);
        assertFalse(pause.await(300, TimeUnit.MILLISECONDS)); // the loop is left alone for 300 ms
        assertTrue(cpuNanos(thread) - cpuBefore < TimeUnit.MILLISECONDS.toNanos(20), "an idle loop spins");
    }

    private static Thread findThread(final String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    private static long cpuNanos(final Thread thread) {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadCpuTime(thread.threadId());
    }
}
