using BayesianRouter.RewardModels.Clients;
using BayesianRouter.RewardModels.Pipeline;
using Polly.CircuitBreaker;

namespace BayesianRouter.RewardModels;

/// <summary>
/// One RM of a pool file, ready to call: the backend's protocol client over a resilient HTTP channel, composed as
/// <c>Chunking(Metered(AttemptCounting(FailSafe(client))))</c>. Every judgment says how many requests its pair took
/// (<see cref="RmJudgment.Attempts"/>, retries included), so the budget is charged for each. It never throws for an RM
/// failure: a failed pair is an
/// <see cref="RmJudgment"/> whose reason starts with its kind (<see cref="RmFailure"/>); only the caller's cancellation
/// throws. Dispose it to close its connections.
/// </summary>
public sealed class RemoteRewardModel : IRewardModel, IDisposable
{
    private readonly RmHttpChannel _channel;
    private readonly IRewardModel _pipeline;

    internal RemoteRewardModel(RmHttpChannel channel, IRewardModel client, int pairsPerCall)
    {
        _channel = channel;
        Client = client;
        _pipeline = new ChunkingRewardModel(new MeteredRewardModel(new AttemptCountingRewardModel(new FailSafeRewardModel(client))), pairsPerCall);
    }

    public RmSpec Spec => _channel.Spec;

    public string Name => Spec.Name;

    /// <summary>The protocol client at the bottom of the pipeline (no fail-safe, no telemetry).</summary>
    public IRewardModel Client { get; }

    /// <summary>The circuit breaker's state: Closed, Open (the RM is skipped until the break ends) or HalfOpen.</summary>
    public CircuitState CircuitState => _channel.CircuitState;

    public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default) =>
        _pipeline.JudgeAsync(pairs, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
