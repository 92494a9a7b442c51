using BayesianRouter.Evaluation;
using BayesianRouter.Offline;

namespace BayesianRouter.Live;

/// <summary>
/// Off-policy evaluation of a routing session's decision log (<c>bayesrouter ope</c>): which logged decisions an
/// estimate can use, and the standard target policies.
/// <para>
/// Usable: a decision that got feedback (its shaped reward) and was labelled by the RM the router chose. A decision
/// that fell back to another RM is left out (its reward belongs to an RM the logged probability does not describe), and
/// so is one without feedback; both are counted. The estimates assume the feedback's absence and the fallbacks do not
/// depend on which RM would have been right.
/// </para>
/// </summary>
public static class DecisionLogEvaluation
{
    /// <summary>The usable decisions of a log, and how many were left out for each reason.</summary>
    public static UsableLog Usable(IEnumerable<DecisionLogEntry> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var choices = new List<LoggedChoice>();
        int total = 0, withoutFeedback = 0, fellBack = 0;
        foreach (var e in log)
        {
            total++;
            if (e.Feedback is null) withoutFeedback++;
            else if (e.Label.Arm != e.Decision.Arm) fellBack++;
            else choices.Add(new LoggedChoice(e.Decision.Features, e.Decision.Arm, e.Decision.Probability, e.Feedback.Reward));
        }
        return new UsableLog(choices, total, withoutFeedback, fellBack);
    }

    /// <summary>
    /// The policies <c>bayesrouter ope</c> evaluates: each single RM, uniform over the pool, and, given the offline
    /// router whose h the log holds, the offline router alone (argmax of its BT scores).
    /// </summary>
    public static IReadOnlyList<TargetPolicy> StandardPolicies(IReadOnlyList<string> pool, OfflineRouter? offline)
    {
        var policies = new List<TargetPolicy>();
        for (int n = 0; n < pool.Count; n++) policies.Add(OffPolicyEvaluation.Single($"single:{pool[n]}", n));
        policies.Add(OffPolicyEvaluation.Uniform(pool.Count));
        if (offline != null) policies.Add(OffPolicyEvaluation.Deterministic("offline-only", offline.Choose));
        return policies;
    }
}

/// <summary>The decisions an off-policy estimate can use, and the counts of those left out.</summary>
public sealed record UsableLog(IReadOnlyList<LoggedChoice> Choices, int Total, int WithoutFeedback, int FellBack)
{
    /// <summary>
    /// Usable decisions the router made with probability 1 (no exploration floor and a posterior with no doubt left, or a
    /// single RM): they say nothing about any other RM, so an estimate of a policy that would have chosen otherwise
    /// rests on the other decisions alone.
    /// </summary>
    public int Certain { get; } = Choices.Count(c => c.Probability >= 1 - 1e-12);
}
