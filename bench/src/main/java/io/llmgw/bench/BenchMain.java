package io.llmgw.bench;

import io.llmgw.app.ops.LogFormat;
import io.llmgw.settings.Settings;

import java.util.Arrays;

/**
 * {@code llmgw bench}: the benchmark's own entry point. It lives outside the product jar so that the image and
 * {@code llmgw gateway|router|worker} carry no load generator; the launcher script runs this class with
 * {@code bench/target/lib} on the classpath.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Settings settings = Settings.load();
        LogFormat.apply(settings);
        BenchCommand.run(settings, Arrays.asList(args));
    }
}
