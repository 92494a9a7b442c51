using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Offline;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// The pair features every router of the project reads, for live pairs: the frozen encoder embeds prompt + response
/// for both responses (e, e'), and the seed's offline router turns them into h (section 3.2). Every router reads h by
/// default, as in the paper; with <see cref="BaselineFeatures.RandomProjection"/> the routers without an offline router
/// (ts-no-offline, laser) read a fixed seeded projection of [e + e'; |e - e'|] to the same size instead, as
/// <c>simulate --baseline-features projection</c> does. The router sees only text (no domain). Thread-safe (the
/// embedder is called under a lock).
/// </summary>
public sealed class PairFeatures(IPairEmbedder embedder, OfflineRouter offline, int seed, BaselineFeatures baseline = BaselineFeatures.Shared)
{
    private readonly RandomProjection? _projection = baseline == BaselineFeatures.RandomProjection
        ? new(2 * offline.EncoderDimension, offline.FusedDimension, SimulationRunner.SeedFor(seed, "projection")) : null;
    private readonly Lock _lock = new();

    public OfflineRouter Offline { get; } = offline;

    public BaselineFeatures Baseline { get; } = baseline;

    /// <summary>Dimension of h: d + 1 with the constant bias feature.</summary>
    public int Dimension => Offline.FeatureDimension;

    /// <summary>Dimension of the baseline routers' features (h's, or the projection's plus its constant 1).</summary>
    public int BaselineDimension => _projection is { } p ? p.OutputDimension + 1 : Dimension;

    /// <summary>h per pair, and the baseline routers' features (the same arrays unless projected).</summary>
    public (double[][] H, double[][] Baseline) Of(IReadOnlyList<OnlinePair> pairs)
    {
        IReadOnlyList<PairEmbedding> embeddings;
        lock (_lock) embeddings = embedder.Embed(pairs.Select(ToPreferencePair).ToArray());
        var h = new double[pairs.Count][];
        for (int i = 0; i < pairs.Count; i++) h[i] = Offline.Features(embeddings[i], null);
        if (_projection is not { } projection) return (h, h);
        return (h, embeddings.Select(e => projection.Apply(e.FusionInput())).ToArray());
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
