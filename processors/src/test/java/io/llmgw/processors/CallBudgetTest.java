package io.llmgw.processors;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CallBudgetTest {

    @Test
    void shouldSplitTheConcurrencyAmongTasksButGiveEachAtLeastOne() {
        final CallBudget budget = new CallBudget(64);
        assertEquals(64, budget.perTaskLimit());

        for (int i = 0; i < 6; i++) {
            budget.taskStarted();
        }
        assertEquals(10, budget.perTaskLimit());

        final CallBudget small = new CallBudget(2);
        small.taskStarted();
        small.taskStarted();
        small.taskStarted();
        assertEquals(1, small.perTaskLimit());
    }

    @Test
    void shouldGrowTheShareAgainWhenATaskLeaves() {
        final CallBudget budget = new CallBudget(8);
        budget.taskStarted();
        budget.taskStarted();
        assertEquals(4, budget.perTaskLimit());

        budget.taskStopped();

        assertEquals(8, budget.perTaskLimit());
    }
}
