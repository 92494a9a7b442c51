using System.Text.Json;
using BayesianRouter.IO;
using BayesianRouter.Live;
using BayesianRouter.Rewards;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace BayesianRouter.Service.Rewards;

/// <summary>
/// <c>POST /get_reward</c> and <c>POST /v1/rewards</c> (docs/integrations.md): pointwise rewards in OpenRLHF's shape for
/// trainers that score n rollouts of a prompt and compare them within the group (GRPO, RLOO, REINFORCE++).
/// <list type="bullet">
/// <item>One routing decision per group (<see cref="GroupRouting"/>): the queries of a request are grouped by
/// <c>group_ids</c> or their prompt; a group keeps its decision for <see cref="RewardServiceOptions.GroupWindow"/>, so a
/// trainer that asks per rollout (OpenRLHF 0.11 sends one query per request, concurrently) still gets every rollout of a
/// prompt scored by one RM. Concurrent requests for a new group wait for the first one's decision.</item>
/// <item><c>scores</c>: the RM's raw scores (a pairwise judge's: 1 / 0.5 / 0 against the group's anchor);
/// <c>rewards</c>: the same, or standardised per RM where the pool file says <c>"standardise": true</c>.</item>
/// <item>The audit (the feedback a trainer gives without sending any): a seeded share of the group decisions is also
/// scored by a second RM; the rank agreement of the two (<see cref="RankAgreement"/>) becomes the decision's reward, once
/// the group has two audited responses, either in one request or, for groups asked per rollout, when the group's window
/// ends (checked at each request).</item>
/// </list>
/// </summary>
internal sealed class RewardEndpoints
{
    private readonly RoutingServer _server;
    private readonly RewardServiceOptions _options;
    private readonly GroupScorer _scorer;
    private readonly RunningStandardiser[] _standardisers;
    private readonly double[] _costs;
    private readonly object _gate = new();
    private readonly Dictionary<string, OpenGroup> _open = new(StringComparer.Ordinal);
    private readonly Counter _groups, _queries, _audits;

    public RewardEndpoints(RoutingServer server, RewardServiceOptions options, IReadOnlyList<BayesianRouter.RewardModels.IRewardModel> rms, Action<RmCall>? onCall)
    {
        _server = server;
        _options = options;
        int arms = rms.Count;
        options.Validate(arms);
        _scorer = new GroupScorer(rms, new GroupScorerOptions { Pairwise = options.Pairwise, OnCall = onCall });
        _standardisers = Enumerable.Range(0, arms).Select(_ => new RunningStandardiser()).ToArray();
        _costs = options.Costs?.ToArray() ?? Enumerable.Repeat(1.0, arms).ToArray();
        var f = Prometheus.Metrics.WithCustomRegistry(server.Metrics.Registry);
        _groups = f.CreateCounter("bayesrouter_reward_groups_total", "Groups scored through the reward endpoints, by the RM that scored them (new decisions and later requests of an open group).", "rm", "kind");
        _queries = f.CreateCounter("bayesrouter_reward_queries_total", "Queries (responses) scored through the reward endpoints, by RM.", "rm");
        _audits = f.CreateCounter("bayesrouter_reward_audits_total", "Audits of group decisions by outcome: scored (the auditor scored the group's responses), feedback (a rank agreement was learned from), failed (the auditor failed).", "outcome");
    }

    /// <summary>Group decisions still open (within their window), for tests and <c>/metrics</c>.</summary>
    public int OpenGroups
    {
        get { lock (_gate) return _open.Count; }
    }

