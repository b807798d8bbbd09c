package io.watchkeeper.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Ratios of paired measurements (each "with" taken beside its own "without", on the same machine at about the same
 * time), for benchmarks whose absolute figures move with the hour: their median, and a distribution-free confidence
 * interval for that median from order statistics (the sign test's interval). It assumes that the pairs are
 * independent and share one median ratio, nothing about the ratios' distribution: a round that the machine made very
 * slow counts as one ratio above (or below) the rest, however far, and moves each end by one rank at most. Pairs
 * taken one right after the other (consecutive reads) are not independent; their interval comes out too narrow. With
 * {@code n} pairs the 95% interval is {@code [r(k), r(n-k+1)]} of the sorted ratios for the largest {@code k} with
 * {@code P(Binomial(n, 1/2) < k) <= 2.5%}; it needs at least 6 pairs (with fewer, no such {@code k} exists).
 */
public final class PairedRatios {
    private final List<Double> ratios = new ArrayList<>();

    /** Adds one pair's ratio, {@code with / without}. */
    public void add(double with, double without) {
        if (!(with > 0) || !(without > 0) || Double.isInfinite(with) || Double.isInfinite(without)) {
            throw new IllegalArgumentException("a pair needs two positive, finite figures: " + with + ", " + without);
        }
        ratios.add(with / without);
    }

    /** How many pairs were added. */
    public int pairs() {
        return ratios.size();
    }

    /** The median ratio (of an even number, the mean of the middle two); NaN without pairs. */
    public double median() {
        List<Double> r = sorted();
        int n = r.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? r.get(n / 2) : (r.get(n / 2 - 1) + r.get(n / 2)) / 2;
    }

    /** The smallest ratio; NaN without pairs. */
    public double min() {
        return ratios.isEmpty() ? Double.NaN : sorted().get(0);
    }

    /** The largest ratio; NaN without pairs. */
    public double max() {
        return ratios.isEmpty() ? Double.NaN : sorted().get(ratios.size() - 1);
    }

    /**
     * The interval that holds the true median ratio with at least {@code confidence} (e.g. 0.95), as {@code {low,
     * high, coverage}} (coverage: the interval's own, at least {@code confidence}); null when there are too few pairs.
     */
    public double[] interval(double confidence) {
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be between 0 and 1: " + confidence);
        }
        int n = ratios.size();
        double tail = (1 - confidence) / 2;
        int k = 0; // the largest k with P(X <= k - 1) <= tail, X ~ Binomial(n, 1/2)
        double below = 0; // P(X <= k - 1)
        double logP = -n * Math.log(2); // log P(X = i), from i = 0
        for (int i = 0; 2 * i < n; i++) {
            double withI = below + Math.exp(logP);
            if (withI > tail) {
                break;
            }
            below = withI;
            k = i + 1;
            logP += Math.log(n - i) - Math.log(i + 1);
        }
        if (k == 0) {
            return null;
        }
        List<Double> r = sorted();
        return new double[] {r.get(k - 1), r.get(n - k), 1 - 2 * below};
    }

    /** "median 0.97 × (95% interval 0.92–1.05 over 30 pairs; min 0.80, max 1.40)", or what is missing for it. */
    public String describe() {
        if (ratios.isEmpty()) {
            return "no pairs";
        }
        double[] ci = interval(0.95);
        String interval = ci == null ? String.format(Locale.ROOT, "too few pairs (%d) for a 95%% interval, which needs 6", pairs())
                : String.format(Locale.ROOT, "95%% interval %.3f–%.3f over %d pairs", ci[0], ci[1], pairs());
        return String.format(Locale.ROOT, "median %.3f × (%s; min %.3f, max %.3f)", median(), interval, min(), max());
    }

    private List<Double> sorted() {
        List<Double> r = new ArrayList<>(ratios);
        r.sort(null);
        return r;
    }
}
