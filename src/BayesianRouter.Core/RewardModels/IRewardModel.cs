namespace BayesianRouter.RewardModels;

/// <summary>
/// A reward model as a router calls it: it judges preference pairs (the pairwise form, prompt + a + b -> a | b | tie,
/// or two scores). Scalar RMs (<see cref="IRewardScorer"/>) become one through <see cref="ScoringRewardModel"/>.
/// <para>
/// Contract: one result per pair, in input order. A failure on one pair is a <see cref="RmJudgment.Failed"/> result;
/// an exception from the call means every pair of the call failed (callers treat it so); cancellation throws
/// <see cref="OperationCanceledException"/>. Resilience (timeouts, retries, circuit breaking, concurrency limits,
/// logging) is composed around an RM as decorators, never built into the interface.
/// </para>
/// </summary>
public interface IRewardModel
{
    /// <summary>The RM's name in the pool (the name in pair files, router artifacts and decision logs).</summary>
    string Name { get; }

    /// <summary>Judges a batch of pairs.</summary>
    Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default);
}

/// <summary>
/// A scalar reward model: (prompt, response) -> score, higher is better (vLLM classify, OpenRLHF get_reward).
/// Contract as <see cref="IRewardModel"/>: one score per item in input order; a non-finite score is a failure of that
/// item; an exception fails every item of the call.
/// </summary>
public interface IRewardScorer
{
    /// <summary>The RM's name in the pool.</summary>
    string Name { get; }

    /// <summary>Scores a batch of (prompt, response) items: one score per item, in input order.</summary>
    Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default);
}
