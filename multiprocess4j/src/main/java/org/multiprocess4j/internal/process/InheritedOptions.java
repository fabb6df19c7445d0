package org.multiprocess4j.internal.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The options of this JVM that its children run with too, as a CPython child runs under its parent's interpreter
 * flags: assertions ({@code -ea}, {@code -esa}, {@code -da}, {@code -dsa} and their long forms), {@code
 * --enable-preview}, {@code -javaagent:} (coverage and profiling agents), and the module-system openings {@code
 * --add-opens}, {@code --add-exports}, {@code --add-reads} and {@code --add-modules}. Read from this JVM's command
 * line, {@code @argfiles} expanded; options that end the launcher's options (the main class, {@code -jar},
 * {@code -m}) end the reading. {@code JDK_JAVA_OPTIONS} needs no copying: the child's launcher reads it too.
 */
public final class InheritedOptions {
    private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
            "--upgrade-module-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads", "--limit-modules",
            "--patch-module", "--source", "--enable-native-access", "--illegal-native-access");
    private static final List<String> INHERITED_VALUE_OPTIONS = List.of("--add-opens", "--add-exports",
            "--add-reads", "--add-modules");

    private InheritedOptions() {
    }

    /** The options of this JVM's command line {@code arguments} (program arguments excluded) that children get. */
    public static List<String> of(List<String> arguments) {
        List<String> inherited = new ArrayList<>();
        List<String> args = expandArgFiles(arguments);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("-") || arg.equals("-jar") || arg.equals("-m") || arg.equals("--module")
                    || arg.startsWith("--module=")) {
                break; // the main class, jar or module: what follows is the program's
            }
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (INHERITED_VALUE_OPTIONS.contains(name)) {
                String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1)
                        : i + 1 < args.size() ? args.get(++i) : "";
                inherited.add(name + "=" + value);
            } else if (isAssertionOption(arg) || arg.equals("--enable-preview") || arg.startsWith("-javaagent:")) {
                inherited.add(arg);
            } else if (WITH_VALUE.contains(arg)) {
                i++; // its value is the next argument
            }
        }
        return List.copyOf(inherited);
    }

    private static boolean isAssertionOption(String arg) {
        for (String prefix : List.of("-ea", "-da", "-enableassertions", "-disableassertions")) {
            if (arg.equals(prefix) || arg.startsWith(prefix + ":")) {
                return true;
            }
        }
        return List.of("-esa", "-dsa", "-enablesystemassertions", "-disablesystemassertions").contains(arg);
    }

    /** Replaces each {@code @file} with the arguments in it, split at white space (quotes kept simple). */
    private static List<String> expandArgFiles(List<String> arguments) {
        List<String> expanded = new ArrayList<>();
        for (String arg : arguments) {
            if (arg.startsWith("@") && !arg.startsWith("@@")) {
                try {
                    for (String word : Files.readString(Path.of(arg.substring(1))).trim().split("\\s+")) {
                        if (!word.isEmpty()) {
                            expanded.add(word.length() > 1 && (word.startsWith("\"") && word.endsWith("\"")
                                    || word.startsWith("'") && word.endsWith("'"))
                                    ? word.substring(1, word.length() - 1) : word);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    return expanded; // unreadable: inherit what came before it
                }
            } else {
                expanded.add(arg);
            }
        }
        return expanded;
    }
}
