using BayesianRouter.State;
using static BayesianRouter.Core.Tests.Routing.RoutingTestData;

namespace BayesianRouter.Core.Tests.State;

public class SeededRandomTests
{
    [Fact]
    public void SameSeedSameStreamAndStreamsDiffer()
    {
        var a = new SeededRandom(42);
        var b = new SeededRandom(42);
        var c = new SeededRandom(42, stream: 1);
        var xa = Enumerable.Range(0, 100).Select(_ => a.NextUInt64()).ToArray();
        Assert.Equal(xa, Enumerable.Range(0, 100).Select(_ => b.NextUInt64()));
        Assert.NotEqual(xa, Enumerable.Range(0, 100).Select(_ => c.NextUInt64()));
    }

    [Fact]
    public void SavedStateContinuesExactlyIncludingTheSpareGaussian()
    {
        var a = new SeededRandom(7);
        a.NextGaussian(); // leaves the polar method's second value pending
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) a.WriteState(w);
        ms.Position = 0;
        var b = SeededRandom.ReadState(new BinaryReader(ms));
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.NextGaussian()), BitConverter.DoubleToInt64Bits(b.NextGaussian()));
            Assert.Equal(a.NextInt(17), b.NextInt(17));
        }
        var clone = a.Clone();
        Assert.Equal(a.NextUInt64(), clone.NextUInt64());
    }

    [Fact]
    public void GaussianDrawsAreStandardNormal()
    {
        var rng = new SeededRandom(3);
        var x = Enumerable.Range(0, 20000).Select(_ => rng.NextGaussian()).ToArray();
        double ks = KolmogorovSmirnov(x, NormalCdf);
        Assert.True(ks < 1.36 / Math.Sqrt(x.Length), $"KS {ks}");
        Assert.Equal(0, x.Average(), 1);
    }

    [Fact]
    public void UniformDrawsCoverTheRangeEvenly()
    {
        var rng = new SeededRandom(4);
        var u = Enumerable.Range(0, 20000).Select(_ => rng.NextDouble()).ToArray();
        // [0, 1): 1.0 itself is excluded (1.0 - double.Epsilon rounds to 1.0, so InRange could not tell)
        Assert.All(u, v => Assert.True(v >= 0.0 && v < 1.0, $"{v} is outside [0, 1)"));
        Assert.True(u.Max() < 1.0 && u.Max() > 0.999, $"max {u.Max()}");
        Assert.True(KolmogorovSmirnov(u, v => v) < 1.36 / Math.Sqrt(u.Length));
        var counts = new int[7];
        for (int i = 0; i < 70000; i++) counts[rng.NextInt(7)]++;
        double chi2 = counts.Sum(c => (c - 10000.0) * (c - 10000.0) / 10000.0);
        Assert.True(chi2 < 16.81, $"chi-square {chi2} (6 degrees of freedom, 1% level 16.81)");
    }

    [Fact]
    public void SamplingWithoutReplacementGivesDistinctValues()
    {
        var rng = new SeededRandom(5);
        for (int t = 0; t < 200; t++)
        {
            var s = rng.SampleWithoutReplacement(6, 3);
            Assert.Equal(3, s.Distinct().Count());
            Assert.All(s, v => Assert.InRange(v, 0, 5));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.SampleWithoutReplacement(3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void AnAllZeroStateIsRejected()
    {
        var bytes = new byte[41];
        var e = Assert.Throws<InvalidDataException>(() => SeededRandom.ReadState(new BinaryReader(new MemoryStream(bytes))));
        Assert.Contains("all zero", e.Message);
    }
}
