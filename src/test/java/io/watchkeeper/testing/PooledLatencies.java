package io.watchkeeper.testing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latencies of a benchmark's rounds, each round a run "with" (say, one stalled consumer) and runs "without", pooled
 * over the rounds: the ratio of a percentile of every latency measured with to the same of every latency measured
 * without, and a bootstrap interval for it that resamples whole rounds (a round is the unit that moves together: a
 * busy second of the machine lands in one of its runs). A run's p99 depends on whether the machine paused for more
 * than 1% of that run's seconds; pooled over many rounds, a pause weighs by its length rather than deciding one run's
 * figure. Latencies are recorded in HdrHistograms, to 3 significant digits, from 1 µs to an hour; a round keeps only
 * its histograms' non-empty buckets.
 */
public final class PooledLatencies {
    private static final long LOWEST_NANOS = 1_000;
    private static final long HIGHEST_NANOS = 3_600_000_000_000L;
    private static final int DIGITS = 3;
    /** Fewer rounds than this give no interval: a bootstrap over a handful of rounds has too few distinct resamples. */
    static final int MIN_ROUNDS_FOR_INTERVAL = 10;

    /** A round's latencies on one side: the values of its non-empty buckets (ascending) and their counts. */
    private record Side(long[] values, long[] counts, long total) {
    }

    private final List<Side> with = new ArrayList<>();
    private final List<Side> without = new ArrayList<>();

