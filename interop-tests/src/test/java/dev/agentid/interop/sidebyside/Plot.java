package dev.agentid.interop.sidebyside;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Grouped bar charts drawn with java.awt (headless) into a PNG: one panel per measure, one group per workload. */
final class Plot {

    private static final Color[] COLORS = {new Color(0x1b9e77), new Color(0xd95f02), new Color(0x7570b3)};

    /** A panel: its title, the value format, and values[workload][server] (NaN = not measured). */
    record Panel(String title, String format, double[][] values) {
    }

    private Plot() {
    }

    static void write(Path png, String title, List<String> workloads, List<String> servers, List<Panel> panels) {
        System.setProperty("java.awt.headless", "true");
        int panelWidth = 520;
        int height = 470;
        BufferedImage image = new BufferedImage(panelWidth * panels.size() + 20, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 20, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int s = 0; s < servers.size(); s++) {
            g.setColor(COLORS[s % COLORS.length]);
            g.fillRect(20 + s * 170, 36, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(servers.get(s), 38 + s * 170, 47);
        }
        for (int p = 0; p < panels.size(); p++) {
            draw(g, panels.get(p), workloads, servers.size(), 10 + p * panelWidth, 70, panelWidth - 20, height - 80);
        }
        g.dispose();
        try {
            Files.createDirectories(png.getParent());
            ImageIO.write(image, "png", png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void draw(Graphics2D g, Panel panel, List<String> workloads, int servers, int x, int y, int w,
                             int h) {
        double max = 0;
        for (double[] row : panel.values()) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        max = max == 0 ? 1 : max * 1.15;
        int left = x + 50;
        int bottom = y + h - 40;
        int top = y + 25;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(panel.title(), left, y + 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setStroke(new BasicStroke(1));
        g.drawLine(left, bottom, x + w, bottom);
        g.drawLine(left, bottom, left, top);
        for (int t = 0; t <= 4; t++) {
            double v = max * t / 4;
            int ty = bottom - (int) ((bottom - top) * t / 4.0);
            g.setColor(new Color(0xdddddd));
            g.drawLine(left + 1, ty, x + w, ty);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, panel.format(), v), x, ty + 4);
        }
        int groupWidth = (x + w - left) / workloads.size();
        int barWidth = (groupWidth - 20) / servers;
        for (int wl = 0; wl < workloads.size(); wl++) {
            int gx = left + wl * groupWidth + 10;
            for (int s = 0; s < servers; s++) {
                double v = panel.values()[wl][s];
                int bx = gx + s * barWidth;
                if (Double.isNaN(v)) {
                    g.setColor(Color.GRAY);
                    g.drawString("n/a", bx + 2, bottom - 4);
                    continue;
                }
                int bh = (int) ((bottom - top) * v / max);
                g.setColor(COLORS[s % COLORS.length]);
                g.fillRect(bx, bottom - bh, barWidth - 4, bh);
                g.setColor(Color.BLACK);
                g.drawString(String.format(Locale.ROOT, panel.format(), v), bx, bottom - bh - 3);
            }
            g.drawString(workloads.get(wl), gx, bottom + 16);
        }
    }
}
