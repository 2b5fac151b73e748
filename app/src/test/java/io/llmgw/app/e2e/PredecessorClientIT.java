package io.llmgw.app.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The predecessor's client script, unchanged but for its base URL, against the stack on the embedded broker. */
class PredecessorClientIT {

    private static E2eStack stack;
    private static PredecessorCalls calls;

    @BeforeAll
    static void startStack() {
        stack = E2eStack.shared();
        calls = new PredecessorCalls(stack.client(), stack.stack().simulator().baseUrl());
    }

    @Test
    void shouldAnswerChatCompletionsTokenForTokenWhenNotStreaming() throws Exception {
        calls.chatSync(E2eStack.QWEN);
    }

    @Test
    void shouldStreamChatCompletionsTokenForToken() throws Exception {
        calls.chatStream(E2eStack.QWEN);
    }

    @Test
    void shouldAnswerCompletionsTokenForTokenWhenNotStreaming() throws Exception {
        calls.completionSync(E2eStack.QWEN);
    }

    @Test
    void shouldStreamCompletionsTokenForToken() throws Exception {
        calls.completionStream(E2eStack.QWEN);
    }

    @Test
    void shouldServeASecondModelFromItsOwnWorker() throws Exception {
        calls.chatSync(E2eStack.GPT);
        calls.chatStream(E2eStack.GPT);
    }
}
