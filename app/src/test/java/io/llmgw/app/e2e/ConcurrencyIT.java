package io.llmgw.app.e2e;

import com.openai.client.OpenAIClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Many clients at once: every one gets its own answer, once, complete and in order. */
class ConcurrencyIT {

    private static E2eStack stack;
    private static PredecessorCalls calls;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        calls = new PredecessorCalls(stack.client(), stack.stack().simulator().baseUrl());
    }

    @Test
    void shouldAnswerFiftyConcurrentRequestsEachWithItsOwnContent() throws Exception {
        final int requests = 50;
        final Map<Integer, String> expected = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            expected.put(i, String.join("", calls.directChatDeltas(E2eStack.QWEN, question(i))));
        }
        final OpenAIClient client = stack.client();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                final String question = question(i);
                answers.add(pool.submit(() -> client.chat().completions()
                        .create(PredecessorCalls.chat(E2eStack.QWEN, question))
                        .choices().getFirst().message().content().orElseThrow()));
            }
            for (int i = 0; i < requests; i++) {
                assertEquals(expected.get(i), answers.get(i).get(60, TimeUnit.SECONDS), "request " + i);
            }
        }
    }

    @Test
    void shouldStreamTwentyConcurrentStreamsCompleteAndInOrder() throws Exception {
        final int streams = 20;
        final Map<Integer, List<String>> expected = new HashMap<>();
        for (int i = 0; i < streams; i++) {
            expected.put(i, calls.directChatDeltas(E2eStack.GPT, question(i)));
        }
        final OpenAIClient client = stack.client();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<List<String>>> results = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                final String question = question(i);
                results.add(pool.submit(() -> PredecessorCalls.streamedChatDeltas(client, E2eStack.GPT, question)));
            }
            for (int i = 0; i < streams; i++) {
                assertEquals(expected.get(i), results.get(i).get(60, TimeUnit.SECONDS), "stream " + i);
            }
        }
    }

    private static String question(final int i) {
        return "Вопрос номер " + i + ": сколько будет " + i + " плюс " + i + "?";
    }
}
