using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

public class OfflineRouterTests
{
    // Encoder dimension 2, domains [x, y]: input 2*2 + 2 = 6; d = 2; feature dimension 3; pool of 2.
    private static OfflineRouter Small(FusionActivation act = FusionActivation.Tanh, IReadOnlyDictionary<string, string>? meta = null) => new(
        ["rmA", "rmB"], "enc-1", 2, 128, ["x", "y"], act, 2,
        w: [0.1, -0.2, 0.3, 0.0, 1.0, -1.0,
            0.5, 0.5, -0.5, 0.25, 0.0, 2.0],
        b: [0.05, -0.1],
        ebt: [1.0, 0.0, 0.2,
              0.0, 1.0, -0.1],
        ecls: [0.3, -0.3, 0.0,
               -0.2, 0.4, 0.1],
        meta);

    private static readonly PairEmbedding Emb = new([0.6f, 0.8f], [0.8f, 0.6f]);

    [Fact]
    public void FeaturesApplyTheFusingLayerAndAppendOne()
    {
        var r = Small();
        double e0 = 0.6f, e1 = 0.8f, f0 = 0.8f, f1 = 0.6f;
        double[] x = [e0 + f0, e1 + f1, Math.Abs(e0 - f0), Math.Abs(e1 - f1), 0, 1];   // domain "y"
        Assert.Equal(x, r.FusionInput(Emb, "y"));
        double h0 = Math.Tanh(0.05 + 0.1 * x[0] - 0.2 * x[1] + 0.3 * x[2] + 1.0 * x[4] - 1.0 * x[5]);
        double h1 = Math.Tanh(-0.1 + 0.5 * x[0] + 0.5 * x[1] - 0.5 * x[2] + 0.25 * x[3] + 2.0 * x[5]);
        var h = r.Features(Emb, "y");
        Assert.Equal(3, h.Length);
        Assert.Equal(h0, h[0], 12);
        Assert.Equal(h1, h[1], 12);
        Assert.Equal(1.0, h[2]);
        Assert.Equal(new[] { h0 + 0.2, h1 - 0.1 }, r.BtScores(h).Select(v => Math.Round(v, 12)), new RoundedComparer());
        Assert.Equal(h1 - 0.1 > h0 + 0.2 ? 1 : 0, r.Choose(h));
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-9;
        public int GetHashCode(double v) => 0;
    }

    [Fact]
    public void UnknownOrMissingDomainIsAllZeros()
    {
        var r = Small();
        Assert.Equal(new double[] { 0, 0 }, r.FusionInput(Emb, "z")[4..]);
        Assert.Equal(new double[] { 0, 0 }, r.FusionInput(Emb, null)[4..]);
    }

    [Theory]
    [InlineData(FusionActivation.Identity)]
    [InlineData(FusionActivation.Relu)]
    public void ActivationIsApplied(FusionActivation act)
    {
        // The pre-activation W x + b for domain "y", worked by hand from the weights of Small(): x = [1.4, 1.4, 0.2, 0.2, 0, 1].
        double e0 = 0.6f, e1 = 0.8f, f0 = 0.8f, f1 = 0.6f;
        double[] x = [e0 + f0, e1 + f1, Math.Abs(e0 - f0), Math.Abs(e1 - f1), 0, 1];
        double pre0 = 0.05 + 0.1 * x[0] - 0.2 * x[1] + 0.3 * x[2] + 0.0 * x[3] + 1.0 * x[4] - 1.0 * x[5];
        double pre1 = -0.1 + 0.5 * x[0] + 0.5 * x[1] - 0.5 * x[2] + 0.25 * x[3] + 0.0 * x[4] + 2.0 * x[5];
        double[] pre = [pre0, pre1];
        var h = Small(act).Features(Emb, "y");
        for (int k = 0; k < 2; k++)
            Assert.Equal(act == FusionActivation.Relu ? Math.Max(0, pre[k]) : pre[k], h[k], 12);
        // the two activations differ where the pre-activation is negative, so the theory cannot pass by accident
        Assert.True(pre.Any(v => v < 0) || act == FusionActivation.Identity);
        Assert.Equal(1.0, h[2]);
    }

