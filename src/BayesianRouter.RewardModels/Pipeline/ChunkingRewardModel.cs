namespace BayesianRouter.RewardModels.Pipeline;

/// <summary>
/// Splits a batch into calls of at most <see cref="PairsPerCall"/> pairs, run at once (the RM's concurrency limiter
/// bounds them), and joins the results in input order. With the fail-safe layer below it, a failed call fails only
/// its own pairs.
/// </summary>
public sealed class ChunkingRewardModel : IRewardModel
{
    private readonly IRewardModel _inner;

    public ChunkingRewardModel(IRewardModel inner, int pairsPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pairsPerCall, 1);
        _inner = inner;
        PairsPerCall = pairsPerCall;
    }

    public int PairsPerCall { get; }

    public string Name => _inner.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count <= PairsPerCall) return await _inner.JudgeAsync(pairs, cancellationToken).ConfigureAwait(false);
        var chunks = pairs.Chunk(PairsPerCall).Select(c => _inner.JudgeAsync(c, cancellationToken)).ToArray();
        var results = await Task.WhenAll(chunks).ConfigureAwait(false);
        var all = new List<RmJudgment>(pairs.Count);
        foreach (var r in results)
        {
            if (r.Count != PairsPerCall && all.Count + r.Count != pairs.Count)
                throw new InvalidOperationException($"{Name} returned {r.Count} judgments for a call of up to {PairsPerCall} pairs");
            all.AddRange(r);
        }
        return all;
    }
}
