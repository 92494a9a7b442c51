using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using BayesianRouter.RewardModels.Serving;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Service.Tests;

/// <summary>The service against real RM servers on loopback (the recorded-RM server over three protocols).</summary>
public class RecordedRmEndToEndTests
{
    [Fact]
    public async Task Labels_equal_the_chosen_RMs_recorded_judgments_and_accuracy_equals_a_direct_count()
    {
        var pairs = RecordedRmFarm.MakePairs(256);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        using var clients = farm.Clients();
        await using var t = await TestServer.StartAsync(clients.ToArray());
        var byId = pairs.ToDictionary(p => p.Id);
        int right = 0, labelled = 0;
        var perRm = new Dictionary<string, (int Pairs, int Right)>();
        for (int start = 0; start < pairs.Count; start += 32)
        {
            var batch = pairs.Skip(start).Take(32).ToArray();
            var labels = (await t.PostAsync("/v1/label", new
            {
                pairs = batch.Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB, domain = p.Domain }).ToArray(),
            }))["labels"]!.AsArray();
            var feedback = new List<object>();
            for (int i = 0; i < batch.Length; i++)
            {
                var l = labels[i]!.AsObject();
                var p = byId[(string)l["id"]!];
                Assert.Equal(batch[i].Id, p.Id);
                var rm = (string)l["rm"]!;
                var recorded = p.Judgments[rm];
                Assert.Equal(recorded.Prefers().ToText(), (string)l["preferred"]!);
                if (recorded.IsScored)
                {
                    Assert.Equal(recorded.ScoreA, (double)l["score_a"]!);
                    Assert.Equal(recorded.ScoreB, (double)l["score_b"]!);
                }
                Assert.Null(l["fallback_from"]);
                bool isRight = (string)l["preferred"]! == p.Preferred!.Value.ToText();
                Assert.Equal(p.IsRight(rm), isRight);
                right += isRight ? 1 : 0;
                labelled++;
                var c = perRm.GetValueOrDefault(rm);
                perRm[rm] = (c.Pairs + 1, c.Right + (isRight ? 1 : 0));
                feedback.Add(new { decision_id = (string)l["decision_id"]!, reward = isRight ? 1.0 : 0.0 });
            }
            var fb = await t.PostAsync("/v1/feedback", new { feedback });
            Assert.Equal(batch.Length, (int)fb["accepted"]!);
        }
        Assert.Equal(pairs.Count, labelled);
        var router = await t.GetAsync("/v1/router");
        Assert.Equal(pairs.Count, (long)router["decisions"]!);
        Assert.Equal(pairs.Count, (long)router["feedback"]!);
        // The service's accuracy (mean reward per RM, weighted by its pairs) equals the direct count of right labels.
        double fromService = router["rms"]!.AsObject().Sum(kv => (long)kv.Value!["feedback"]! * ((double?)kv.Value["mean_reward"] ?? 0));
        Assert.Equal(right, fromService, 9);
        foreach (var (rm, (n, r)) in perRm)
        {
            Assert.Equal(n, (long)router["rms"]![rm]!["decisions"]!);
            Assert.Equal((double)r / n, (double)router["rms"]![rm]!["mean_reward"]!, 12);
        }
        Assert.True(perRm.Count >= 3, "the router explores the pool");
        var metrics = await t.Client.GetStringAsync("/metrics");
        Assert.Contains("bayesrouter_rm_calls_total{rm=\"judge\"}", metrics);
        // The RM clients' own System.Diagnostics.Metrics telemetry is exported too.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(metrics, "bayesianrouter_rewardmodels_bayesrouter_rm_requests{[^}]*rm=\"judge\"[^}]*} [1-9]"), metrics);
    }

    [Theory]
    [InlineData(RmFault.Timeout)]
    [InlineData(RmFault.ServerError)]
    [InlineData(RmFault.Malformed)]
    [InlineData(RmFault.NaN)]
    [InlineData(null)] // down: nothing listens
    public async Task A_faulty_RM_server_makes_its_pairs_fall_back_and_is_counted(RmFault? fault)
    {
        var pairs = RecordedRmFarm.MakePairs(48, seed: 5);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var specs = farm.Specs.ToArray();
        specs[1] = specs[1] with { TimeoutSeconds = 0.5 }; // the faulty RM; the healthy ones keep 5 s (cold servers on a busy machine)
        if (fault is { } f) farm.Servers[1].Fault = f;
        else specs[1] = specs[1] with { Url = ClosedPort() };
        using var clients = farm.Clients(specs);
        await using var t = await TestServer.StartAsync(clients.ToArray());
        var labels = (await t.PostAsync("/v1/label", new
        {
            pairs = pairs.Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB }).ToArray(),
        }))["labels"]!.AsArray();
        var byId = pairs.ToDictionary(p => p.Id);
        int fellBack = 0;
        foreach (var l in labels)
        {
            var rm = (string)l!["rm"]!;
            Assert.NotEqual("sky", rm);
            Assert.Equal(byId[(string)l["id"]!].Judgments[rm].Prefers().ToText(), (string)l["preferred"]!);
            if (l["fallback_from"] is JsonArray from)
            {
                Assert.True(from.Select(x => (string)x!).SequenceEqual(["sky"]), l.ToJsonString() + "\n" + Reasons(t));
                fellBack++;
            }
        }
        Assert.True(fellBack > 0, "some pairs were routed to the faulty RM first");
        var metrics = await t.Client.GetStringAsync("/metrics");
        Assert.Matches($"bayesrouter_rm_pair_failures_total{{rm=\"sky\"}} {fellBack}\\b", metrics);
        Assert.Matches($"bayesrouter_fallbacks_total{{from=\"sky\"}} {fellBack}\\b", metrics);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await t.Client.GetAsync("/healthz")).StatusCode);
        // The faulty RM does not break the next request either.
        Assert.Equal(48, (await t.PostAsync("/v1/label", new { pairs = pairs.Select(p => new { id = p.Id, prompt = p.Prompt, response_a = p.ResponseA, response_b = p.ResponseB }).ToArray() }))["labels"]!.AsArray().Count);
    }

    private static string Reasons(TestServer t)
    {
        using var store = SqliteDecisionStore.OpenExisting(t.StateDirectory);
        return string.Join("\n", store.ReadDecisions().SelectMany(e => e.Label.FallbackFrom.Select(f => $"{e.Decision.PairId} {f.Rm}: {f.Reason}")).Take(10));
    }

    private static Uri ClosedPort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
