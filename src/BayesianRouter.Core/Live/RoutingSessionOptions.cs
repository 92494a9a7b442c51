using BayesianRouter.Rewards;

namespace BayesianRouter.Live;

/// <summary>Options of a <see cref="RoutingSession"/> beyond its <see cref="RouterSetup"/>.</summary>
public sealed record RoutingSessionOptions
{
    /// <summary>
    /// Draws per pair of the Monte-Carlo estimate of the Thompson-sampling choice probability (at least 1). The
    /// estimate is (hits + 1) / (draws + 1): it counts the decision's own draw, so it is never 0; its error is about
    /// sqrt(p (1 - p) / draws). The draws come from a stream of their own, so they never change a decision.
    /// </summary>
    public int MonteCarloDraws { get; init; } = 1000;

    /// <summary>
    /// epsilon in [0, 1): with this probability a pair goes to an RM drawn uniformly instead of the Thompson choice,
    /// so every RM keeps a choice probability of at least epsilon / N (exact): what off-policy evaluation of other
    /// policies needs to be reliable. 0 = the paper (pure Thompson sampling).
    /// </summary>
    public double Exploration { get; init; }

    /// <summary>The 20/80 quantile rescaling of batch-centred DPO losses (appendix B).</summary>
    public QuantileNormaliserOptions Rewards { get; init; } = new();

    internal void Validate()
    {
        if (MonteCarloDraws < 1) throw new ArgumentException($"Monte-Carlo draws must be at least 1 (got {MonteCarloDraws})");
        if (!(Exploration >= 0 && Exploration < 1)) throw new ArgumentException($"exploration must lie in [0, 1) (got {Exploration})");
    }
}

/// <summary>A session whose decision log could not be written: it accepts no more work; restart it (the log holds
/// everything that was acknowledged).</summary>
public sealed class SessionFaultedException(string message, Exception inner) : InvalidOperationException(message, inner);

/// <summary>Where a session stands: totals and per-RM counts.</summary>
public sealed record SessionStatistics(IReadOnlyList<string> Pool, long Decisions, long Feedback, long Unlabelled,
    IReadOnlyList<RmStatistics> Rms);

/// <summary>
/// One RM's counts: decisions routed to it (chosen), pairs it labelled (chosen or as a fallback), feedback items
/// it learned from, and the mean shaped reward of that feedback (null before any).
/// </summary>
public sealed record RmStatistics(string Rm, long Chosen, long Labelled, long Feedback, double? MeanReward);
