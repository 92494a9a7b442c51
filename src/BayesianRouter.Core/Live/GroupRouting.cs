namespace BayesianRouter.Live;

/// <summary>
/// A group to route: its id (the trainer's group, usually the prompt), the features h the decision is made on, its
/// texts, and its domain. The features come from the prompt and two of the group's responses
/// (<see cref="GroupRouting.FeaturePair"/>): the router's features are made from a pair.
/// </summary>
public sealed record GroupToRoute(string GroupId, double[] Features, ResponseGroup Texts, string? Domain = null);

/// <summary>A group's decision (one RM for the whole group) and how the group was scored.</summary>
public sealed record RoutedGroup(Decision Decision, GroupScores Scores);

/// <summary>
/// Group routing for pointwise trainers (GRPO-style: n rollouts of a prompt compared within the group): one routing
/// decision per group, every response of the group scored by the chosen RM (or, when it fails, by the next RM of the
/// decision's fallback order, the whole group moving together), and the decision logged like a pair's. Feedback names
/// the group's decision id; the arm it updates is the RM that scored the group.
/// </summary>
public static class GroupRouting
{
    /// <summary>
    /// The pair whose features a group's decision is made on: the prompt with the group's first two responses (with one
    /// response, that response twice). The router was trained on pairs; this is one of the group's own pairs, the one a
    /// pairwise judge compares first, and it costs one embedding per group whatever the group's size.
    /// </summary>
    public static (string Prompt, string A, string B) FeaturePair(ResponseGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.Responses.Count == 0) throw new ArgumentException($"group {group.GroupId} has no responses");
        return (group.Prompt, group.Responses[0], group.Responses.Count > 1 ? group.Responses[1] : group.Responses[0]);
    }

    /// <summary>
    /// Routes each group (one decision each, in order), scores its responses through <paramref name="scorer"/>, and logs
    /// the decisions (durably, before the task completes) with the group's first pair as their label.
    /// </summary>
    public static async Task<IReadOnlyList<RoutedGroup>> ScoreGroupsAsync(this RoutingSession session, IReadOnlyList<GroupToRoute> groups,
        GroupScorer scorer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(scorer);
        if (!scorer.Pool.Select(r => r.Name).SequenceEqual(session.Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the scorer's RMs ({string.Join(",", scorer.Pool.Select(r => r.Name))}) are not the session's pool ({string.Join(",", session.Pool)})");
        var batch = session.Route(groups.Select(g => new PairToRoute(g.GroupId, g.Features, g.Domain, g.GroupId)).ToArray());
        var scores = await scorer.ScoreAsync(batch, groups.Select(g => g.Texts).ToArray(), cancellationToken).ConfigureAwait(false);
        var labels = scores.Select(s => s.Arm is { } arm
            ? LabelOutcome.Labelled(s.Rm!, arm, s.FirstJudgment!, s.FallbackFrom)
            : LabelOutcome.Unlabelled(s.FallbackFrom, s.Error)).ToArray();
        await session.RecordAsync(batch, labels).ConfigureAwait(false);
        return batch.Select((d, i) => new RoutedGroup(d, scores[i])).ToArray();
    }
}
