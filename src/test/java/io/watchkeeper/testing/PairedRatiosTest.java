package io.watchkeeper.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The benchmarks' paired-ratio statistic: the median and its sign-test interval, checked against exact binomial sums. */
class PairedRatiosTest {

    @Test
    void shouldGiveTheTenthAndTwentyFirstOfThirtyRatiosAsTheNinetyFivePercentInterval() {
        // given 30 pairs whose ratios are 1..30, added out of order
        PairedRatios r = new PairedRatios();
        for (int i = 30; i >= 1; i--) {
            r.add(2.0 * i, 2.0);
        }

        // when
        double[] ci = r.interval(0.95);

        // then P(Binomial(30, 1/2) <= 9) = 22,964,087 / 2^30 = 0.02139 <= 2.5% < P(X <= 10): k = 10
        assertThat(ci[0]).isEqualTo(10.0);
        assertThat(ci[1]).isEqualTo(21.0);
        assertThat(ci[2]).isCloseTo(1 - 2 * 22_964_087.0 / (1L << 30), within(1e-12));
        assertThat(r.median()).isEqualTo(15.5);
        assertThat(r.min()).isEqualTo(1.0);
        assertThat(r.max()).isEqualTo(30.0);
    }

    @Test
    void shouldNeedSixPairsForANinetyFivePercentInterval() {
        // given five pairs
        PairedRatios r = new PairedRatios();
        for (int i = 1; i <= 5; i++) {
            r.add(i, 1);
        }

        // then P(X = 0) = 1/32 > 2.5%: no interval exists
        assertThat(r.interval(0.95)).isNull();
        assertThat(r.median()).isEqualTo(3.0);
        assertThat(r.describe()).contains("too few pairs (5)");

        // when a sixth is added
        r.add(0.5, 1);
        double[] ci = r.interval(0.95);

        // then P(X = 0) = 1/64: the interval is the extremes
        assertThat(ci[0]).isEqualTo(0.5);
        assertThat(ci[1]).isEqualTo(5.0);
        assertThat(ci[2]).isCloseTo(1 - 2.0 / 64, within(1e-12));
        assertThat(r.describe()).startsWith("median 2.500 × (95% interval 0.500–5.000 over 6 pairs");
    }

    @Test
    void shouldWidenTheIntervalForMoreConfidence() {
        // given 30 ratios 1..30
        PairedRatios r = new PairedRatios();
        for (int i = 1; i <= 30; i++) {
            r.add(i, 1);
        }

        // when
        double[] ci = r.interval(0.99);

        // then P(X <= 7) = 2,804,012 / 2^30 <= 0.5% < P(X <= 8): k = 8 for 99%
        assertThat(ci[0]).isEqualTo(8.0);
        assertThat(ci[1]).isEqualTo(23.0);
        assertThat(ci[2]).isCloseTo(1 - 2 * 2_804_012.0 / (1L << 30), within(1e-12));
    }

    @Test
    void shouldRefuseAFigureThatIsNotAPositiveNumber() {
        // given
        PairedRatios r = new PairedRatios();

        // then
        assertThatThrownBy(() -> r.add(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.add(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.add(Double.POSITIVE_INFINITY, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(r.pairs()).isZero();
        assertThat(r.describe()).isEqualTo("no pairs");
    }
}
