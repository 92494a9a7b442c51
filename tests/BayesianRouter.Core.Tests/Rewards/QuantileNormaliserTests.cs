using BayesianRouter.Rewards;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Rewards;

public class QuantileNormaliserTests
{
    [Fact]
    public void PercentilesInterpolateLinearlyBetweenOrderStatisticsLikeNumpy()
    {
        // numpy.percentile([1, 2, 3, 4], [20, 80]) == [1.6, 3.4]; numpy.percentile([5, 1, 9], 20) == 2.6
        Assert.Equal(1.6, Percentile.OfSorted([1.0, 2, 3, 4], 0.2), 12);
        Assert.Equal(3.4, Percentile.OfSorted([1.0, 2, 3, 4], 0.8), 12);
        Assert.Equal(2.6, Percentile.Of([5.0, 1, 9], 0.2), 12);
        Assert.Equal(7.0, Percentile.OfSorted([7.0], 0.2));
        Assert.Equal(9.0, Percentile.OfSorted([1.0, 9], 1.0));
        Assert.Equal(1.0, Percentile.OfSorted([1.0, 9], 0.0));
        Assert.Throws<ArgumentException>(() => Percentile.OfSorted([], 0.5));
    }

    [Fact]
    public void BatchCentringSubtractsEachLossFromTheBatchMean()
    {
        Assert.Equal([1.0, 0.0, -1.0], RewardShaping.BatchCentred([1.0, 2.0, 3.0]));
        Assert.Equal([-1.0, -2.0], RewardShaping.Raw([1.0, 2.0]));
        Assert.Empty(RewardShaping.BatchCentred([]));
        var e = Assert.Throws<ArgumentException>(() => RewardShaping.BatchCentred([1.0, double.NaN]));
        Assert.Contains("loss 1", e.Message);
    }

    [Fact]
    public void ScalesByThePercentilesOfPastRewardsOnly()
    {
        var q = new QuantileNormaliser();
        // Step 1: empty history -> every reward is 0.5, then the batch joins the history.
        Assert.Equal([0.5, 0.5], q.Normalise([0.0, 10.0]));
        Assert.Equal(2, q.HistoryCount);
        // Step 2: history {0, 10}: q_lo = 2, q_hi = 8. The batch's own values do not move the bounds.
        Assert.Equal([0.5, 0.0, 1.0, 0.0, 1.0], q.Normalise([5.0, 1.0, 100.0, 2.0 - 1e-12, 8.0 + 1e-12]).Select(x => Math.Round(x, 9)));
        Assert.Equal(7, q.HistoryCount);
        // Step 3: history {0, 1, 2-e, 5, 8+e, 10, 100}: q_lo = 1 + 0.2 (2 - e - 1), q_hi = 8 + e + 0.8 (10 - 8 - e)
        var (lo, hi) = q.Bounds()!.Value;
        Assert.Equal(1.2, lo, 9);
        Assert.Equal(9.6, hi, 9);
        Assert.Equal((5 - lo) / (hi - lo), q.Normalise([5.0])[0], 12);
        Assert.Equal(q.SortedHistory.ToArray().OrderBy(x => x), q.SortedHistory.ToArray());
    }

    [Fact]
    public void BoundaryValuesMapToZeroAndOne()
    {
        var q = new QuantileNormaliser();
        q.Normalise([0.0, 10.0]);
        Assert.Equal([0.0, 1.0], q.Normalise([2.0, 8.0]).Select(x => Math.Round(x, 12)));
    }

    [Fact]
    public void AConstantHistoryMapsBelowToZeroEqualToHalfAboveToOne()
    {
        var q = new QuantileNormaliser();
        q.Normalise([3.0, 3.0, 3.0]);
        Assert.Equal([0.0, 0.5, 1.0], q.Normalise([2.9, 3.0, 3.1]));
        // A single past value is a constant history too.
        var single = new QuantileNormaliser();
        single.Normalise([1.0]);
        Assert.Equal([0.0, 0.5, 1.0], single.Normalise([0.0, 1.0, 2.0]));
    }

    [Fact]
    public void AShortHistoryGivesTheNeutralReward()
    {
        var q = new QuantileNormaliser(new QuantileNormaliserOptions { MinimumHistory = 5 });
        Assert.Equal([0.5, 0.5, 0.5], q.Normalise([1.0, 2.0, 3.0]));
        Assert.Equal([0.5], q.Normalise([100.0])); // 3 past values < 5
        Assert.Equal([0.5], q.Normalise([-5.0])); // 4 past values < 5
        Assert.Equal([0.0], q.Normalise([-6.0])); // 5 past values {-5, 1, 2, 3, 100}: q_lo = -0.2 > -6
    }

    [Fact]
    public void ShapeLossesCentresThenScales()
    {
        var q = new QuantileNormaliser();
        q.ShapeLosses([1.0, 3.0]); // centred +1, -1
        // History {-1, 1}: q_lo = -0.6, q_hi = 0.6. Losses [2, 2.5, 3.5]: mean 2.6667, centred [0.6667, 0.1667, -0.8333].
        var r = q.ShapeLosses([2.0, 2.5, 3.5]);
        Assert.Equal(1.0, r[0]);
        Assert.Equal((1.0 / 6 + 0.6) / 1.2, r[1], 12);
        Assert.Equal(0.0, r[2]);
    }

    [Fact]
    public void ANonFiniteRewardIsRejectedAndTheHistoryIsUnchanged()
    {
        var q = new QuantileNormaliser();
        q.Normalise([1.0, 2.0]);
        var e = Assert.Throws<ArgumentException>(() => q.Normalise([3.0, double.PositiveInfinity]));
        Assert.Contains("centred reward 1", e.Message);
        Assert.Equal([1.0, 2.0], q.SortedHistory.ToArray());
        Assert.ThrowsAny<ArgumentException>(() => new QuantileNormaliser(new QuantileNormaliserOptions { LowerQuantile = 0.9, UpperQuantile = 0.8 }));
    }

