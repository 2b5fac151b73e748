package io.llmgw.bench;

import org.HdrHistogram.Histogram;

/**
 * A latency distribution in milliseconds, read from a histogram that was recorded in microseconds.
 *
 * @param count how many values were recorded
 * @param p50   median
 * @param p90   90th percentile
 * @param p99   99th percentile
 * @param max   largest value
 * @param mean  arithmetic mean
 */
record LatencyStats(long count, double p50, double p90, double p99, double max, double mean) {

    static final int SIGNIFICANT_DIGITS = 3;

    static LatencyStats empty() {
        return new LatencyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    static LatencyStats ofMicros(final Histogram micros) {
        if (micros.getTotalCount() == 0) {
            return empty();
        }
        return new LatencyStats(micros.getTotalCount(),
                ms(micros.getValueAtPercentile(50)), ms(micros.getValueAtPercentile(90)),
                ms(micros.getValueAtPercentile(99)), ms(micros.getMaxValue()), micros.getMean() / 1000.0);
    }

    /** A histogram for microsecond values that grows as needed. */
    static Histogram newMicrosHistogram() {
        final Histogram histogram = new Histogram(SIGNIFICANT_DIGITS);
        histogram.setAutoResize(true);
        return histogram;
    }

    private static double ms(final long micros) {
        return micros / 1000.0;
    }
}