    /** A histogram of {@code nanos}, as this class pools them. */
    public static Histogram histogram(long[] nanos) {
        Histogram h = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, DIGITS);
        for (long n : nanos) {
            h.recordValue(Math.min(Math.max(n, 0), HIGHEST_NANOS));
        }
        return h;
    }

    /** One round: its run with, and its runs without (pooled with each other). */
    public void addRound(Histogram withRun, Histogram... withoutRuns) {
        Histogram w = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, DIGITS);
        for (Histogram h : withoutRuns) {
            w.add(h);
        }
        if (withRun.getTotalCount() == 0 || w.getTotalCount() == 0) {
            throw new IllegalArgumentException("a round needs latencies with and latencies without");
        }
        with.add(side(withRun));
        without.add(side(w));
    }

    /** How many rounds were added. */
    public int rounds() {
        return with.size();
    }

    /** The {@code percentile} (e.g. 99) of every latency with, in ms. */
    public double withMs(double percentile) {
        return percentile(true, null, percentile) / 1e6;
    }

    /** The same of every latency without, in ms. */
    public double withoutMs(double percentile) {
        return percentile(false, null, percentile) / 1e6;
    }

    /** The pooled percentile with over the pooled percentile without. */
    public double ratio(double percentile) {
        return ratio(percentile, null);
    }

    /**
     * A percentile bootstrap interval for {@link #ratio}: {@code resamples} times, as many rounds as there are drawn
     * with replacement (seeded, so a run's figures can be printed again), pooled, their ratio taken; the interval is
     * the middle {@code confidence} of those ratios. Null with fewer than {@link #MIN_ROUNDS_FOR_INTERVAL} rounds.
     */
    public double[] interval(double percentile, double confidence, int resamples, long seed) {
        if (!(confidence > 0 && confidence < 1) || resamples < 1) {
            throw new IllegalArgumentException("confidence must be between 0 and 1 and resamples at least 1: " + confidence + ", " + resamples);
        }
        int n = rounds();
        if (n < MIN_ROUNDS_FOR_INTERVAL) {
            return null;
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] ratios = new double[resamples];
        int[] times = new int[n];
        for (int b = 0; b < resamples; b++) {
            Arrays.fill(times, 0);
            for (int i = 0; i < n; i++) {
                times[random.nextInt(n)]++;
            }
            ratios[b] = ratio(percentile, times);
        }
        Arrays.sort(ratios);
        int[] ends = ends(resamples, confidence);
        return new double[] {ratios[ends[0]], ratios[ends[1]]};
    }

    /** Which of {@code resamples} sorted ratios bound the middle {@code confidence} of them (a little wide, never narrow). */
    static int[] ends(int resamples, double confidence) {
        double tail = (1 - confidence) / 2;
        return new int[] {(int) Math.floor(tail * (resamples - 1)), (int) Math.ceil((1 - tail) * (resamples - 1))};
    }

    /** "p99 with 0.19 ms, without 0.20 ms: 0.95 × (95% bootstrap interval over 30 rounds 0.90–1.02)". */
    public String describe(double percentile) {
        if (rounds() == 0) {
            return "no rounds";
        }
        double[] ci = interval(percentile, 0.95, 2_000, 12);
        return String.format(Locale.ROOT, "p%s with %.3f ms, without %.3f ms: %.3f × (%s)", new BigDecimal(percentile).stripTrailingZeros()
                .toPlainString(), withMs(percentile), withoutMs(percentile), ratio(percentile), ci == null
                        ? String.format(Locale.ROOT, "too few rounds (%d) for an interval, which needs %d", rounds(), MIN_ROUNDS_FOR_INTERVAL)
                        : String.format(Locale.ROOT, "95%% bootstrap interval over %d rounds %.3f–%.3f", rounds(), ci[0], ci[1]));
    }

    private double ratio(double percentile, int[] times) {
        return (double) percentile(true, times, percentile) / percentile(false, times, percentile);
    }

    private static Side side(Histogram h) {
        List<long[]> buckets = new ArrayList<>();
        for (HistogramIterationValue v : h.recordedValues()) {
            buckets.add(new long[] {v.getValueIteratedTo(), v.getCountAtValueIteratedTo()});
        }
        long[] values = new long[buckets.size()];
        long[] counts = new long[buckets.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = buckets.get(i)[0];
            counts[i] = buckets.get(i)[1];
        }
        return new Side(values, counts, h.getTotalCount());
    }

    /** Every bucket value any round has, ascending, and where each round's buckets are in it; made again after a round is added. */
    private long[] union;
    private int[][] withAt;
    private int[][] withoutAt;

    private void index() {
        if (union != null && withAt.length == rounds()) {
            return;
        }
        TreeSet<Long> seen = new TreeSet<>();
        for (List<Side> sides : List.of(with, without)) {
            for (Side s : sides) {
                for (long v : s.values()) {
                    seen.add(v);
                }
            }
        }
        union = seen.stream().mapToLong(Long::longValue).toArray();
        withAt = at(with);
        withoutAt = at(without);
    }

    private int[][] at(List<Side> sides) {
        int[][] at = new int[sides.size()][];
        for (int i = 0; i < at.length; i++) {
            long[] values = sides.get(i).values();
            at[i] = new int[values.length];
            for (int j = 0; j < values.length; j++) {
                at[i][j] = Arrays.binarySearch(union, values[j]);
            }
        }
        return at;
    }

    /**
     * The rounds' latencies with (or without) pooled, round i {@code times[i]} times (once each when null), at
     * {@code percentile}: the value (a bucket's highest) of the latency at rank ceil(percentile% of them), as
     * HdrHistogram reads a percentile.
     */
    private long percentile(boolean withSide, int[] times, double percentile) {
        index();
        List<Side> sides = withSide ? with : without;
        int[][] at = withSide ? withAt : withoutAt;
        long[] counts = new long[union.length];
        long total = 0;
        for (int i = 0; i < sides.size(); i++) {
            int k = times == null ? 1 : times[i];
            Side s = sides.get(i);
            if (k == 0) {
                continue;
            }
            total += k * s.total();
            for (int j = 0; j < at[i].length; j++) {
                counts[at[i][j]] += k * s.counts()[j];
            }
        }
        long rank = Math.max(1, (long) Math.ceil(Math.min(Math.max(percentile, 0), 100) / 100 * total));
        long cumulative = 0;
        for (int i = 0; i < counts.length; i++) {
            cumulative += counts[i];
            if (cumulative >= rank) {
                return union[i];
            }
        }
        return union[union.length - 1];
    }
}
