using BayesianRouter.Routing;
namespace BayesianRouter.Baselines;

/// <summary>Which per-arm score of the online (Thompson sampling) part enters the weighted-score mixture.</summary>
public enum OnlineScoreKind
{
    /// <summary>A fresh Thompson draw h^T w_n per pair (default): the online part keeps exploring.</summary>
    Sampled,

    /// <summary>The posterior mean h^T mu_n: greedy, deterministic.</summary>
    PosteriorMean,
}

/// <summary>Options of <see cref="WeightedScoreRouter"/> (paper section 4.3, "Weighted-score").</summary>
public sealed record WeightedScoreOptions
{
    /// <summary>alpha in [0, 1]: s = alpha softmax(s_offline) + (1 - alpha) softmax(s_online). Paper sweeps 0.25, 0.5, 0.75.</summary>
    public double Alpha { get; init; } = 0.5;

    /// <summary>The online router: Thompson sampling with a zero prior (the paper's setting: sigma_w^2 = 1, sigma^2 = 1).</summary>
    public ThompsonSamplingOptions Online { get; init; } = new();

    /// <summary>Which online score is mixed in (default: the Thompson draw).</summary>
    public OnlineScoreKind OnlineScore { get; init; } = OnlineScoreKind.Sampled;

    /// <summary>Draws per pair of the Monte-Carlo estimate of the selection probability; 0 = NaN (not estimated).</summary>
    public int MonteCarloDraws { get; init; }

    internal void Validate()
    {
        if (!(Alpha >= 0 && Alpha <= 1)) throw new ArgumentException($"weighted-score alpha must be in [0, 1] (got {Alpha})");
        if (MonteCarloDraws < 0) throw new ArgumentException($"Monte-Carlo draws cannot be negative (got {MonteCarloDraws})");
        ArgumentNullException.ThrowIfNull(Online);
    }
}
