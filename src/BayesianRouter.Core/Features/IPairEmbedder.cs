using BayesianRouter.Data;

namespace BayesianRouter.Features;

/// <summary>Turns preference pairs into <see cref="PairEmbedding"/>s with a frozen text encoder.</summary>
public interface IPairEmbedder
{
    /// <summary>Identifies the encoder and its settings (model, pooling, truncation): a cache key and artifact metadata.</summary>
    string EncoderId { get; }

    /// <summary>Dimension of e and e'.</summary>
    int Dimension { get; }

    /// <summary>Maximum tokens of prompt plus response.</summary>
    int MaxTokens { get; }

    /// <summary>Embeds every pair, in order. Reports progress as (done, total) pairs.</summary>
    IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null);
}
