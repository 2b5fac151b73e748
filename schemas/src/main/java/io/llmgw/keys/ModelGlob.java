package io.llmgw.keys;

/**
 * Model name patterns of a key: {@code *} stands for any run of characters (slashes too, since model names such as
 * {@code Qwen/Qwen2.5-72B} have them, which is why the JDK's path globs do not fit), everything else is literal.
 */
public final class ModelGlob {

    private ModelGlob() {
    }

    public static boolean matches(final String glob, final String model) {
        return matches(glob, 0, model, 0);
    }

    private static boolean matches(final String glob, final int g, final String text, final int t) {
        if (g == glob.length()) {
            return t == text.length();
        }
        if (glob.charAt(g) == '*') {
            // the star takes nothing, or one more character and stays
            return matches(glob, g + 1, text, t) || (t < text.length() && matches(glob, g, text, t + 1));
        }
        return t < text.length() && glob.charAt(g) == text.charAt(t) && matches(glob, g + 1, text, t + 1);
    }
}
