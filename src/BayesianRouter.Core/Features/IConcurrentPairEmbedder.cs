using BayesianRouter.Data;

namespace BayesianRouter.Features;

/// <summary>
/// An <see cref="IPairEmbedder"/> that many callers may use at once (a service's concurrent requests): it shares one
/// encoder between them (batching their texts together) instead of taking them one at a time.
/// </summary>
public interface IConcurrentPairEmbedder : IPairEmbedder
{
    /// <summary>Embeds every pair, in order; thread-safe. Cancelling stops the wait, not necessarily the encoding.</summary>
    Task<IReadOnlyList<PairEmbedding>> EmbedAsync(IReadOnlyList<PreferencePair> pairs, CancellationToken cancellationToken = default);
}
