using BayesianRouter.Data;
using BayesianRouter.Features;

namespace BayesianRouter.Training.Tests;

/// <summary>
/// Seeded synthetic routing problems: every group (prompt) has an embedding and a domain; the probability that
/// each RM is right on a pair depends on them, as given by <see cref="RightProbability"/>.
/// </summary>
internal sealed class SyntheticPairs
{
    public static readonly string[] Pool = ["rm0", "rm1", "rm2"];

    public required int Groups { get; init; }
    public int PairsPerGroup { get; init; } = 3;
    public int Dimension { get; init; } = 8;
    public string[] Domains { get; init; } = ["d0", "d1", "d2"];

    /// <summary>(cluster of the group's embedding, domain index, RM index) to P(RM right).</summary>
    public required Func<int, int, int, double> RightProbability { get; init; }

    public (List<PreferencePair> Pairs, List<PairEmbedding> Embeddings) Generate(int seed)
    {
        var rng = new Random(seed);
        var pairs = new List<PreferencePair>();
        var embeddings = new List<PairEmbedding>();
        for (int g = 0; g < Groups; g++)
        {
            int cluster = rng.Next(3), domain = rng.Next(Domains.Length);
            // Cluster c's embedding points along axis c, plus noise, L2-normalised like a sentence encoder's.
            var e = new float[Dimension];
            for (int k = 0; k < Dimension; k++) e[k] = (float)(0.3 * Gaussian(rng));
            e[cluster] += 1f;
            float norm = MathF.Sqrt(e.Sum(v => v * v));
            for (int k = 0; k < Dimension; k++) e[k] /= norm;
            for (int j = 0; j < PairsPerGroup; j++)
            {
                var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
                for (int n = 0; n < Pool.Length; n++)
                {
                    bool right = rng.NextDouble() < RightProbability(cluster, domain, n);
                    judgments[Pool[n]] = right ? Judgment.FromScores(1, 0) : Judgment.FromScores(0, 1);
                }
                pairs.Add(new PreferencePair
                {
                    Id = $"g{g}-{j}", Group = $"g{g}", Prompt = $"prompt {g}", Preferred = Preference.A,
                    Domain = Domains[domain], Judgments = judgments,
                });
                embeddings.Add(new PairEmbedding(e, e));
            }
        }
        return (pairs, embeddings);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
