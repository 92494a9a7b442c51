using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Live;

/// <summary>An in-process RM for tests: answers each pair with a function of its texts and records its calls.</summary>
internal sealed class FakeRm(string name, Func<PairText, RmJudgment> judge) : IRewardModel
{
    private int _inFlight;

    public string Name { get; } = name;
    public List<int> CallSizes { get; } = [];
    public int MaxInFlight { get; private set; }
    public TimeSpan Delay { get; init; }
    public Exception? Throws { get; set; }

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        int now = Interlocked.Increment(ref _inFlight);
        lock (CallSizes)
        {
            CallSizes.Add(pairs.Count);
            MaxInFlight = Math.Max(MaxInFlight, now);
        }
        try
        {
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
            if (Throws is { } e) throw e;
            return pairs.Select(judge).ToArray();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Prefers a when the prompt's hash is even (a fixed, text-determined verdict).</summary>
    public static FakeRm Verdict(string name, Preference p) => new(name, _ => RmJudgment.Of(Judgment.FromVerdict(p)));
}

internal static class LiveTestData
{
    /// <summary>Seeded random unit-ish feature vectors of dimension d whose last entry is 1.</summary>
    public static double[][] Features(int count, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var h = new double[d];
            for (int k = 0; k < d - 1; k++) h[k] = rng.NextDouble() * 2 - 1;
            h[d - 1] = 1;
            return h;
        }).ToArray();
    }

    public static RouterSetup Setup(int arms = 3, int dim = 8, long seed = 7) => RouterSetup.WithoutOfflineRouter(
        Enumerable.Range(0, arms).Select(n => $"rm{n}").ToArray(), encoderDimension: 4, seed, projectedDimension: dim - 1);

    public static PairToRoute[] Pairs(double[][] features, string prefix = "p") =>
        features.Select((h, i) => new PairToRoute($"{prefix}{i}", h)).ToArray();
}

/// <summary>A small offline artifact with seeded random weights, and live setups on it (both online models).</summary>
internal static class LiveOfflineData
{
    public const int EncoderDimension = 4;

    /// <summary>Encoder dimension 4, domains x and y, fused dimension 5 (h has 6 values), a pool of <paramref name="arms"/>.</summary>
    public static OfflineRouter Router(int arms = 3, int seed = 1)
    {
        var rng = new Random(seed);
        double[] Values(int n, double scale) => Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray();
        const int fused = 5, input = 2 * EncoderDimension + 2;
        return new OfflineRouter(Enumerable.Range(0, arms).Select(n => $"rm{n}").ToArray(), "test-enc", EncoderDimension, 64, ["x", "y"],
            FusionActivation.Tanh, fused, Values(fused * input, 1), Values(fused, 0.1), Values(arms * (fused + 1), 1), Values(arms * (fused + 1), 1));
    }

    public static RouterSetup Setup(OnlineModel model, int arms = 3, long seed = 7, BayesianRouterOptions? options = null) =>
        RouterSetup.FromOfflineRouter(Router(arms), seed, (options ?? new BayesianRouterOptions()) with { Model = model });

    /// <summary>Pairs with h from seeded random embeddings, domains cycling over x, y and one the router never saw, and
    /// groups g0..g(groups-1).</summary>
    public static PairToRoute[] Pairs(RouterSetup setup, int count, int seed, string prefix = "p", int groups = 5)
    {
        var rng = new Random(seed);
        string[] domains = ["x", "y", "unseen"];
        return Enumerable.Range(0, count).Select(i =>
        {
            float[] V() => Enumerable.Range(0, EncoderDimension).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            var domain = domains[i % 3];
            var h = setup.Features.Features(new PairEmbedding(V(), V()), domain);
            return new PairToRoute($"{prefix}{i}", h, domain, $"g{rng.Next(groups)}");
        }).ToArray();
    }
}
