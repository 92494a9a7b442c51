namespace BayesianRouter.RewardModels.Pipeline;

/// <summary>
/// Counts the HTTP requests made for one call of an RM (<see cref="AttemptCountingRewardModel"/> opens a scope, the
/// HTTP channel records each request's attempts into the scope of the call it runs in, through an
/// <see cref="AsyncLocal{T}"/>), so a judgment can say how many times its pair was asked.
/// </summary>
internal sealed class RmAttempts
{
    private static readonly AsyncLocal<RmAttempts?> Current = new();
    private int _most;

    /// <summary>Opens a scope for the calling async flow and what it awaits.</summary>
    public static RmAttempts Begin()
    {
        var scope = new RmAttempts();
        Current.Value = scope;
        return scope;
    }

    /// <summary>Records one request's attempts (retries included; 0: it was never sent) in the current scope, if any.</summary>
    public static void Record(int attempts)
    {
        if (Current.Value is not { } scope) return;
        int seen;
        do seen = Volatile.Read(ref scope._most);
        while (attempts > seen && Interlocked.CompareExchange(ref scope._most, attempts, seen) != seen);
    }

    /// <summary>The most attempts any request of the scope took: how many times its pairs were asked.</summary>
    public int Most => Volatile.Read(ref _most);
}

/// <summary>
/// Stamps every judgment of a call with the requests its pairs took (<see cref="RmJudgment.Attempts"/>): the most
/// attempts of the call's requests (one request per pair for the judge, one per response for vllm-classify, one per
/// batch for openrlhf), 0 when none was sent.
/// </summary>
internal sealed class AttemptCountingRewardModel(IRewardModel inner) : IRewardModel
{
    public string Name => inner.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        var scope = RmAttempts.Begin();
        var results = await inner.JudgeAsync(pairs, cancellationToken).ConfigureAwait(false);
        int attempts = scope.Most;
        var stamped = new RmJudgment[results.Count];
        for (int i = 0; i < stamped.Length; i++) stamped[i] = results[i].WithAttempts(attempts);
        return stamped;
    }
}
