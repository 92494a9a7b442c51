using BayesianRouter.Features;
using BayesianRouter.Offline;

namespace BayesianRouter.Live;

/// <summary>
/// How a routing session turns the frozen encoder's view of a pair (e, e', and its domain) into the feature vector h
/// the online router reads. The id is stored with a session's state, so a restart with other features is refused.
/// </summary>
public interface IPairFeatureMap
{
    /// <summary>Identifies the map and its parameters (e.g. the offline router's checksum).</summary>
    string Id { get; }

    /// <summary>Dimension of e and e' it expects.</summary>
    int EncoderDimension { get; }

    /// <summary>Length of h.</summary>
    int Dimension { get; }

    /// <summary>The features h of one pair.</summary>
    double[] Features(PairEmbedding embedding, string? domain);
}

/// <summary>
/// The offline router's pair features h = [act(W [e + e'; |e - e'|; onehot(domain)] + b); 1] (paper section 3.2), the
/// input of the paper's BayesianRouter, whose prior mean is the same artifact's E_bt.
/// </summary>
public sealed class OfflineFeatureMap(OfflineRouter offline) : IPairFeatureMap
{
    public OfflineRouter Offline { get; } = offline ?? throw new ArgumentNullException(nameof(offline));

    public string Id { get; } = "offline-router:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(offline.ToBytes()))[..16];

    public int EncoderDimension => Offline.EncoderDimension;

    public int Dimension => Offline.FeatureDimension;

    public double[] Features(PairEmbedding embedding, string? domain) => Offline.Features(embedding, domain);
}

/// <summary>
/// Features without an offline router: the symmetric fusion input [e + e'; |e - e'|] through a fixed seeded Gaussian
/// projection to <see cref="Dimension"/> - 1 values, then a constant 1 (an intercept: each arm's overall accuracy).
/// The same construction as the simulation's ts-no-offline method (<see cref="RandomProjection"/>).
/// </summary>
public sealed class ProjectedFeatureMap : IPairFeatureMap
{
    private readonly RandomProjection _projection;

    /// <param name="encoderDimension">Dimension of e and e'.</param>
    /// <param name="projectedDimension">Outputs of the projection; h has one more (the constant 1).</param>
    /// <param name="seed">Seed of the projection matrix.</param>
    public ProjectedFeatureMap(int encoderDimension, int projectedDimension, int seed)
    {
        if (encoderDimension < 1) throw new ArgumentOutOfRangeException(nameof(encoderDimension), encoderDimension, "must be positive");
        if (projectedDimension < 1) throw new ArgumentOutOfRangeException(nameof(projectedDimension), projectedDimension, "must be positive");
        _projection = new RandomProjection(2 * encoderDimension, projectedDimension, seed);
        EncoderDimension = encoderDimension;
        Id = $"projection:{encoderDimension}->{projectedDimension}+1:seed={seed}";
    }

    public string Id { get; }

    public int EncoderDimension { get; }

    public int Dimension => _projection.OutputDimension + 1;

    public double[] Features(PairEmbedding embedding, string? domain)
    {
        if (embedding.E.Length != EncoderDimension || embedding.EPrime.Length != EncoderDimension)
            throw new ArgumentException($"embedding has dimension {embedding.E.Length}, the features expect {EncoderDimension}");
        return _projection.Apply(embedding.FusionInput());
    }
}
