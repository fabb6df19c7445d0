package org.multiprocess4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Draws the side-by-side results as an SVG chart: one row per measure with a peer, a bar on a log scale from 1x
 * (as fast as the peer) to the ratio, to the right when multiprocess4j is better, to the left when worse, labelled
 * with the ratio and both figures. Plain SVG, readable in a browser and on a repository page.
 *
 * <p>{@code java -cp benchmarks.jar org.multiprocess4j.benchmarks.SvgChart results.jsonl chart.svg} draws it from
 * the JSON lines of a run.
 */
final class SvgChart {
    /** One result line: a measure of ours beside one peer's. */
    record Row(String name, double value, String unit, String peer, double peerValue, String target) {
        /** How many times better than the peer multiprocess4j is: above 1 better, below 1 worse. */
        double advantage() {
            boolean higherIsBetter = unit.endsWith("/s");
            return higherIsBetter ? value / peerValue : peerValue / value;
        }
    }

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.eE]+|null)");
    private static final int WIDTH = 1060;
    private static final int LABEL = 330;
    private static final int ROW = 22;
    private static final int TOP = 56;
    /** The log scale spans 1/SPAN to SPAN times, beyond which a bar is drawn to the edge. */
    private static final double SPAN = 100;

    private SvgChart() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: SvgChart RESULTS.jsonl CHART.svg");
            System.exit(2);
        }
        write(read(Path.of(args[0])), Path.of(args[1]));
    }

    /** The rows of a JSON-lines result file that have a figure of ours and of a peer; other lines are skipped. */
    static List<Row> read(Path jsonl) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
            java.util.Map<String, String> fields = new java.util.HashMap<>();
            Matcher m = FIELD.matcher(line);
            while (m.find()) {
                fields.put(m.group(1), m.group(3) != null ? m.group(3).replace("\\\"", "\"") : m.group(2));
            }
            try {
                double value = Double.parseDouble(fields.getOrDefault("value", "null"));
                double peerValue = Double.parseDouble(fields.getOrDefault("peer_value", "null"));
                if (value > 0 && peerValue > 0) {
                    rows.add(new Row(fields.get("name"), value, fields.getOrDefault("unit", ""),
                            fields.getOrDefault("peer", ""), peerValue, fields.getOrDefault("target", "")));
                }
            } catch (NumberFormatException noFigure) {
                // a measure without a peer, or one that failed: not drawn
            }
        }
        return rows;
    }

    /** Writes the chart of {@code rows} to {@code svg}. */
    static void write(List<Row> rows, Path svg) throws IOException {
        int height = TOP + rows.size() * ROW + 30;
        int plot = WIDTH - LABEL - 230;
        double center = LABEL + plot / 2.0;
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height));
        out.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        out.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">"
                + "multiprocess4j beside its peers (C, CPython), one run of ./mp4j bench</text>%n"));
        out.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"38\" fill=\"#555\">log scale: right of 1x "
                + "multiprocess4j is better (green), left worse (red); each row's own units</text>%n"));
        for (double tick : new double[] {1 / SPAN, 0.1, 1, 10, SPAN}) {
            double x = center + Math.log10(tick) / Math.log10(SPAN) * plot / 2;
            out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n",
                    x, TOP - 8, x, height - 24, tick == 1 ? "#333" : "#ddd"));
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
                    + "%sx</text>%n", x, height - 10, tick < 1 ? "1/" + Math.round(1 / tick) : Math.round(tick)));
        }
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            int y = TOP + i * ROW;
            double advantage = r.advantage();
            double scaled = Math.max(-1, Math.min(1, Math.log10(advantage) / Math.log10(SPAN)));
            double end = center + scaled * plot / 2;
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL - 8, y + 14, escape(shorten(r.name() + " vs " + r.peer(), 52))));
            out.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"14\" "
                    + "fill=\"%s\"><title>%s</title></rect>%n", Math.min(center, end), y + 3,
                    Math.max(1, Math.abs(end - center)), advantage >= 1 ? "#3a9d5d" : "#d0533f",
                    escape(r.name() + ": " + figure(r.value()) + " beside " + r.peer() + " " + figure(r.peerValue())
                            + (r.target().isEmpty() ? "" : "; target " + r.target()))));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s (%s vs %s)</text>%n",
                    LABEL + plot + 8, y + 14, advantage >= 1 ? String.format(Locale.ROOT, "%.2fx better", advantage)
                            : String.format(Locale.ROOT, "%.2fx worse", 1 / advantage),
                    figure(r.value()), figure(r.peerValue())));
        }
        out.append("</svg>\n");
        Files.writeString(svg, out, StandardCharsets.UTF_8);
    }

    private static String figure(double v) {
        return String.format(Locale.ROOT, v >= 1e6 ? "%.3g" : v < 10 ? "%.3f" : "%.1f", v);
    }

    private static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