    [Fact]
    public void ReluZeroesANegativePreActivationWhereIdentityKeepsIt()
    {
        var identity = Small(FusionActivation.Identity).Features(Emb, "y");
        var relu = Small(FusionActivation.Relu).Features(Emb, "y");
        int negative = Array.FindIndex(identity[..2], v => v < 0);
        Assert.True(negative >= 0, "the fixture needs a negative pre-activation for domain y");
        Assert.Equal(0.0, relu[negative]);
        Assert.NotEqual(identity[negative], relu[negative]);
    }

    [Fact]
    public void BiasOnlyRouterPicksTheRmWithTheLargestBias()
    {
        // W = 0 gives h = [0, 0, 1]: the choice is the row with the largest last entry (the global fallback).
        var r = new OfflineRouter(["a", "b", "c"], "enc", 2, 64, [], FusionActivation.Tanh, 2,
            new double[8], new double[2], [5, 5, 0.1, -5, -5, 0.7, 0, 0, 0.3], new double[9]);
        var pairs = PairFactory.Groups(3, 1);
        Assert.Equal(new[] { 1, 1, 1 }, r.Route([Emb, Emb, Emb], pairs));
    }

    [Fact]
    public void SaveAndLoadRoundTripsEveryByte()
    {
        var r = Small(meta: new Dictionary<string, string> { ["train.seed"] = "3", ["note"] = "ü" });
        var path = Path.Combine(Path.GetTempPath(), $"router-{Guid.NewGuid():N}.bin");
        try
        {
            r.Save(path);
            var back = OfflineRouter.Load(path);
            Assert.Equal(r.ToBytes(), back.ToBytes());
            Assert.Equal(r.Pool, back.Pool);
            Assert.Equal(r.Domains, back.Domains);
            Assert.Equal("ü", back.Metadata["note"]);
            Assert.Equal(r.Features(Emb, "x"), back.Features(Emb, "x"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CorruptOrTruncatedFilesAreRefused()
    {
        var bytes = Small().ToBytes();
        var flipped = bytes.ToArray();
        flipped[bytes.Length / 2] ^= 1;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => OfflineRouter.FromBytes(flipped)).Message);
        Assert.Throws<InvalidDataException>(() => OfflineRouter.FromBytes(bytes[..(bytes.Length - 9)]));
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => OfflineRouter.FromBytes("hello world, this is not a router at all..."u8.ToArray())).Message);

        var path = Path.Combine(Path.GetTempPath(), $"router-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, flipped);
            var e = Assert.Throws<InvalidDataException>(() => OfflineRouter.Load(path));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
        Assert.Throws<FileNotFoundException>(() => OfflineRouter.Load(path));
    }

    [Fact]
    public void WrongShapesAndNonFiniteWeightsAreRefused()
    {
        Assert.Throws<InvalidDataException>(() => new OfflineRouter(["a", "b"], "e", 2, 0, [], FusionActivation.Tanh, 1,
            new double[3], new double[1], new double[4], new double[4]));
        Assert.Throws<InvalidDataException>(() => new OfflineRouter(["a", "b"], "e", 2, 0, [], FusionActivation.Tanh, 1,
            [0, 0, double.NaN, 0], new double[1], new double[4], new double[4]));
        Assert.Throws<ArgumentException>(() => Small().Features(new PairEmbedding([1f, 0f, 0f], [1f, 0f, 0f]), null));
    }

    [Fact]
    public void WithMetadataAddsAndReplacesEntries()
    {
        var r = Small(meta: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" })
            .WithMetadata(new Dictionary<string, string> { ["b"] = "3", ["c"] = "4" });
        Assert.Equal(new[] { "1", "3", "4" }, new[] { "a", "b", "c" }.Select(k => r.Metadata[k]));
        Assert.Equal(Small().W, r.W);
    }
}
