using System.Diagnostics;

namespace BayesianRouter.RewardModels.Pipeline;

/// <summary>Records each call of the RM it wraps in <see cref="RmTelemetry"/>: calls, judged and failed pairs by reason, duration.</summary>
public sealed class MeteredRewardModel(IRewardModel inner) : IRewardModel
{
    private readonly KeyValuePair<string, object?> _rm = RmTelemetry.Rm(inner.Name);

    public string Name => inner.Name;

    public async Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var results = await inner.JudgeAsync(pairs, cancellationToken).ConfigureAwait(false);
        RmTelemetry.DurationHistogram.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, _rm);
        int failed = 0;
        foreach (var r in results)
        {
            if (r.Succeeded) continue;
            failed++;
            RmTelemetry.FailureCounter.Add(1, _rm, new("reason", RmFailure.KindOf(r.Error)));
        }
        RmTelemetry.CallCounter.Add(1, _rm, new("outcome", failed == 0 ? "ok" : "failed"));
        if (results.Count - failed > 0) RmTelemetry.JudgmentCounter.Add(results.Count - failed, _rm, new("outcome", "ok"));
        if (failed > 0) RmTelemetry.JudgmentCounter.Add(failed, _rm, new("outcome", "failed"));
        return results;
    }
}
