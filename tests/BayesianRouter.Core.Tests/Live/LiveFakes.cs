using BayesianRouter.Data;
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
