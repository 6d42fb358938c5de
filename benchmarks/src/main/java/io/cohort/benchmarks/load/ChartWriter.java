package io.cohort.benchmarks.load;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Draws throughput (x) against p99 latency (y), both on log scales, one colour per system, each point labelled
 * with its workload and in-flight count; plain Java2D, headless, written as PNG.
 */
public final class ChartWriter {
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 700;
    private static final int LEFT = 90;
    private static final int RIGHT = 40;
    private static final int TOP = 50;
    private static final int BOTTOM = 70;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    private ChartWriter() {
    }

    /** Writes the chart of {@code results} to {@code png}. */
    public static void write(List<PointResult> results, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<PointResult> drawn = results.stream().filter(r -> r.opsPerSecond() > 0 && r.p99Micros() > 0).toList();
        if (drawn.isEmpty()) {
            throw new IllegalArgumentException("no point with a rate and a p99 to draw");
        }
        double minX = decadeBelow(drawn.stream().mapToDouble(PointResult::opsPerSecond).min().orElseThrow());
        double maxX = decadeAbove(drawn.stream().mapToDouble(PointResult::opsPerSecond).max().orElseThrow());
        double minY = decadeBelow(drawn.stream().mapToDouble(r -> r.p99Micros() / 1e3).min().orElseThrow());
        double maxY = decadeAbove(drawn.stream().mapToDouble(r -> r.p99Micros() / 1e3).max().orElseThrow());

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.setColor(Color.BLACK);
            g.drawString(title, LEFT, 30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            drawAxes(g, minX, maxX, minY, maxY);

            Map<String, Color> colors = new LinkedHashMap<>();
            for (PointResult r : drawn) {
                colors.computeIfAbsent(r.system(), s -> COLORS[colors.size() % COLORS.length]);
            }
            for (PointResult r : drawn) {
                Color c = colors.get(r.system());
                int x = xPixel(r.opsPerSecond(), minX, maxX);
                int y = yPixel(r.p99Micros() / 1e3, minY, maxY);
                g.setColor(c);
                g.fillOval(x - 5, y - 5, 10, 10);
                g.drawString(r.label(), x + 7, y - 4);
            }
            int legendY = TOP + 10;
            for (Map.Entry<String, Color> e : colors.entrySet()) {
                g.setColor(e.getValue());
                g.fillOval(WIDTH - RIGHT - 120, legendY - 9, 10, 10);
                g.setColor(Color.BLACK);
                g.drawString(e.getKey(), WIDTH - RIGHT - 104, legendY);
                legendY += 18;
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK");
        }
    }

    private static void drawAxes(Graphics2D g, double minX, double maxX, double minY, double maxY) {
        int x0 = LEFT;
        int x1 = WIDTH - RIGHT;
        int y0 = HEIGHT - BOTTOM;
        int y1 = TOP;
        g.setColor(new Color(0xdddddd));
        g.setStroke(new BasicStroke(1));
        for (double v = minX; v <= maxX * 1.0001; v *= 10) {
            int x = xPixel(v, minX, maxX);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x, y0, x, y1);
            g.setColor(Color.BLACK);
            g.drawString(format(v), x - 15, y0 + 18);
        }
        for (double v = minY; v <= maxY * 1.0001; v *= 10) {
            int y = yPixel(v, minY, maxY);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x0, y, x1, y);
            g.setColor(Color.BLACK);
            g.drawString(format(v), x0 - 55, y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(x0, y0, x1, y0);
        g.drawLine(x0, y0, x0, y1);
        g.drawString("throughput (ops/s or watch events/s, log scale)", (x0 + x1) / 2 - 140, HEIGHT - 25);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("p99 latency (ms, log scale)", -(y0 + y1) / 2 - 80, 25);
        rotated.dispose();
    }

    private static int xPixel(double v, double min, double max) {
        double f = (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
        return (int) Math.round(LEFT + f * (WIDTH - LEFT - RIGHT));
    }

    private static int yPixel(double v, double min, double max) {
        double f = (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
        return (int) Math.round(HEIGHT - BOTTOM - f * (HEIGHT - TOP - BOTTOM));
    }

    private static double decadeBelow(double v) {
        return Math.pow(10, Math.floor(Math.log10(v)));
    }

    private static double decadeAbove(double v) {
        double d = Math.pow(10, Math.ceil(Math.log10(v)));
        return d <= v ? d * 10 : d;
    }

    private static String format(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.0fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.0fk", v / 1e3);
        }
        return v >= 1 ? String.format(Locale.ROOT, "%.0f", v)
                : new java.math.BigDecimal(v, new java.math.MathContext(1)).stripTrailingZeros().toPlainString();
    }
}
