using System.Text.Json.Nodes;
using BayesianRouter.Rewards;
using BayesianRouter.Service.Export;
using BayesianRouter.Service.Rewards;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// <c>POST /get_reward</c> and <c>/v1/rewards</c> against recorded RMs served over HTTP on loopback (two vLLM
/// classifiers, an OpenRLHF reward server, an OpenAI-compatible judge), the way OpenRLHF calls them.
/// </summary>
public class RewardEndpointTests
{
    internal static async Task<(RecordedRmFarm Farm, BayesianRouter.RewardModels.RemoteRewardModelPool Clients, TestServer Server, List<RolloutGroups.Group> Groups)> Start(
        int groups, int size, Func<RewardServiceOptions, RewardServiceOptions>? rewards = null, Func<BayesianRouter.RewardModels.RmSpec, BayesianRouter.RewardModels.RmSpec>? spec = null)
    {
        var (list, pairs) = RolloutGroups.Make(groups, size);
        var farm = await RecordedRmFarm.StartAsync(pairs);
        var clients = farm.Clients(spec is null ? null : farm.Specs.Select(spec).ToArray());
        var options = new RewardServiceOptions { Pairwise = RecordedRmFarm.Rms.Select(r => r.Name == "judge").ToArray(), AuditShare = 0 };
        var server = await TestServer.StartAsync(clients.ToArray(), configure: o => o with { Rewards = rewards?.Invoke(options) ?? options });
        return (farm, clients, server, list);
    }

    private static object Batch(IEnumerable<(RolloutGroups.Group Group, int Index)> queries, bool groupIds = false)
    {
        var q = queries.ToArray();
        return groupIds
            ? new { query = q.Select(x => x.Group.Prompt + x.Group.Responses[x.Index]).ToArray(), prompts = q.Select(x => x.Group.Prompt).ToArray(), labels = q.Select(_ => "42").ToArray(), group_ids = q.Select(x => "id:" + x.Group.Prompt.GetHashCode()).ToArray() }
            : new { query = q.Select(x => x.Group.Prompt + x.Group.Responses[x.Index]).ToArray(), prompts = q.Select(x => x.Group.Prompt).ToArray(), labels = q.Select(_ => "42").ToArray() };
    }

    private static double[] Doubles(JsonNode? a) => a!.AsArray().Select(x => (double)x!).ToArray();

    [Theory]
    [InlineData("/get_reward")]
    [InlineData("/v1/rewards")]
    public async Task A_batch_of_64_queries_gets_one_reward_each_one_RM_per_group_and_the_RMs_recorded_scores(string path)
    {
        var (farm, clients, t, groups) = await Start(16, 4);
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        // OpenRLHF 0.9 sends a micro-batch of rollouts, a prompt's n samples side by side; shuffle to check the grouping
        var queries = groups.SelectMany(g => Enumerable.Range(0, 4).Select(i => (g, i))).OrderBy(x => (x.i * 7 + x.g.Prompt.Length) % 5).ThenBy(x => x.g.Prompt).ToArray();
        var answer = await t.PostAsync(path, Batch(queries));
        var rewards = Doubles(answer["rewards"]);
        var scores = Doubles(answer["scores"]);
        var logs = answer["extra_logs"]!.AsObject();
        var rm = Doubles(logs["rm"]);
        var propensity = Doubles(logs["propensity"]);
        var decision = Doubles(logs["decision_id"]);
        Assert.Equal(64, rewards.Length);
        Assert.Equal(64, scores.Length);
        Assert.Equal(64, Doubles(logs["cost"]).Length);
        Assert.Equal(rewards, scores); // no RM asks for standardisation
        var pool = t.Server.Session.Pool;
        var byGroup = queries.Select((q, k) => (q.g, q.i, k)).GroupBy(x => x.g.Prompt);
        foreach (var g in byGroup)
        {
            var members = g.ToArray();
            Assert.Single(members.Select(m => rm[m.k]).Distinct());
            Assert.Single(members.Select(m => decision[m.k]).Distinct());
            Assert.Single(members.Select(m => propensity[m.k]).Distinct());
            string name = pool[(int)rm[members[0].k]];
            Assert.Equal(name, (string)answer["rms"]![members[0].k]!);
            // a judge's anchor is the group's first response in the request
            int anchor = members.OrderBy(m => m.k).First().i;
            foreach (var m in members) Assert.Equal(RolloutGroups.Expected(m.g, name, m.i, anchor), scores[m.k], 12);
            Assert.InRange(propensity[members[0].k], 1e-9, 1);
        }
        Assert.Equal(16, t.Server.Session.Statistics().Decisions);
        Assert.Equal(16, decision.Distinct().Count());
    }

