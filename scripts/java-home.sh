# shellcheck shell=bash
# Sourced by ./llmgw and .ci/run: makes sure JAVA_HOME and PATH name a JDK 21 or newer.
#
# Keeps JAVA_HOME, or the java on PATH, when it is new enough; otherwise looks for the newest JDK 21+ in the usual
# places (/usr/lib/jvm, /usr/local, /opt, SDKMAN, macOS) by asking each one for its version. Exports JAVA_HOME,
# puts its bin first on PATH and sets LLMGW_JAVA_MAJOR (callers add flags that only newer JDKs accept).
# Works under `set -euo pipefail` and with the bash 3.2 of macOS. Returns 1 with a message when there is no JDK 21+.

LLMGW_MIN_JAVA=21

# The feature version (8, 17, 21, 25, ...) of the java binary $1, or nothing if it does not run.
llmgw_java_major() {
    local version
    version=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1) || true
    case "$version" in
        "") return 0 ;;
        1.*) version=${version#1.} ;; # 1.8.0_381 is Java 8
    esac
    version=${version%%[.+-]*}
    case "$version" in
        '' | *[!0-9]*) return 0 ;;
    esac
    echo "$version"
}

# The java.home that the java binary $1 reports (resolves /usr/bin/java and other links to the real JDK).
llmgw_java_home_of() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n 1 || true
}

# Prints "<major> <home>" if $1 is a JDK (java and javac) of at least LLMGW_MIN_JAVA.
llmgw_check_jdk() {
    local home=$1 major
    [ -n "$home" ] && [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || return 0
    major=$(llmgw_java_major "$home/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$LLMGW_MIN_JAVA" ]; then
        echo "$major $home"
    fi
}

llmgw_describe() {
    local major
    major=$(llmgw_java_major "$1")
    if [ -z "$major" ]; then
        echo "no working java there"
    else
        echo "Java $major (or a runtime without javac)"
    fi
}

llmgw_select_jdk() {
    local found="" java_on_path home candidate best_major=0 best_home="" major
    # 1. JAVA_HOME as given, 2. the java on PATH: the user's choice wins when it is new enough
    if [ -n "${JAVA_HOME:-}" ]; then
        found=$(llmgw_check_jdk "$JAVA_HOME")
    fi
    if [ -z "$found" ] && java_on_path=$(command -v java 2>/dev/null); then
        home=$(llmgw_java_home_of "$java_on_path")
        found=$(llmgw_check_jdk "$home")
    fi
    # 3. the newest JDK 21+ installed in a usual place
    if [ -z "$found" ]; then
        for candidate in /usr/lib/jvm/* /usr/local/*jdk* /usr/local/java/* /opt/*jdk* /opt/java/* \
            "${HOME:-/nonexistent}"/.sdkman/candidates/java/* "${HOME:-/nonexistent}"/.jdks/* \
            /Library/Java/JavaVirtualMachines/*/Contents/Home \
            "${HOME:-/nonexistent}"/Library/Java/JavaVirtualMachines/*/Contents/Home; do
            [ -d "$candidate" ] || continue
            found=$(llmgw_check_jdk "$candidate")
            [ -n "$found" ] || continue
            major=${found%% *}
            if [ "$major" -gt "$best_major" ]; then
                best_major=$major
                best_home=${found#* }
            fi
        done
        found=""
        if [ -n "$best_home" ]; then
            found="$best_major $best_home"
        fi
    fi
    if [ -z "$found" ]; then
        echo "llmgw needs a JDK $LLMGW_MIN_JAVA or newer, and found none." >&2
        if [ -n "${JAVA_HOME:-}" ]; then
            echo "  JAVA_HOME=$JAVA_HOME: $(llmgw_describe "$JAVA_HOME/bin/java")" >&2
        fi
        if command -v java >/dev/null 2>&1; then
            echo "  java on PATH ($(command -v java)): $(llmgw_describe "$(command -v java)")" >&2
        fi
        echo "  Looked in /usr/lib/jvm, /usr/local, /opt, ~/.sdkman, ~/.jdks and /Library/Java/JavaVirtualMachines." >&2
        echo "  Install one (for example Eclipse Temurin 21 or 25, or 'sdk install java 21-tem'), or set JAVA_HOME." >&2
        return 1
    fi
    LLMGW_JAVA_MAJOR=${found%% *}
    JAVA_HOME=${found#* }
    PATH="$JAVA_HOME/bin:$PATH"
    export JAVA_HOME PATH LLMGW_JAVA_MAJOR
}

llmgw_select_jdk
