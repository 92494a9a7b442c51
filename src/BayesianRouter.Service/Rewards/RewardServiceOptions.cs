using BayesianRouter.RewardModels;

namespace BayesianRouter.Service.Rewards;

/// <summary>
/// Settings of the reward endpoints (<c>POST /get_reward</c>, <c>POST /v1/rewards</c>; docs/integrations.md), per arm in
/// the router's order. <c>serve</c> fills them from the pool file (<see cref="FromPool"/>).
/// </summary>
public sealed record RewardServiceOptions
{
    /// <summary>Per arm: the RM is a pairwise judge (verdicts), scored against the group's anchor; null: none is.</summary>
    public IReadOnlyList<bool>? Pairwise { get; init; }

    /// <summary>Per arm: <c>rewards</c> are the RM's scores standardised by its running mean and spread; null: raw everywhere.</summary>
    public IReadOnlyList<bool>? Standardise { get; init; }

    /// <summary>Per arm: the cost of one RM call (a scored response or a judge comparison); null: 1 each.</summary>
    public IReadOnlyList<double>? Costs { get; init; }

    /// <summary>The seeded share of group decisions also scored by a second RM whose rank agreement becomes the decision's reward.</summary>
    public double AuditShare { get; init; } = 0.1;

    /// <summary>The arms an audit may use (never the group's own RM); null: any other arm.</summary>
    public IReadOnlyList<int>? AuditArms { get; init; }

    /// <summary>How long a group keeps its decision for later requests with the same group.</summary>
    public TimeSpan GroupWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most queries per request (413 above).</summary>
    public int MaxQueries { get; init; } = 8192;

    /// <summary>The clock of the group window (tests give their own).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The settings of a pool file's RMs, given in the router's arm order, and of its <c>rewards</c> object.</summary>
    public static RewardServiceOptions FromPool(IReadOnlyList<RmSpec> armOrder, RewardEndpointSpec rewards)
    {
        ArgumentNullException.ThrowIfNull(armOrder);
        ArgumentNullException.ThrowIfNull(rewards);
        var names = armOrder.Select(s => s.Name).ToList();
        return new RewardServiceOptions
        {
            Pairwise = armOrder.Select(s => s.Backend == RmBackend.OpenAiJudge).ToArray(),
            Standardise = armOrder.Select(s => s.Standardise).ToArray(),
            Costs = armOrder.Select(s => s.Cost).ToArray(),
            AuditShare = rewards.AuditShare,
            AuditArms = rewards.AuditRms?.Select(n => names.IndexOf(n)).ToArray(),
            GroupWindow = TimeSpan.FromSeconds(rewards.GroupWindowSeconds),
        };
    }

    internal void Validate(int arms)
    {
        if (Pairwise is { } p && p.Count != arms) throw new ArgumentException($"{p.Count} pairwise flags for {arms} RMs");
        if (Standardise is { } s && s.Count != arms) throw new ArgumentException($"{s.Count} standardise flags for {arms} RMs");
        if (Costs is { } c && (c.Count != arms || c.Any(x => !(x >= 0)))) throw new ArgumentException($"reward costs: {arms} costs >= 0 needed");
        if (!(AuditShare >= 0 && AuditShare <= 1)) throw new ArgumentException($"the audit share must lie in [0, 1], got {AuditShare}");
        if (AuditArms is { } a && a.Any(x => x < 0 || x >= arms)) throw new ArgumentException("an audit arm is not an RM of the pool");
        if (GroupWindow < TimeSpan.Zero) throw new ArgumentException("the group window must not be negative");
        if (MaxQueries < 1) throw new ArgumentException("the query limit must be at least 1");
    }
}
