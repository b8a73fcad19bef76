package dev.agentid.issuer.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogBudgetTest {

    @Test
    void aRefusalStormIsThinnedToTheBudgetAndTheNextLineSaysHowManyWereHeldBack() {
        LogBudget budget = new LogBudget(3);
        assertEquals(0, budget.admit(100));
        assertEquals(0, budget.admit(100));
        assertEquals(0, budget.admit(100));
        for (int i = 0; i < 1000; i++) {
            assertEquals(-1, budget.admit(100));
        }
        assertEquals(1000, budget.admit(101), "the first line of the next second reports what was held back");
        assertEquals(0, budget.admit(101));
    }
}
