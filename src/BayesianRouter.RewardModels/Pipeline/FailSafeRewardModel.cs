using BayesianRouter.RewardModels.Clients;

namespace BayesianRouter.RewardModels.Pipeline;

/// <summary>
/// Turns every failure of the RM it wraps into failed judgments with a reason (<c>"kind: detail"</c>, kinds of
/// <see cref="RmFailure"/>), so no RM error reaches the host as an exception: an exception fails every pair of the
/// call, a reply of the wrong length too. Only the caller's own cancellation is thrown.
/// </summary>
public sealed class FailSafeRewardModel(IRewardModel inner) : IRewardModel
{
    public string Name => inner.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) return [];
        string reason;
        try
        {
            var results = await inner.JudgeAsync(pairs, cancellationToken).ConfigureAwait(false);
            if (results is not null && results.Count == pairs.Count) return results;
            reason = RmFailure.Reason(RmFailure.Malformed, $"{Name} returned {results?.Count ?? 0} judgments for {pairs.Count} pairs");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (RmCallException e)
        {
            reason = e.Reason;
        }
        catch (RecordedTextNotFoundException e)
        {
            reason = RmFailure.Reason(RmFailure.NotFound, e.Message);
        }
        catch (OperationCanceledException e)
        {
            reason = RmFailure.Reason(RmFailure.Timeout, $"{Name} was cancelled from inside ({e.Message})");
        }
        catch (Exception e)
        {
            reason = RmFailure.Reason(RmFailure.Other, $"{e.GetType().Name}: {e.Message}");
        }
        var failed = RmJudgment.Failed(reason);
        var all = new RmJudgment[pairs.Count];
        Array.Fill(all, failed);
        return all;
    }
}
