using System.Diagnostics;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Live;

/// <summary>
/// A group of responses to one prompt that a pointwise trainer (GRPO, RLOO, PPO with an RM) wants scored: every
/// response of the group is scored by the same RM, so the scores are comparable within the group.
/// <see cref="Anchor"/> is the response a pairwise judge compares every other response with (null: the first response).
/// </summary>
public sealed record ResponseGroup(string GroupId, string Prompt, IReadOnlyList<string> Responses, string? Anchor = null);

/// <summary>
/// Scores groups of responses with the pool's RMs through their pairwise interface (<see cref="IRewardModel"/>):
/// <list type="bullet">
/// <item>a <b>scalar RM</b> (it answers two scores per pair) gets the pairs (r0, r1), (r2, r3), ...; each response's
/// score is its raw score (an odd last response is paired with itself). n responses cost n scorings, ceil(n / 2)
/// pairs;</item>
/// <item>a <b>pairwise judge</b> (<see cref="GroupScorerOptions.Pairwise"/>; it answers verdicts) compares every
/// response with the group's anchor (the first response, or <see cref="ResponseGroup.Anchor"/>): the response's score
/// is 1 when the judge prefers it to the anchor, 0 when it prefers the anchor, 0.5 on a tie; the anchor itself scores
/// 0.5. n responses cost n - 1 judge calls (n when the anchor is not one of them).</item>
/// </list>
/// A group whose RM fails on any of its pairs moves as a whole to the next RM of its decision's fallback order
/// (<see cref="Decision.FallbackOrder"/>), so a group is never scored by two RMs. The groups that go to one RM in a
/// round are sent in one batched call. Nothing but the caller's cancellation throws.
/// </summary>
public sealed class GroupScorer
{
    private readonly IRewardModel[] _pool;

    /// <param name="pool">The RMs in arm order.</param>
    public GroupScorer(IReadOnlyList<IRewardModel> pool, GroupScorerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (pool.Count == 0) throw new ArgumentException("the pool needs at least one RM", nameof(pool));
        _pool = pool.ToArray();
        Options = options ?? new GroupScorerOptions();
        if (Options.Pairwise is { } p && p.Count != _pool.Length) throw new ArgumentException($"{p.Count} pairwise flags for {_pool.Length} RMs");
    }

    public GroupScorerOptions Options { get; }

    /// <summary>The RMs, in arm order.</summary>
    public IReadOnlyList<IRewardModel> Pool => _pool;

    /// <summary>True when arm <paramref name="arm"/> is scored as a pairwise judge (against the anchor).</summary>
    public bool IsPairwise(int arm) => Options.Pairwise is { } p && p[arm];

    /// <summary>The RM calls (scorings or judge calls) that scoring <paramref name="group"/> with arm <paramref name="arm"/> takes.</summary>
    public int CallsFor(int arm, ResponseGroup group) => IsPairwise(arm) ? Comparisons(group).Count : group.Responses.Count;

    /// <summary>Scores every group with its decision's RM, falling back along the decision's order (aligned lists).</summary>
    public async Task<IReadOnlyList<GroupScores>> ScoreAsync(IReadOnlyList<Decision> decisions, IReadOnlyList<ResponseGroup> groups,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(groups);
        if (decisions.Count != groups.Count) throw new ArgumentException($"{decisions.Count} decisions for {groups.Count} groups");
        int count = groups.Count;
        var outcomes = new GroupScores?[count];
        var failures = new List<FailedRm>?[count];
        var attempt = new int[count];
        var calls = new int[count][];
        for (int i = 0; i < count; i++) calls[i] = new int[_pool.Length];
        var pending = Enumerable.Range(0, count).ToList();
        while (pending.Count > 0)
        {
            var byArm = new Dictionary<int, List<int>>();
            foreach (var i in pending)
            {
                var order = decisions[i].FallbackOrder;
                int arm = attempt[i] < order.Count ? order[attempt[i]] : -1;
                if (arm < 0 || arm >= _pool.Length)
                {
                    IReadOnlyList<FailedRm> failed = (IReadOnlyList<FailedRm>?)failures[i] ?? [];
                    outcomes[i] = new GroupScores(null, null, null, failed, calls[i],
                        failed.Count == 0 ? "no RM was tried" : "no RM could score the group: " + string.Join("; ", failed.Select(f => $"{f.Rm}: {f.Reason}")));
                    continue;
                }
                (byArm.TryGetValue(arm, out var list) ? list : byArm[arm] = []).Add(i);
            }
            var rounds = byArm.Select(kv => ScoreWithAsync(kv.Key, kv.Value.Select(i => groups[i]).ToArray(), cancellationToken)).ToArray();
            var results = await Task.WhenAll(rounds).ConfigureAwait(false);
            pending = [];
            int c = 0;
            foreach (var (arm, items) in byArm)
            {
                var scored = results[c++];
                for (int k = 0; k < items.Count; k++)
                {
                    int i = items[k];
                    calls[i][arm] += CallsFor(arm, groups[i]);
                    if (scored[k].Scores is { } s)
                        outcomes[i] = new GroupScores(_pool[arm].Name, arm, s, (IReadOnlyList<FailedRm>?)failures[i] ?? [], calls[i], null, scored[k].First);
                    else
                    {
                        (failures[i] ??= []).Add(new FailedRm(_pool[arm].Name, scored[k].Error ?? "no scores"));
                        attempt[i]++;
                        pending.Add(i);
                    }
                }
            }
        }
        return outcomes!;
    }

