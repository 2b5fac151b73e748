package io.llmgw.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Finds the highest rate that passes: doubles the rate from {@code start} until a step fails (or {@code limit} is
 * reached), then halves the interval between the last pass and the first failure {@code refinements} times.
 */
final class MaxRateSearch {

    /** One rate tried. */
    record Trial(double rate, boolean passed, OpenLoop.Result result) {
    }

    /** Every rate tried, in order, and the highest that passed (none when even the first failed). */
    record Found(Optional<Trial> best, List<Trial> trials) {

        Found {
            trials = List.copyOf(trials);
        }
    }

    /** Runs one step at a rate. */
    @FunctionalInterface
    interface Step {
        OpenLoop.Result run(double rate) throws InterruptedException;
    }

    private MaxRateSearch() {
    }

    static Found search(final double start, final double limit, final int refinements,
                        final Predicate<OpenLoop.Result> passes, final Step step) throws InterruptedException {
        final List<Trial> trials = new ArrayList<>();
        Trial best = null;
        double failed = Double.NaN;
        for (double rate = start; rate <= limit; rate *= 2) {
            final Trial trial = run(rate, passes, step, trials);
            if (!trial.passed()) {
                failed = rate;
                break;
            }
            best = trial;
        }
        if (!Double.isNaN(failed)) {
            double low = best == null ? 0 : best.rate();
            double high = failed;
            for (int i = 0; i < refinements; i++) {
                final double rate = roundRate((low + high) / 2);
                if (rate <= low || rate >= high) {
                    break;
                }
                final Trial trial = run(rate, passes, step, trials);
                if (trial.passed()) {
                    best = trial;
                    low = rate;
                } else {
                    high = rate;
                }
            }
        }
        return new Found(Optional.ofNullable(best), trials);
    }

    private static Trial run(final double rate, final Predicate<OpenLoop.Result> passes, final Step step,
                             final List<Trial> trials) throws InterruptedException {
        final OpenLoop.Result result = step.run(rate);
        final Trial trial = new Trial(rate, passes.test(result), result);
        trials.add(trial);
        return trial;
    }

    /** Rates in tens (or units below 100): nobody needs a maximum of 1,437.5 requests/s. */
    static double roundRate(final double rate) {
        return rate >= 100 ? Math.round(rate / 10) * 10.0 : Math.max(1, Math.round(rate));
    }
}
