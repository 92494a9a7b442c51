using BayesianRouter.Rewards;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.Rewards;

public class AdvantageRewardsTests
{
    [Fact]
    public void FullAdvantageIsOneWhenTheChosenLossIsNoGreaterThanTheMean()
    {
        double[] all = [0.5, 1.0, 0.2, 0.3]; // mean 0.5
        Assert.Equal(1.0, AdvantageRewards.FullAdvantage(0.2, all));
        Assert.Equal(1.0, AdvantageRewards.FullAdvantage(0.5, all)); // equal to the mean: no greater
        Assert.Equal(0.0, AdvantageRewards.FullAdvantage(1.0, all));
        Assert.Throws<ArgumentException>(() => AdvantageRewards.FullAdvantage(0.1, []));
        Assert.Throws<ArgumentException>(() => AdvantageRewards.FullAdvantage(double.NaN, all));
        Assert.Throws<ArgumentException>(() => AdvantageRewards.LightAdvantage(0.1, [0.2, double.PositiveInfinity]));
    }

    [Fact]
    public void LightAdvantageComparesWithTheSampledRmsMean()
    {
        double[] losses = [0.9, 0.1, 0.4, 0.6, 0.8];
        var sampler = new LightAdvantageSampler(arms: 5, comparisons: 3, seed: 4);
        var arms = sampler.Sample();
        double mean = arms.Average(a => losses[a]);
        Assert.Equal(losses[1] <= mean ? 1.0 : 0.0, AdvantageRewards.LightAdvantage(losses[1], arms.Select(a => losses[a]).ToArray()));
        Assert.Equal(1.0, AdvantageRewards.LightAdvantage(0.5, [0.4, 0.6, 0.5]));
        Assert.Equal(0.0, AdvantageRewards.LightAdvantage(0.51, [0.4, 0.6, 0.5]));
    }

    [Fact]
    public void TheSamplerDrawsDistinctArmsUniformlyAndIsSeeded()
    {
        var sampler = new LightAdvantageSampler(arms: 4, comparisons: 3, seed: 1);
        var counts = new Dictionary<string, int>();
        for (int t = 0; t < 8000; t++)
        {
            var s = sampler.Sample();
            Assert.Equal(3, s.Distinct().Count());
            Assert.Equal(s.OrderBy(x => x), s);
            var key = string.Join(",", s);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        Assert.Equal(4, counts.Count); // the 4 subsets of size 3
        double chi2 = counts.Values.Sum(c => (c - 2000.0) * (c - 2000.0) / 2000.0);
        Assert.True(chi2 < 11.34, $"chi-square {chi2} (3 degrees of freedom, 1% level 11.34)");
        var a = new LightAdvantageSampler(4, 3, seed: 7);
        var b = new LightAdvantageSampler(4, 3, seed: 7);
        for (int t = 0; t < 20; t++) Assert.Equal(a.Sample(), b.Sample());
        CheckpointFile.Restore(CheckpointFile.ToBytes(a), b);
        Assert.Equal(a.Sample(), b.Sample());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LightAdvantageSampler(2, 3));
    }
}