    public async Task Handle(HttpContext context)
    {
        var (ok, request) = await _server.ReadRequest(context, root => RewardRequest.Parse(root, _options.MaxQueries));
        if (!ok) return;
        try
        {
            await Respond(context, request);
        }
        catch (SessionFaultedException e)
        {
            await RoutingServer.Problem(context, 503, "decision log failed", e.Message, null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private async Task Respond(HttpContext context, RewardRequest request)
    {
        var cancel = context.RequestAborted;
        var now = _options.Clock.GetUtcNow();
        await LearnFromExpired(now);

        // the request's groups, in order of first appearance
        var order = new List<string>();
        var members = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < request.Count; i++)
        {
            if (!members.TryGetValue(request.GroupKeys[i], out var list)) members[request.GroupKeys[i]] = list = [];
            if (list.Count == 0) order.Add(request.GroupKeys[i]);
            list.Add(i);
        }
        var open = new Dictionary<string, OpenGroup>(StringComparer.Ordinal);
        var mine = new List<string>();
        lock (_gate)
            foreach (var key in order)
            {
                if (!_open.TryGetValue(key, out var g) || (g.Decided.Task.IsCompleted && now - g.Started > _options.GroupWindow))
                {
                    // a new decision (an expired group's audit was learned from above, or is dropped when it had too few responses)
                    _open[key] = g = new OpenGroup(key, now);
                    mine.Add(key);
                }
                open[key] = g;
            }

        ResponseGroup Texts(string key, string? anchor) =>
            new(key, request.Prompts[members[key][0]], members[key].Select(i => request.Responses[i]).ToArray(), anchor);

        // new groups: one decision each, scored with fallback
        var scores = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var cost = new Dictionary<string, double>(StringComparer.Ordinal);
        var failed = new List<string>();
        if (mine.Count > 0)
        {
            IReadOnlyList<RoutedGroup> routed;
            try
            {
                var texts = mine.Select(k => Texts(k, null)).ToArray();
                var pairs = texts.Select(t =>
                {
                    var (prompt, a, b) = GroupRouting.FeaturePair(t);
                    return new LabelPair(t.GroupId, prompt, a, b, null, t.GroupId);
                }).ToArray();
                var features = await _server.Features(pairs, cancel);
                routed = await _server.Session.ScoreGroupsAsync(texts.Select((t, i) => new GroupToRoute(t.GroupId, features[i], t)).ToArray(), _scorer, cancel);
            }
            catch (Exception e)
            {
                lock (_gate)
                    foreach (var key in mine)
                    {
                        _open.Remove(key);
                        open[key].Decided.TrySetException(e);
                        _ = open[key].Decided.Task.Exception; // observed here: waiters see it too
                    }
                throw;
            }
            for (int g = 0; g < mine.Count; g++)
            {
                var key = mine[g];
                var (decision, s) = routed[g];
                if (s.Scores is null)
                {
                    failed.Add($"group {key}: {s.Error}");
                    lock (_gate) _open.Remove(key);
                    open[key].Decided.TrySetException(new InvalidOperationException(s.Error));
                    _ = open[key].Decided.Task.Exception;
                    continue;
                }
                int arm = s.Arm!.Value;
                scores[key] = s.Scores;
                cost[key] = s.CallsPerArm.Select((calls, n) => calls * _costs[n]).Sum();
                open[key].Decided.TrySetResult(new GroupDecision(decision, arm, request.Responses[members[key][0]], Auditor(decision, arm)));
                _groups.WithLabels(s.Rm!, "new").Inc();
            }
        }

        // groups decided earlier (or by a concurrent request): scored by their RM, against their anchor
        var decided = new Dictionary<string, GroupDecision>(StringComparer.Ordinal);
        foreach (var key in order)
        {
            try
            {
                decided[key] = await open[key].Decided.Task.WaitAsync(cancel);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (!mine.Contains(key)) failed.Add($"group {key}: {e.Message}");
            }
        }
        var later = order.Where(k => decided.ContainsKey(k) && !scores.ContainsKey(k)).ToList();
        foreach (var byArm in later.GroupBy(k => decided[k].Arm))
        {
            var keys = byArm.ToList();
            var texts = keys.Select(k => Texts(k, decided[k].Anchor)).ToArray();
            var results = await _scorer.ScoreWithAsync(byArm.Key, texts, cancel);
            for (int g = 0; g < keys.Count; g++)
            {
                if (results[g].Scores is { } s)
                {
                    scores[keys[g]] = s;
                    cost[keys[g]] = _scorer.CallsFor(byArm.Key, texts[g]) * _costs[byArm.Key];
                    _groups.WithLabels(_scorer.Pool[byArm.Key].Name, "open").Inc();
                }
                else failed.Add($"group {keys[g]}: {_scorer.Pool[byArm.Key].Name} (the group's RM) failed: {results[g].Error}");
            }
        }
        if (failed.Count > 0)
        {
            await RoutingServer.Problem(context, 503, "no RM could score a group",
                $"{failed.Count} of {order.Count} groups could not be scored ({string.Join("; ", failed.Take(3))}); ask again", null);
            return;
        }

        // the audit: a second RM scores the audited groups' responses; their rank agreement is the decision's reward
        var feedback = new List<FeedbackItem>();
        var audited = order.Where(k => decided[k].Auditor is not null && !open[k].FeedbackLearned).ToList(); // once learned, no more auditor calls
        foreach (var byAuditor in audited.GroupBy(k => decided[k].Auditor!.Value))
        {
            var keys = byAuditor.ToList();
            var texts = keys.Select(k => Texts(k, decided[k].Anchor)).ToArray();
            var results = await _scorer.ScoreWithAsync(byAuditor.Key, texts, cancel);
            for (int g = 0; g < keys.Count; g++)
            {
                var key = keys[g];
                if (results[g].Scores is not { } audit)
                {
                    _audits.WithLabels("failed").Inc();
                    continue;
                }
                _audits.WithLabels("scored").Inc();
                cost[key] += _scorer.CallsFor(byAuditor.Key, texts[g]) * _costs[byAuditor.Key];
                var og = open[key];
                lock (og)
                {
                    og.RmScores.AddRange(scores[key]);
                    og.AuditScores.AddRange(audit);
                    if (members[key].Count >= 2 && !og.FeedbackSent && RankAgreement.Concordance(og.RmScores, og.AuditScores) is { } agreement)
                    {
                        og.FeedbackSent = true;
                        feedback.Add(FeedbackItem.OfReward(decided[key].Decision.DecisionId, agreement));
                    }
                }
            }
        }
        await Learn(feedback);

        // the answer, one value per query in input order
        var rewards = new double[request.Count];
        var raw = new double[request.Count];
        foreach (var key in order)
        {
            int arm = decided[key].Arm;
            var s = scores[key];
            var shown = _options.Standardise is { } st && st[arm] ? _standardisers[arm].AddAndStandardise(s) : s;
            for (int k = 0; k < members[key].Count; k++)
            {
                raw[members[key][k]] = s[k];
                rewards[members[key][k]] = shown[k];
            }
            _queries.WithLabels(_scorer.Pool[arm].Name).Inc(members[key].Count);
        }
        context.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(context.Response.Body);
        w.WriteStartObject();
        Numbers(w, "rewards", rewards);
        Numbers(w, "scores", raw);
        w.WriteStartObject("extra_logs");
        Numbers(w, "rm", PerQuery(request, members, order, k => decided[k].Arm));
        Numbers(w, "propensity", PerQuery(request, members, order, k => decided[k].Decision.Probability));
        Numbers(w, "cost", PerQuery(request, members, order, k => cost[k] / members[k].Count));
        Numbers(w, "decision_id", PerQuery(request, members, order, k => decided[k].Decision.Sequence));
        Numbers(w, "auditor", PerQuery(request, members, order, k => decided[k].Auditor ?? -1));
        w.WriteEndObject();
        w.WriteStartArray("decision_ids");
        foreach (var d in PerQuery(request, members, order, k => decided[k].Decision.DecisionId)) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteStartArray("rms");
        foreach (var r in PerQuery(request, members, order, k => _scorer.Pool[decided[k].Arm].Name)) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static T[] PerQuery<T>(RewardRequest request, Dictionary<string, List<int>> members, List<string> order, Func<string, T> value)
    {
        var a = new T[request.Count];
        foreach (var key in order)
        {
            var v = value(key);
            foreach (var i in members[key]) a[i] = v;
        }
        return a;
    }

    private static void Numbers<T>(Utf8JsonWriter w, string name, IEnumerable<T> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndArray();
    }

    /// <summary>
    /// The auditor of a decision, or null when it is not audited: the decision is audited with probability
    /// <see cref="RewardServiceOptions.AuditShare"/>, seeded by the router's seed and the decision id, and its auditor is
    /// drawn the same way from the audit RMs other than the one that scored the group.
    /// </summary>
    private int? Auditor(Decision decision, int scoredBy)
    {
        if (_options.AuditShare <= 0) return null;
        long seed = _server.Session.Setup.Seed;
        if (!(Fraction($"{seed}/audit/{decision.DecisionId}") < _options.AuditShare)) return null;
        var candidates = (_options.AuditArms ?? Enumerable.Range(0, _scorer.Pool.Count).ToArray()).Where(a => a != scoredBy).Distinct().ToArray();
        if (candidates.Length == 0) return null;
        return candidates[(int)(Fraction($"{seed}/auditor/{decision.DecisionId}") * candidates.Length)];
    }

    private static double Fraction(string key) => Convert.ToUInt64(StableHash.Hex(key, 13), 16) / (double)(1UL << 52);

    /// <summary>Closes the groups whose window ended; an audited one with two or more audited responses and no feedback yet is learned from.</summary>
    private async Task LearnFromExpired(DateTimeOffset now)
    {
        var items = new List<FeedbackItem>();
        lock (_gate)
        {
            foreach (var (key, g) in _open.ToArray())
            {
                if (!g.Decided.Task.IsCompletedSuccessfully || now - g.Started <= _options.GroupWindow) continue;
                _open.Remove(key);
                lock (g)
                    if (!g.FeedbackSent && g.AuditScores.Count >= 2 && RankAgreement.Concordance(g.RmScores, g.AuditScores) is { } agreement)
                    {
                        g.FeedbackSent = true;
                        items.Add(FeedbackItem.OfReward(g.Decided.Task.Result.Decision.DecisionId, agreement));
                    }
            }
        }
        await Learn(items);
    }

    private async Task Learn(List<FeedbackItem> items)
    {
        if (items.Count == 0) return;
        var result = await _server.Session.LearnAsync(items);
        _audits.WithLabels("feedback").Inc(result.Accepted);
        _server.Metrics.OnFeedback(result);
    }

    /// <summary>A group's decision as later requests of the group need it: the RM (arm), the anchor for a pairwise judge, the auditor.</summary>
    private sealed record GroupDecision(Decision Decision, int Arm, string Anchor, int? Auditor);

    /// <summary>A group within its window: when it was decided, the decision (once made), and the audit's scores so far.</summary>
    private sealed class OpenGroup(string key, DateTimeOffset started)
    {
        public string Key { get; } = key;
        public DateTimeOffset Started { get; } = started;
        public TaskCompletionSource<GroupDecision> Decided { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<double> RmScores { get; } = [];
        public List<double> AuditScores { get; } = [];
        public bool FeedbackSent { get; set; }

        public bool FeedbackLearned
        {
            get { lock (this) return FeedbackSent; }
        }
    }
}