    [Fact]
    public async Task Rollouts_asked_one_per_request_and_concurrently_stay_on_one_RM_per_group()
    {
        var (farm, clients, t, groups) = await Start(8, 4);
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        // OpenRLHF 0.11 asks per sample ([query], [prompt], [label]) from concurrent asyncio tasks
        var tasks = groups.SelectMany(g => Enumerable.Range(0, 4).Select(i => (g, i)))
            .Select(async x => (x.g, x.i, Answer: await t.PostAsync("/get_reward", Batch([x])))).ToArray();
        var answers = await Task.WhenAll(tasks);
        var pool = t.Server.Session.Pool;
        foreach (var g in answers.GroupBy(a => a.g.Prompt))
        {
            var rms = g.Select(a => (string)a.Answer["rms"]![0]!).Distinct().ToArray();
            Assert.Single(rms);
            Assert.Single(g.Select(a => (string)a.Answer["decision_ids"]![0]!).Distinct());
            // a judge compares each rollout with the group's anchor: the rollout whose request made the decision
            var anchors = Enumerable.Range(0, 4).Where(anchor => g.All(a => RolloutGroups.Expected(a.g, rms[0], a.i, anchor) == (double)a.Answer["scores"]![0]!)).ToArray();
            Assert.NotEmpty(anchors);
        }
        Assert.Equal(8, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task The_audit_learns_the_rank_agreement_of_the_group_with_a_second_RM()
    {
        var (farm, clients, t, groups) = await Start(12, 4, o => o with { AuditShare = 1, Pairwise = null, AuditArms = [0, 1, 3] });
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        // only the scalar RMs here (the judge is kept out of the audit; it may still score groups, as a scalar it fails and falls back)
        var queries = groups.SelectMany(g => Enumerable.Range(0, 4).Select(i => (g, i))).ToArray();
        var answer = await t.PostAsync("/get_reward", Batch(queries, groupIds: true));
        var logs = answer["extra_logs"]!.AsObject();
        var auditor = Doubles(logs["auditor"]);
        var pool = t.Server.Session.Pool;
        var exported = DecisionExport.Read(t.StateDirectory).ToDictionary(d => d.DecisionId);
        Assert.Equal(12, exported.Count);
        for (int g = 0; g < groups.Count; g++)
        {
            int k = g * 4;
            string scoredBy = (string)answer["rms"]![k]!;
            Assert.True(auditor[k] >= 0, "every group is audited at share 1");
            string audit = pool[(int)auditor[k]];
            Assert.NotEqual(scoredBy, audit);
            var expected = RankAgreement.Concordance(groups[g].Scores[scoredBy], groups[g].Scores[audit])!.Value;
            var row = exported[(string)answer["decision_ids"]![k]!];
            Assert.Equal("reward", row.FeedbackKind);
            Assert.Equal(expected, row.FeedbackValue!.Value, 12);
            Assert.Equal($"id:{groups[g].Prompt.GetHashCode()}", row.Group);
            // the cost of a query: its share of the group's scorings by the RM (and by any RM that failed first) and by the auditor, 1 each
            int failedFirst = row.FallbackFrom?.Split(',').Length ?? 0;
            Assert.Equal(2.0 + failedFirst, (double)logs["cost"]![k]!, 9);
        }
        Assert.Equal(12, t.Server.Session.Statistics().Feedback);
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Groups_asked_one_rollout_per_request_are_audited_when_their_window_ends()
    {
        var clock = new ManualClock();
        var (farm, clients, t, groups) = await Start(5, 4, o => o with { AuditShare = 1, AuditArms = [0, 1, 3], GroupWindow = TimeSpan.FromSeconds(60), Clock = clock });
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        var answers = new List<(int Group, JsonObject Answer)>();
        for (int g = 0; g < 4; g++)
            for (int i = 0; i < 4; i++)
            {
                answers.Add((g, await t.PostAsync("/get_reward", Batch([(groups[g], i)]))));
                clock.Now += TimeSpan.FromSeconds(1);
            }
        Assert.Equal(4, t.Server.Session.Statistics().Decisions);
        Assert.Equal(0, t.Server.Session.Statistics().Feedback); // one audited response per request: nothing to rank yet
        clock.Now += TimeSpan.FromSeconds(61);
        await t.PostAsync("/get_reward", Batch([(groups[4], 0)])); // any request closes the expired groups
        Assert.Equal(4, t.Server.Session.Statistics().Feedback);
        var pool = t.Server.Session.Pool;
        var exported = DecisionExport.Read(t.StateDirectory).ToDictionary(d => d.DecisionId);
        for (int g = 0; g < 4; g++)
        {
            var first = answers.First(a => a.Group == g).Answer;
            string rm = (string)first["rms"]![0]!, auditor = pool[(int)(double)first["extra_logs"]!["auditor"]![0]!];
            var mine = Enumerable.Range(0, 4).Select(i => RolloutGroups.Expected(groups[g], rm, i, anchor: 0)).ToArray();
            var theirs = Enumerable.Range(0, 4).Select(i => RolloutGroups.Expected(groups[g], auditor, i, anchor: 0)).ToArray();
            Assert.Equal(RankAgreement.Concordance(mine, theirs)!.Value, exported[(string)first["decision_ids"]![0]!].FeedbackValue!.Value, 12);
        }
        // after the window a group is routed anew
        await t.PostAsync("/get_reward", Batch([(groups[0], 1)]));
        Assert.Equal(6, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task Standardised_rewards_follow_the_RMs_running_moments_and_scores_stay_raw()
    {
        var (farm, clients, t, groups) = await Start(6, 5, o => o with { Standardise = [true, true, true, true] });
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        var seen = new Dictionary<string, RunningStandardiser>();
        foreach (var g in groups)
        {
            var answer = await t.PostAsync("/get_reward", Batch(Enumerable.Range(0, 5).Select(i => (g, i))));
            var rm = (string)answer["rms"]![0]!;
            var scores = Doubles(answer["scores"]);
            var expected = (seen.TryGetValue(rm, out var s) ? s : seen[rm] = new RunningStandardiser()).AddAndStandardise(scores);
            Assert.Equal(expected, Doubles(answer["rewards"]));
            for (int i = 0; i < 5; i++) Assert.Equal(RolloutGroups.Expected(g, rm, i), scores[i], 12);
        }
    }

    [Fact]
    public async Task An_RM_at_its_rate_limit_with_on_limit_reroute_sends_its_groups_to_the_next_RM()
    {
        // the two vLLM classifiers (one request per response) may take 4 requests a minute and say reroute
        var (farm, clients, t, groups) = await Start(16, 4, spec: s => s.Backend == BayesianRouter.RewardModels.RmBackend.VllmClassify
            ? s with { RequestsPerMinute = 4, OnLimit = BayesianRouter.RewardModels.RateLimitAction.Reroute } : s);
        await using var _ = farm;
        using var __ = clients;
        await using var ___ = t;
        var answer = await t.PostAsync("/get_reward", Batch(groups.SelectMany(g => Enumerable.Range(0, 4).Select(i => (g, i)))));
        var exported = DecisionExport.Read(t.StateDirectory);
        Assert.Equal(16, exported.Count);
        var rerouted = exported.Where(d => d.FallbackFrom != null).ToArray();
        Assert.NotEmpty(rerouted); // 16 groups x 4 responses: the classifiers' buckets cannot take their share
        Assert.All(exported, d => Assert.NotNull(d.LabelledBy));
        Assert.Contains(exported, d => d.Error is null && d.FallbackFrom is { } f && (f.Contains("armo") || f.Contains("intern")));
        var served = farm.Servers.Select((s, n) => (RecordedRmFarm.Rms[n].Name, s.Requests)).ToDictionary(x => x.Name, x => x.Requests);
        Assert.True(served["armo"] <= 4 && served["intern"] <= 4, $"armo {served["armo"]}, intern {served["intern"]}");
        // every group still on one RM, the one that scored it
        for (int g = 0; g < 16; g++) Assert.Single(Enumerable.Range(0, 4).Select(i => (string)answer["rms"]![g * 4 + i]!).Distinct());
    }

    [Theory]
    [InlineData("""{"query": ["a b"]}""", "prompts")]
    [InlineData("""{"query": ["p1 x", "zz"], "prompts": ["p1", "p2"]}""", "query[1]")]
    [InlineData("""{"query": ["p1 x"], "prompts": ["p1", "p2"]}""", "prompts")]
    [InlineData("""{"query": ["p1 x"], "prompts": ["p1"], "group": ["g"]}""", "group")]
    [InlineData("""{"query": [1], "prompts": ["p1"]}""", "query[0]")]
    public async Task Malformed_requests_are_400_naming_the_field(string body, string field)
    {
        await using var t = await TestServer.StartAsync();
        using var response = await t.Client.PostAsync("/get_reward", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(field, (string)JsonNode.Parse(text)!["field"]!);
        Assert.Equal(0, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task Without_the_token_the_endpoint_is_401()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.Address };
        using var response = await anonymous.PostAsync("/get_reward", new StringContent("""{"query": ["p x"], "prompts": ["p"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(401, (int)response.StatusCode);
    }
}
