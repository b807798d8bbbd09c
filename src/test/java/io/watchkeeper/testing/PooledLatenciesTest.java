package io.watchkeeper.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The fan-out benchmark's pooled percentiles and their bootstrap interval over rounds. */
class PooledLatenciesTest {

    private static long[] nanos(int count, long each) {
        long[] v = new long[count];
        Arrays.fill(v, each);
        return v;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] v = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, v, a.length, b.length);
        return v;
    }

    @Test
    void shouldWeighAPauseInOneRoundByItsLengthInsteadOfLettingItDecideThatRoundsP99() {
        // given ten rounds of 1 ms latencies, where one run without had 3% of its events wait 500 ms (its own p99: 500 ms)
        PooledLatencies pooled = new PooledLatencies();
        for (int r = 0; r < 10; r++) {
            long[] without = r == 0 ? concat(nanos(970, 1_000_000), nanos(30, 500_000_000)) : nanos(1_000, 1_000_000);
            pooled.addRound(PooledLatencies.histogram(nanos(1_000, 1_000_000)), PooledLatencies.histogram(without));
        }

        // when
        double p99 = pooled.withoutMs(99);
        double p999 = pooled.withoutMs(99.9);

        // then pooled, the pause is 30 of 10,000 latencies without (0.3%): the p99 is 1 ms on both sides, the p99.9 sees it
        assertThat(p99).isCloseTo(1.0, within(0.001));
        assertThat(pooled.ratio(99)).isCloseTo(1.0, within(0.001));
        assertThat(p999).isCloseTo(500.0, within(0.5));
    }

    @Test
    void shouldFindADoubledLatencyWithAnIntervalThatExcludesNoEffect() {
        // given rounds whose runs with take twice as long as their runs without, the machine faster in some rounds
        PooledLatencies pooled = new PooledLatencies();
        for (int r = 0; r < 20; r++) {
            long base = 100_000 + 10_000L * (r % 5);
            long[] without = new long[1_000];
            long[] with = new long[1_000];
            for (int i = 0; i < 1_000; i++) {
                without[i] = base + 100L * i;
                with[i] = 2 * without[i];
            }
            pooled.addRound(PooledLatencies.histogram(with), PooledLatencies.histogram(without), PooledLatencies.histogram(without));
        }

        // when
        double[] ci = pooled.interval(99, 0.95, 500, 7);

        // then
        assertThat(pooled.ratio(99)).isCloseTo(2.0, within(0.01));
        assertThat(ci[0]).isGreaterThan(1.9);
        assertThat(ci[1]).isLessThan(2.1);
        assertThat(pooled.describe(99)).startsWith("p99 with").contains("95% bootstrap interval over 20 rounds");
    }

    @Test
    void shouldGiveAnIntervalThatHoldsTheRatioAndSpansRoundsThatDisagree() {
        // given rounds where the run with is slower (3 ms) or faster (1 ms) than the run without (2 ms), in turn
        PooledLatencies pooled = new PooledLatencies();
        for (int r = 0; r < 20; r++) {
            long with = r % 2 == 0 ? 3_000_000 : 1_000_000;
            pooled.addRound(PooledLatencies.histogram(nanos(100, with)), PooledLatencies.histogram(nanos(100, 2_000_000)));
        }

        // when
        double[] ci = pooled.interval(50, 0.95, 1_000, 3);

        // then resampled, either kind of round can be the majority: the interval spans both
        assertThat(pooled.ratio(50)).isCloseTo(0.5, within(0.001)); // 1,000 of 2,000 at 1 ms: the median is 1 ms
        assertThat(ci[0]).isCloseTo(0.5, within(0.001));
        assertThat(ci[1]).isCloseTo(1.5, within(0.002));
        // and the same seed gives the same interval
        assertThat(pooled.interval(50, 0.95, 1_000, 3)).containsExactly(ci);
    }

    @Test
    void shouldTakeTheMiddleNinetyFivePercentOfTheResampledRatios() {
        // when
        int[] ends = PooledLatencies.ends(2_000, 0.95);

        // then of 2,000 sorted ratios, the 50th and the 1,951st: 49 below, 49 above
        assertThat(ends).containsExactly(49, 1_950);
        assertThat(PooledLatencies.ends(1_000, 0.90)).containsExactly(49, 950);
    }

    @Test
    void shouldGiveNoIntervalForFewerThanTenRounds() {
        // given nine rounds
        PooledLatencies pooled = new PooledLatencies();
        Histogram some = PooledLatencies.histogram(nanos(10, 1_000_000));
        for (int r = 0; r < 9; r++) {
            pooled.addRound(some, some);
        }

        // then
        assertThat(pooled.interval(99, 0.95, 100, 1)).isNull();
        assertThat(pooled.describe(99)).endsWith("(too few rounds (9) for an interval, which needs 10)");

        // when a tenth is added
        pooled.addRound(some, some);

        // then
        assertThat(pooled.interval(99, 0.95, 100, 1)).containsExactly(1.0, 1.0);
    }

    @Test
    void shouldRefuseARoundWithoutLatenciesAndBadArguments() {
        // given
        PooledLatencies pooled = new PooledLatencies();
        Histogram empty = PooledLatencies.histogram(new long[0]);
        Histogram some = PooledLatencies.histogram(nanos(10, 1_000_000));

        // then
        assertThatThrownBy(() -> pooled.addRound(empty, some)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pooled.addRound(some, empty)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pooled.addRound(some)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pooled.interval(99, 1.0, 100, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pooled.interval(99, 0.95, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(pooled.rounds()).isZero();
        assertThat(pooled.describe(99)).isEqualTo("no rounds");
    }
}