    /// <summary>
    /// Scores every group with arm <paramref name="arm"/>, no fallback (what an audit does): per group its scores, or
    /// the reason it failed, and the judgment of its first pair (the label the decision log keeps).
    /// </summary>
    public async Task<IReadOnlyList<(double[]? Scores, string? Error, Judgment? First)>> ScoreWithAsync(int arm, IReadOnlyList<ResponseGroup> groups,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groups);
        bool pairwise = IsPairwise(arm);
        var pairs = new List<PairText>();
        var spans = new (int Start, int Count)[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (group.Responses.Count == 0) throw new ArgumentException($"group {group.GroupId} has no responses");
            int start = pairs.Count;
            if (pairwise)
            {
                var anchor = group.Anchor ?? group.Responses[0];
                foreach (var i in Comparisons(group)) pairs.Add(new PairText(group.Prompt, anchor, group.Responses[i]));
            }
            else
                for (int i = 0; i < group.Responses.Count; i += 2)
                    pairs.Add(new PairText(group.Prompt, group.Responses[i], group.Responses[Math.Min(i + 1, group.Responses.Count - 1)]));
            spans[g] = (start, pairs.Count - start);
        }
        var judgments = await CallAsync(arm, pairs, cancellationToken).ConfigureAwait(false);
        var results = new (double[]?, string?, Judgment?)[groups.Count];
        for (int g = 0; g < groups.Count; g++)
        {
            var (start, n) = spans[g];
            var group = groups[g];
            int bad = Enumerable.Range(start, n).FirstOrDefault(k => !judgments[k].Succeeded, -1);
            if (bad >= 0)
            {
                results[g] = (null, judgments[bad].Error ?? "no judgment", null);
                continue;
            }
            var scores = new double[group.Responses.Count];
            string? error = null;
            if (pairwise)
            {
                var compared = Comparisons(group);
                for (int i = 0; i < scores.Length; i++) scores[i] = 0.5; // the anchor (and its copies) against itself
                for (int k = 0; k < compared.Count; k++)
                    scores[compared[k]] = judgments[start + k].Judgment!.Prefers() switch { Preference.B => 1, Preference.A => 0, _ => 0.5 };
            }
            else
                for (int k = 0; k < n && error is null; k++)
                {
                    var j = judgments[start + k].Judgment!;
                    if (!j.IsScored) error = RmFailure.Reason(RmFailure.Malformed, $"{_pool[arm].Name} answered a verdict where scores were expected (mark it pairwise)");
                    else
                    {
                        scores[2 * k] = j.ScoreA!.Value;
                        if (2 * k + 1 < scores.Length) scores[2 * k + 1] = j.ScoreB!.Value;
                    }
                }
            results[g] = error is null ? (scores, null, n > 0 ? judgments[start].Judgment : Judgment.FromVerdict(Preference.Tie)) : (null, error, null);
        }
        return results;
    }

    /// <summary>The responses a pairwise judge compares with the anchor: every response that is not the anchor's text.</summary>
    private static List<int> Comparisons(ResponseGroup group)
    {
        var anchor = group.Anchor ?? group.Responses[0];
        var list = new List<int>();
        for (int i = 0; i < group.Responses.Count; i++)
            if (!string.Equals(group.Responses[i], anchor, StringComparison.Ordinal)) list.Add(i);
        return list;
    }

    private async Task<IReadOnlyList<RmJudgment>> CallAsync(int arm, IReadOnlyList<PairText> pairs, CancellationToken cancellationToken)
    {
        if (pairs.Count == 0) return [];
        var rm = _pool[arm];
        var clock = Stopwatch.StartNew();
        IReadOnlyList<RmJudgment> results;
        string? error = null;
        try
        {
            var answer = await rm.JudgeAsync(pairs, cancellationToken).ConfigureAwait(false);
            if (answer is null || answer.Count != pairs.Count)
            {
                error = $"returned {answer?.Count ?? 0} judgments for {pairs.Count} pairs";
                results = Fill(pairs.Count, error);
            }
            else results = answer;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            results = Fill(pairs.Count, error);
        }
        Options.OnCall?.Invoke(new RmCall(rm.Name, arm, pairs.Count, results.Count(r => r.Judgment is null), clock.Elapsed, error));
        return results;
    }

    private static RmJudgment[] Fill(int count, string reason)
    {
        var a = new RmJudgment[count];
        Array.Fill(a, RmJudgment.Failed(reason));
        return a;
    }
}

/// <summary>Options of <see cref="GroupScorer"/>.</summary>
public sealed record GroupScorerOptions
{
    /// <summary>Per arm: true when the RM is a pairwise judge (verdicts), scored against the group's anchor; null: none is.</summary>
    public IReadOnlyList<bool>? Pairwise { get; init; }

    /// <summary>Called after every RM call (for metrics); must be thread-safe and quick.</summary>
    public Action<RmCall>? OnCall { get; init; }
}

/// <summary>
/// How one group was scored: the RM that scored it (null when none could), its arm, the raw score of every response
/// (null when none), the RMs that failed first, the RM calls made per arm (failed ones included), why no RM could score
/// it, and the judgment of its first pair (the label the decision log keeps for the group).
/// </summary>
public sealed record GroupScores(string? Rm, int? Arm, double[]? Scores, IReadOnlyList<FailedRm> FallbackFrom, IReadOnlyList<int> CallsPerArm,
    string? Error, Judgment? FirstJudgment = null);
