using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Experiments.Tests.Simulation;

/// <summary>A deterministic stand-in for the text encoder: unit vectors derived from a hash of each text.</summary>
internal sealed class HashEmbedder(int dimension = 8) : IPairEmbedder
{
    public string EncoderId => $"hash-{dimension}";
    public int Dimension => dimension;
    public int MaxTokens => 256;
    public int Calls { get; private set; }

    public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null)
    {
        Calls++;
        return pairs.Select(p => new PairEmbedding(Vector(p.Prompt + "\n" + p.ResponseA), Vector(p.Prompt + "\n" + p.ResponseB))).ToArray();
    }

    private float[] Vector(string text)
    {
        var rng = new Random(Convert.ToInt32(StableHash.Hex(text, 7), 16));
        var v = Enumerable.Range(0, dimension).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }
}

/// <summary>
/// A stand-in for the TorchSharp trainer: a seeded random fusing layer and heads whose bias column is each RM's
/// accuracy on the training pairs (so offline-only routes to the best RM of the offline part).
/// </summary>
internal sealed class BiasOnlyTrainer : IOfflineRouterTrainer
{
    public List<IReadOnlyList<PreferencePair>> TrainedOn { get; } = [];

    public OfflineRouter Train(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, OfflineTrainingOptions options, IProgress<string>? progress = null)
    {
        lock (TrainedOn) TrainedOn.Add(pairs);
        int enc = embeddings[0].E.Length, d = options.Dimension, input = 2 * enc;
        var rng = new Random(options.Seed);
        var w = Enumerable.Range(0, d * input).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var ebt = new double[pool.Count * (d + 1)];
        for (int n = 0; n < pool.Count; n++)
            ebt[n * (d + 1) + d] = pairs.Count(p => p.IsRight(pool[n])) / (double)pairs.Count;
        return new OfflineRouter(pool, "hash", enc, 256, [], FusionActivation.Tanh, d, w, new double[d], ebt, (double[])ebt.Clone());
    }
}

/// <summary>
/// A trainer whose router reads the domain one-hot but gives it no weight: every pair goes to the RM with the best
/// accuracy on the training pairs (the bias column). Lets a test see what the per-domain table adds.
/// </summary>
internal sealed class DomainBlindTrainer : IOfflineRouterTrainer
{
    public OfflineRouter Train(IReadOnlyList<PreferencePair> pairs, IReadOnlyList<PairEmbedding> embeddings,
        IReadOnlyList<string> pool, OfflineTrainingOptions options, IProgress<string>? progress = null)
    {
        var domains = pairs.Select(p => p.Domain).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        int enc = embeddings[0].E.Length, d = options.Dimension, input = 2 * enc + domains.Length;
        var ebt = new double[pool.Count * (d + 1)];
        for (int n = 0; n < pool.Count; n++)
            ebt[n * (d + 1) + d] = pairs.Count(p => p.IsRight(pool[n])) / (double)pairs.Count;
        return new OfflineRouter(pool, "hash", enc, 256, domains, FusionActivation.Tanh, d, new double[d * input], new double[d], ebt, (double[])ebt.Clone());
    }
}

internal static class SimulationData
{
    /// <summary>
    /// Pairs in groups of three that share a prompt, in two domains; RM "good" is right on 80% of pairs, "math" is
    /// right on the math domain only, "coin" at random, "never" never (a seeded generator decides).
    /// </summary>
    public static List<PreferencePair> Pairs(int groups, int seed)
    {
        var rng = new Random(seed);
        var list = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
        {
            string domain = g % 2 == 0 ? "math" : "chat";
            for (int k = 0; k < 3; k++)
            {
                var truth = rng.Next(2) == 0 ? Preference.A : Preference.B;
                Judgment Says(bool right) => right == (truth == Preference.A) ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1);
                list.Add(new PreferencePair
                {
                    Id = $"p{g}-{k}",
                    Group = $"g{g}",
                    Prompt = $"prompt {g}",
                    ResponseA = $"a {g} {k}",
                    ResponseB = $"b {g} {k}",
                    Preferred = truth,
                    Domain = domain,
                    Judgments = new Dictionary<string, Judgment>
                    {
                        ["good"] = Says(rng.NextDouble() < 0.8),
                        ["math"] = Says(domain == "math"),
                        ["coin"] = Says(rng.NextDouble() < 0.5),
                        ["never"] = Says(false),
                    },
                });
            }
        }
        return list;
    }
}