    [Fact]
    public void TheHistoryIsSavedAndRestored()
    {
        var rng = new SeededRandom(1);
        var q = new QuantileNormaliser();
        for (int t = 0; t < 10; t++) q.Normalise(Enumerable.Range(0, 16).Select(_ => rng.NextGaussian()).ToArray());
        var copy = new QuantileNormaliser();
        CheckpointFile.Restore(CheckpointFile.ToBytes(q), copy);
        Assert.Equal(q.SortedHistory.ToArray(), copy.SortedHistory.ToArray());
        var batch = Enumerable.Range(0, 16).Select(_ => rng.NextGaussian()).ToArray();
        Assert.Equal(q.Normalise(batch), copy.Normalise(batch));
    }

    private static double[][] Batches(int count, int size, int seed)
    {
        var rng = new SeededRandom(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, size).Select(_ => rng.NextGaussian() * 3 + 1).ToArray()).ToArray();
    }

    [Fact]
    public void Below_the_bound_the_results_are_the_exact_all_past_ones()
    {
        var bounded = new QuantileNormaliser(new QuantileNormaliserOptions { MaxHistory = 640 });
        var unbounded = new QuantileNormaliser(new QuantileNormaliserOptions { MaxHistory = int.MaxValue });
        foreach (var batch in Batches(40, 16, 3)) // 640 rewards: exactly the bound
            Assert.Equal(unbounded.Normalise(batch), bounded.Normalise(batch));
        Assert.True(bounded.IsExact);
        Assert.Equal(640, bounded.HistoryCount);
        Assert.Equal(unbounded.SortedHistory.ToArray(), bounded.SortedHistory.ToArray());
    }

    [Fact]
    public void Beyond_the_bound_the_history_is_a_bounded_sketch_of_all_past_rewards()
    {
        const int bound = 200;
        var q = new QuantileNormaliser(new QuantileNormaliserOptions { MaxHistory = bound });
        var all = new List<double>();
        foreach (var batch in Batches(500, 16, 4)) // 8,000 rewards, 40x the bound
        {
            q.Normalise(batch);
            all.AddRange(batch);
            Assert.True(q.SortedHistory.Length <= bound);
        }
        Assert.False(q.IsExact);
        Assert.Equal(8000, q.HistoryCount);
        Assert.Equal(q.SortedHistory.ToArray().Order(), q.SortedHistory.ToArray());
        // each bound is near the order statistic of all past rewards: its rank off by at most 8 x 8000 / 200 = 320 of
        // 8000 (docs/service.md: measured up to about 4.5 x rewards / bound at this ratio)
        all.Sort();
        var (lo, hi) = q.Bounds()!.Value;
        double RankOf(double x) => all.Count(v => v < x) + 0.5 * all.Count(v => v == x);
        Assert.InRange(RankOf(lo), 0.2 * 7999 - 320, 0.2 * 7999 + 320);
        Assert.InRange(RankOf(hi), 0.8 * 7999 - 320, 0.8 * 7999 + 320);
        // and far from a sketch that forgot the past: the early rewards still count
        var shifted = new QuantileNormaliser(new QuantileNormaliserOptions { MaxHistory = bound });
        foreach (var batch in Batches(500, 16, 4)) shifted.Normalise(batch);
        shifted.Normalise(Enumerable.Repeat(100.0, 16).ToArray()); // one outlying batch moves the 80% bound by a rank, not to 100
        Assert.True(shifted.Bounds()!.Value.High < 10);
    }

    [Fact]
    public void A_sketched_history_is_saved_and_restored_exactly()
    {
        var options = new QuantileNormaliserOptions { MaxHistory = 64 };
        var q = new QuantileNormaliser(options);
        foreach (var batch in Batches(30, 16, 5)) q.Normalise(batch);
        var copy = new QuantileNormaliser(options);
        CheckpointFile.Restore(CheckpointFile.ToBytes(q), copy);
        Assert.Equal(q.HistoryCount, copy.HistoryCount);
        Assert.Equal(q.Bounds(), copy.Bounds());
        foreach (var batch in Batches(10, 16, 6)) Assert.Equal(q.Normalise(batch), copy.Normalise(batch));
        // a checkpoint of another bound does not fit
        Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(CheckpointFile.ToBytes(q), new QuantileNormaliser(new QuantileNormaliserOptions { MaxHistory = 65 })));
    }

    [Fact]
    public void A_version_1_section_an_exact_history_is_still_read()
    {
        var q = new QuantileNormaliser();
        foreach (var batch in Batches(5, 8, 7)) q.Normalise(batch);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(0.2);
            w.Write(0.8);
            w.Write(1);
            w.WriteArray(q.SortedHistory);
        }
        ms.Position = 0;
        var old = new QuantileNormaliser();
        old.ReadState(new BinaryReader(ms), 1)();
        Assert.Equal(q.Bounds(), old.Bounds());
        Assert.Equal(40, old.HistoryCount);
    }

    [Fact]
    public void A_snapshot_keeps_its_bounds_while_learning_goes_on()
    {
        var q = new QuantileNormaliser();
        foreach (var batch in Batches(5, 8, 8)) q.Normalise(batch);
        var snapshot = q.Snapshot();
        var before = snapshot.Bounds();
        q.Normalise(Enumerable.Repeat(50.0, 64).ToArray());
        Assert.Equal(before, snapshot.Bounds());
        Assert.NotEqual(before, q.Bounds());
    }
}
