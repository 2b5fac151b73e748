package io.llmgw.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A class histogram as {@code jcmd GC.class_histogram} prints it (live objects, after a full GC), and the classes
 * that grew between two of them: what the memory case's waiting requests are made of.
 */
final class HeapHistogram {

    /** {@code   12:     3456     78912  java.lang.String (java.base@25)}: rank, instances, bytes, class. */
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

    private final Map<String, Long> bytesByClass;

    private HeapHistogram(final Map<String, Long> bytesByClass) {
        this.bytesByClass = Map.copyOf(bytesByClass);
    }

    static HeapHistogram parse(final String text) {
        final Map<String, Long> bytes = new HashMap<>();
        for (final String line : text.split("\n")) {
            final Matcher row = ROW.matcher(line);
            if (row.matches()) {
                bytes.merge(row.group(3), Long.parseLong(row.group(2)), Long::sum);
            }
        }
        return new HeapHistogram(bytes);
    }

    /**
     * The {@code limit} classes that grew most from {@code before} to this one, as bytes per {@code divisor} (per
     * waiting request), largest first.
     */
    Map<String, Double> growthSince(final HeapHistogram before, final double divisor, final int limit) {
        final List<Map.Entry<String, Long>> growth = new ArrayList<>();
        bytesByClass.forEach((type, bytes) -> {
            final long delta = bytes - before.bytesByClass.getOrDefault(type, 0L);
            if (delta > 0) {
                growth.add(Map.entry(type, delta));
            }
        });
        growth.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()));
        final Map<String, Double> top = new LinkedHashMap<>();
        growth.stream().limit(limit).forEach(entry -> top.put(entry.getKey(),
                Math.round(entry.getValue() / divisor * 10) / 10.0));
        return top;
    }
}
