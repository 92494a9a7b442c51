using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service.Tests;

public class ServiceEndpointTests
{
    [Fact]
    public async Task Label_answers_in_input_order_with_the_chosen_RMs_judgments_and_feedback_is_counted()
    {
        var rms = TestServer.Rms(3);
        await using var t = await TestServer.StartAsync(rms);
        var pairs = TestServer.MakePairs(40);
        var result = await t.PostAsync("/v1/label", TestServer.Pairs(pairs));
        var labels = result["labels"]!.AsArray();
        Assert.Equal(40, labels.Count);
        var ids = new HashSet<string>();
        for (int i = 0; i < 40; i++)
        {
            var l = labels[i]!.AsObject();
            Assert.Equal(pairs[i].Item1, (string)l["id"]!);
            Assert.True(ids.Add((string)l["decision_id"]!));
            var rm = (string)l["rm"]!;
            double a = ScriptedRm.Score(rm, pairs[i].Item3), b = ScriptedRm.Score(rm, pairs[i].Item4);
            Assert.Equal(a, (double)l["score_a"]!);
            Assert.Equal(b, (double)l["score_b"]!);
            Assert.Equal(a > b ? "a" : b > a ? "b" : "tie", (string)l["preferred"]!);
            Assert.Null(l["fallback_from"]);
            Assert.Null(l["error"]);
        }
        Assert.True(rms.Sum(r => r.Calls) <= 3, "one batched call per RM");

        var feedback = labels.Select((l, i) => (object)(i % 2 == 0
            ? new { decision_id = (string)l!["decision_id"]!, loss = 0.1 * i }
            : new { decision_id = (string)l!["decision_id"]!, reward = 0.5 })).ToArray();
        var fb = await t.PostAsync("/v1/feedback", new { feedback = feedback.Append(new { decision_id = "nope", reward = 1.0 }).Append(feedback[0]).ToArray() });
        Assert.Equal(40, (int)fb["accepted"]!);
        Assert.Equal(["nope"], fb["unknown"]!.AsArray().Select(x => (string)x!));
        Assert.Single(fb["duplicate"]!.AsArray());
        var again = await t.PostAsync("/v1/feedback", new { feedback = feedback.Take(3).ToArray() });
        Assert.Equal(0, (int)again["accepted"]!);
        Assert.Equal(3, again["duplicate"]!.AsArray().Count);

        var router = await t.GetAsync("/v1/router");
        Assert.Equal(["rm0", "rm1", "rm2"], router["pool"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(40, (long)router["decisions"]!);
        Assert.Equal(40, (long)router["feedback"]!);
        var perRm = router["rms"]!.AsObject();
        Assert.Equal(40, perRm.Sum(kv => (long)kv.Value!["decisions"]!));
        Assert.Equal(40, perRm.Sum(kv => (long)kv.Value!["feedback"]!));
        foreach (var (rm, v) in perRm)
        {
            int routed = labels.Count(l => (string)l!["rm"]! == rm);
            Assert.Equal(routed, (long)v!["decisions"]!);
            if (routed > 0) Assert.InRange((double)v["mean_reward"]!, 0, 1);
        }

        var metrics = await t.Client.GetStringAsync("/metrics");
        Assert.Contains("bayesrouter_http_requests_total{endpoint=\"/v1/label\",code=\"200\"} 1", metrics);
        Assert.Contains("bayesrouter_feedback_items_total{outcome=\"accepted\"} 40", metrics);
        Assert.Contains("bayesrouter_rm_calls_total{rm=\"rm0\"}", metrics);
        Assert.Contains("bayesrouter_routing_share{rm=\"rm1\"}", metrics);
        Assert.Contains("bayesrouter_http_request_duration_seconds_bucket{endpoint=\"/v1/label\"", metrics);
    }

    [Fact]
    public async Task Every_endpoint_but_healthz_needs_the_bearer_token_and_the_token_never_reaches_the_log()
    {
        await using var t = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = t.Server.Address };
        using var wrong = new HttpClient { BaseAddress = t.Server.Address };
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.Token + "x");
        var body = new StringContent("{\"pairs\": []}", Encoding.UTF8, "application/json");
        foreach (var client in new[] { anonymous, wrong })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/v1/label", body)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/v1/feedback", body)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/router")).StatusCode);
            var metrics = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
            Assert.Equal("Bearer", metrics.Headers.WwwAuthenticate.Single().Scheme);
        }
        var health = await anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"ok\"", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await t.Client.PostAsync("/v1/label", new StringContent("{\"pairs\": []}"))).StatusCode);
        // A request that makes the service log (its body cut short: 300 bytes announced, 20 sent) must not put the token
        // in the log either.
        Assert.Equal("", t.Log.ToString());
        using (var socket = new System.Net.Sockets.TcpClient())
        {
            await socket.ConnectAsync(t.Server.Address.Host, t.Server.Address.Port);
            var stream = socket.GetStream();
            var head = $"POST /v1/label HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TestServer.Token}\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{{\"pairs\": [{{\"id\": \"p";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.FlushAsync();
            await Task.Delay(200);
        }
        for (int i = 0; i < 100 && !t.Log.ToString().Contains("/v1/label"); i++) await Task.Delay(50);
        var log = t.Log.ToString();
        Assert.Contains("warning: /v1/label: the", log);
        Assert.Contains("nothing of it was done", log);
        Assert.DoesNotContain(TestServer.Token, log);
        Assert.Equal(0, t.Server.Session.Statistics().Decisions);
        Assert.StartsWith("http://127.0.0.1:", t.Server.Address.ToString());
    }

    [Fact]
    public async Task Oversized_bodies_and_batches_get_413()
    {
        await using var t = await TestServer.StartAsync(configure: o => o with { MaxRequestBytes = 4096, MaxPairsPerRequest = 5, MaxFeedbackPerRequest = 3 });
        var big = new string('x', 8000);
        var tooBig = await t.Client.PostAsync("/v1/label", new StringContent(System.Text.Json.JsonSerializer.Serialize(TestServer.Pairs([("p", big, "a", "b")]))));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
        var many = await t.Client.PostAsync("/v1/label", new StringContent(System.Text.Json.JsonSerializer.Serialize(TestServer.Pairs(TestServer.MakePairs(6)))));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, many.StatusCode);
        var problem = JsonNode.Parse(await many.Content.ReadAsStringAsync())!;
        Assert.Equal("pairs", (string)problem["field"]!);
        Assert.Contains("6 items exceed the limit of 5", (string)problem["detail"]!);
        var fb = await t.Client.PostAsync("/v1/feedback", new StringContent("{\"feedback\": [" + string.Join(",", Enumerable.Repeat("{\"decision_id\": \"x\", \"reward\": 1}", 4)) + "]}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, fb.StatusCode);
        await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(5)));
    }

    [Theory]
    [InlineData("/v1/label", "{\"pairs\": [", "$")]
    [InlineData("/v1/label", "[1, 2]", "$")]
    [InlineData("/v1/label", "{\"pears\": []}", "pears")]
    [InlineData("/v1/label", "{\"pairs\": {}}", "pairs")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\"}, {\"id\": \"b\", \"response_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[1].prompt")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": 5, \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[0].id")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"respone_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[0].respone_a")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[0].id")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\", \"group\": \"\"}]}", "pairs[0].group")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\", \"group\": 3}]}", "pairs[0].group")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\"}]}", "feedback[0]")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"loss\": 1, \"reward\": 0}]}", "feedback[0]")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"reward\": 1.5}]}", "feedback[0].reward")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"loss\": \"0.3\"}]}", "feedback[0].loss")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"loss\": 1e999}]}", "feedback[0].loss")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"loss\": NaN}]}", "$")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"loss\": 0.5}]}", "feedback[0].decision_id")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"\", \"loss\": 0.5}]}", "feedback[0].decision_id")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\", \"loss\": 1e308}, {\"decision_id\": \"b\", \"loss\": 1e308}]}", "feedback[0].loss")]
    [InlineData("/v1/feedback", "{\"feedback\": [{\"decision_id\": \"a\\ud800\", \"loss\": 0.5}]}", "feedback[0].decision_id")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\\udc00q\", \"response_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[0].prompt")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\", \"\\ud800\": 1}]}", "pairs[0]")]
    [InlineData("/v1/label", "{\"pairs\": [{\"id\": \"a\", \"prompt\": \"p\", \"response_a\": \"x\", \"response_b\": \"y\"}, {\"id\": \"a\", \"prompt\": \"q\", \"response_a\": \"x\", \"response_b\": \"y\"}]}", "pairs[1].id")]
    [InlineData("/v1/label", "{\"pairs\": [],}", "$")]
    [InlineData("/v1/label", "{'pairs': []}", "$")]
    [InlineData("/v1/label", "{\"pairs\": [] /* none */}", "$")]
    [InlineData("/v1/label", "", "$")]
    public async Task Malformed_bodies_get_400_problem_details_naming_the_field(string path, string body, string field)
    {
        await using var t = await TestServer.StartAsync();
        var response = await t.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)problem["status"]!);
        Assert.StartsWith(field, (string)problem["field"]!);
        var detail = (string?)problem["detail"];
        Assert.False(string.IsNullOrWhiteSpace(detail));
        // in the service's own words: never the JSON reader's text or a .NET type
        foreach (var leak in new[] { "reader options", "LineNumber", "BytePositionInLine", "System.", "Exception", "JsonReader" }) Assert.DoesNotContain(leak, detail);
        if (field == "$") Assert.StartsWith("$: the body ", detail);
        // The service still works after bad input.
        await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(2)));
    }

    [Fact]
    public async Task Failing_RMs_fall_back_nothing_crashes_and_metrics_count_it()
    {
        var good = ScriptedRm.Hashing("good");
        var timeout = ScriptedRm.Hashing("slow");
        timeout.Failure = () => new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 1 seconds elapsing.");
        var error500 = ScriptedRm.Hashing("http500");
        error500.Failure = () => new HttpRequestException("Response status code does not indicate success: 500 (Internal Server Error).");
        var nan = new ScriptedRm("nan", _ => RmJudgment.Failed("nan returned a non-finite score (NaN, 1)"));
        var down = ScriptedRm.Hashing("down");
        down.Failure = () => new HttpRequestException("Connection refused (127.0.0.1:1)");
        IRewardModel[] rms = [timeout, error500, nan, down, good];
        await using var t = await TestServer.StartAsync(rms);
        var pairs = TestServer.MakePairs(60);
        var labels = (await t.PostAsync("/v1/label", TestServer.Pairs(pairs)))["labels"]!.AsArray();
        Assert.All(labels, l => Assert.Equal("good", (string)l!["rm"]!));
        Assert.Contains(labels, l => l!["fallback_from"] is JsonArray { Count: > 0 });
        foreach (var l in labels)
        {
            var from = l!["fallback_from"]?.AsArray().Select(x => (string)x!).ToArray() ?? [];
            Assert.DoesNotContain("good", from);
            Assert.Equal(from.Length, from.Distinct().Count());
        }
        var metrics = await t.Client.GetStringAsync("/metrics");
        foreach (var rm in new[] { "slow", "http500", "down" })
            Assert.Matches($"bayesrouter_rm_call_failures_total{{rm=\"{rm}\"}} [1-9]", metrics);
        Assert.Matches("bayesrouter_rm_pair_failures_total{rm=\"nan\"} [1-9]", metrics);
        Assert.Contains("bayesrouter_rm_call_failures_total{rm=\"good\"} 0", metrics);
        Assert.Matches("bayesrouter_fallbacks_total{from=\"http500\"} [1-9]", metrics);

        // With every RM failing, pairs come back unlabelled with the reasons; feedback on them is reported.
        good.Failure = () => new HttpRequestException("Connection refused");
        var none = (await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(3, "q"))))["labels"]!.AsArray();
        Assert.All(none, l =>
        {
            Assert.Null(l!["preferred"]);
            Assert.Null(l["rm"]);
            Assert.Contains("Connection refused", (string)l["error"]!);
            Assert.Equal(5, l["fallback_from"]!.AsArray().Count);
        });
        var fb = await t.PostAsync("/v1/feedback", new { feedback = none.Select(l => new { decision_id = (string)l!["decision_id"]!, reward = 1.0 }).ToArray() });
        Assert.Equal(0, (int)fb["accepted"]!);
        Assert.Equal(3, fb["unlabelled"]!.AsArray().Count);
        Assert.Matches("bayesrouter_unlabelled_pairs_total 3", await t.Client.GetStringAsync("/metrics"));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await t.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_restart_on_the_same_state_keeps_decisions_feedback_and_posteriors()
    {
        var state = Path.Combine(Path.GetTempPath(), "br-restart-" + Guid.NewGuid().ToString("N")[..8]);
        var reference = Path.Combine(Path.GetTempPath(), "br-restart-ref-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var uninterrupted = await TestServer.StartAsync(state: reference);
            var first = await TestServer.StartAsync(state: state, configure: o => o with { CheckpointEveryBatches = 3 });
            var pendingLive = new List<string>();
            var pendingReference = new List<string>();
            async Task Step(TestServer live, int step, bool sendFeedback)
            {
                var pairs = TestServer.MakePairs(16, $"s{step}-");
                var a = (await live.PostAsync("/v1/label", TestServer.Pairs(pairs)))["labels"]!.AsArray();
                var b = (await uninterrupted.PostAsync("/v1/label", TestServer.Pairs(pairs)))["labels"]!.AsArray();
                Assert.Equal(b.Select(l => (string)l!["rm"]!), a.Select(l => (string)l!["rm"]!));
                pendingLive.AddRange(a.Select(l => (string)l!["decision_id"]!));
                pendingReference.AddRange(b.Select(l => (string)l!["decision_id"]!));
                if (!sendFeedback) return;
                foreach (var (server, ids) in new[] { (live, pendingLive), (uninterrupted, pendingReference) })
                {
                    var result = await server.PostAsync("/v1/feedback", new { feedback = ids.Select((id, i) => new { decision_id = id, loss = (double)(i % 7) / 7 }).ToArray() });
                    Assert.Equal(ids.Count, (int)result["accepted"]!);
                    ids.Clear();
                }
            }
            // The two servers share the seed, so they make the same decisions; decision ids differ by instance.
            for (int s = 0; s < 5; s++) await Step(first, s, sendFeedback: s != 4);
            await first.CrashAsync(); // as kill -9 leaves it: no last checkpoint
            await using var second = await TestServer.StartAsync(state: state);
            // the checkpoint (one every 3 batches, written after the answer) covers 3 of the 4 feedback batches at most: the rest is replayed
            Assert.InRange(second.Server.Session.ReplayedBatches, 1, 4);
            var router = await second.GetAsync("/v1/router");
            Assert.Equal(80, (long)router["decisions"]!);
            Assert.Equal(64, (long)router["feedback"]!);
            await Step(second, 5, sendFeedback: true); // feedback for decisions made before the restart is accepted
            router = await second.GetAsync("/v1/router");
            Assert.Equal(96, (long)router["decisions"]!);
            Assert.Equal(96, (long)router["feedback"]!);
            Assert.Equal((string)(await uninterrupted.GetAsync("/v1/router"))["learned_state_sha256"]!, (string)router["learned_state_sha256"]!);
            Assert.True(File.Exists(Path.Combine(state, RoutingServer.CheckpointFileName)));
        }
        finally
        {
            foreach (var d in new[] { state, reference })
                try { Directory.Delete(d, true); } catch (IOException) { }
        }
    }
}
