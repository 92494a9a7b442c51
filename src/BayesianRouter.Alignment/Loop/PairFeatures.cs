using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// The pair features every router of the project reads, for live pairs: the frozen encoder embeds prompt + response
/// for both responses (e, e'), the seed's offline router turns them into h (section 3.2), and a fixed seeded projection
/// of [e + e'; |e - e'|] to the same size serves routers that have no offline router (ts-no-offline, laser), as in
/// the simulation. The router sees only text (no domain). Thread-safe (the embedder is called under a lock).
/// </summary>
public sealed class PairFeatures(IPairEmbedder embedder, OfflineRouter offline, int seed)
{
    private readonly RandomProjection _projection = new(2 * offline.EncoderDimension, offline.FusedDimension, SimulationRunner.SeedFor(seed, "projection"));
    private readonly Lock _lock = new();

    public OfflineRouter Offline { get; } = offline;

    /// <summary>Dimension of h (and of the raw projection): d + 1 with the constant bias feature.</summary>
    public int Dimension => Offline.FeatureDimension;

    public int RawDimension => _projection.OutputDimension + 1; // the projection appends a constant 1

    public (double[][] H, double[][] Raw) Of(IReadOnlyList<OnlinePair> pairs)
    {
        IReadOnlyList<PairEmbedding> embeddings;
        lock (_lock) embeddings = embedder.Embed(pairs.Select(ToPreferencePair).ToArray());
        var h = new double[pairs.Count][];
        var raw = new double[pairs.Count][];
        for (int i = 0; i < pairs.Count; i++)
        {
            h[i] = Offline.Features(embeddings[i], null);
            raw[i] = _projection.Apply(embeddings[i].FusionInput());
        }
        return (h, raw);
    }

    /// <summary>The pair as the encoder and pair files see it.</summary>
    public static PreferencePair ToPreferencePair(OnlinePair p) => new()
    {
        Id = StableHash.Hex($"{p.Problem.Prompt}\u0001{p.ResponseA}\u0001{p.ResponseB}", 16),
        Group = PreferencePair.GroupOf(p.Problem.Prompt),
        Prompt = p.Problem.Prompt,
        ResponseA = p.ResponseA,
        ResponseB = p.ResponseB,
        Domain = p.Problem.Domain,
        Preferred = p.Truth switch { 1 => Preference.A, -1 => Preference.B, _ => null },
    };
}
