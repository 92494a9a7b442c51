using BayesianRouter.Routing;

namespace BayesianRouter.Core.Tests.Routing;

public class RewardScaleTests
{
    /// <summary>Observations (cell, r, m, f) fed in order, cells met several times.</summary>
    private static List<(int Cell, double R, double M, double F)> Data(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            double f = rng.NextDouble(), m = f + 0.2 * (rng.NextDouble() - 0.5);
            return (rng.Next(12), 0.2 + 0.5 * m + 0.3 * rng.NextDouble(), m, f);
        }).ToList();
    }

    private static RewardScale Feed(IEnumerable<(int Cell, double R, double M, double F)> data)
    {
        var scale = new RewardScale();
        var cells = new Dictionary<int, (int K, double R, double F)>();
        foreach (var (c, r, m, f) in data)
        {
            var (k, sr, sf) = cells.TryGetValue(c, out var v) ? v : (0, 0.0, 0.0);
            scale.Observe(r, m, f, k, sr, sf);
            cells[c] = (k + 1, sr + r, sf + f);
        }
        return scale;
    }

    [Fact]
    public void TheFitIsLeastSquaresWithThePseudoPairsAndTheWithinCellVariance()
    {
        var data = Data(200, 1);
        const double weight = 3, calibrated = 0.17;
        var map = Feed(data).Fit(weight, calibrated);

        // the map: ordinary least squares of r on m over the data plus weight/2 pseudo-pairs at (0, 0) and at (1, 1),
        // solved here by the normal equations on explicit rows
        var rows = data.Select(d => (X: d.M, Y: d.R, W: 1.0)).Append((X: 0.0, Y: 0.0, W: weight / 2)).Append((X: 1.0, Y: 1.0, W: weight / 2)).ToList();
        double sw = rows.Sum(r => r.W), mx = rows.Sum(r => r.W * r.X) / sw, my = rows.Sum(r => r.W * r.Y) / sw;
        double b = rows.Sum(r => r.W * (r.X - mx) * (r.Y - my)) / rows.Sum(r => r.W * (r.X - mx) * (r.X - mx));
        double a = my - b * mx;
        Assert.Equal(a, map.A, 12);
        Assert.Equal(b, map.B, 12);

        // the noise: the within-cell sum of squares of r - b f, plus weight pseudo degrees of freedom at b^2 sigma^2
        double within = data.GroupBy(d => d.Cell).Sum(g =>
        {
            double mean = g.Average(d => d.R - b * d.F);
            return g.Sum(d => Math.Pow(d.R - b * d.F - mean, 2));
        });
        int df = data.Count - data.Select(d => d.Cell).Distinct().Count();
        Assert.Equal((within + weight * b * b * calibrated) / (df + weight), map.NoiseVariance, 12);
        Assert.Equal(map.NoiseVariance / (b * b), map.EffectiveNoiseVariance, 12);
    }

    [Fact]
    public void WithoutDataTheFitIsTheZeroOneUnitsAndTheCalibratedNoise()
    {
        var map = new RewardScale().Fit(1, 0.17);
        Assert.Equal(0, map.A, 12);
        Assert.Equal(1, map.B, 12);
        Assert.Equal(0.17, map.NoiseVariance, 12);
    }

    [Fact]
    public void RewardsThatSayNothingAboutThePredictionFloorTheSlope()
    {
        // rewards falling with the prediction: the slope is floored and the noise in prediction units is large
        var data = Data(300, 2).Select(d => d with { R = 1 - d.M }).ToList();
        var map = Feed(data).Fit(1, 0.17);
        Assert.Equal(RewardScale.MinimumSlope, map.B);
        Assert.True(map.EffectiveNoiseVariance > 10, map.ToString());
    }

    [Fact]
    public void SavedStatisticsFitTheSameMap()
    {
        var scale = Feed(Data(100, 3));
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) scale.Write(w);
        ms.Position = 0;
        using var r = new BinaryReader(ms);
        Assert.Equal(scale.Fit(1, 0.2), RewardScale.Read(r).Fit(1, 0.2));
    }
}
