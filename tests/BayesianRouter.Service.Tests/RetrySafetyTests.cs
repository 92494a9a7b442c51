using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Service.Tests;

/// <summary>
/// What makes a client's retry safe (docs/service.md, "Retries"): a pair id the log holds is answered with its logged
/// decision, never a new draw; an Idempotency-Key is logged with its request's decisions or feedback, so a retry gets
/// the first attempt's answer, also after a crash; concurrent copies of one request decide each pair once; the
/// request deadline answers even when an RM hangs; errors are problem details in the service's words.
/// </summary>
public class RetrySafetyTests
{
    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, JsonObject Body)> Post(TestServer t, string path, object body, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        if (key != null) request.Headers.Add("Idempotency-Key", key);
        using var response = await t.Client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static string[] Column(JsonObject labels, string field) => labels["labels"]!.AsArray().Select(l => l![field]?.ToJsonString() ?? "null").ToArray();

    private static string TempState() => Path.Combine(Path.GetTempPath(), "br-retry-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task A_pair_id_already_decided_is_answered_with_its_logged_decision_and_another_pair_under_it_is_a_409()
    {
        await using var t = await TestServer.StartAsync();
        var pairs = TestServer.MakePairs(12);
        var first = await t.PostAsync("/v1/label", TestServer.Pairs(pairs));
        // Again, reordered, with two new pairs: the twelve come back as logged; only the new ones are decided.
        var mixed = Enumerable.Reverse(pairs).Concat(TestServer.MakePairs(2, "new")).ToArray();
        var second = await t.PostAsync("/v1/label", TestServer.Pairs(mixed));
        Assert.Equal(Enumerable.Reverse(Column(first, "decision_id")), Column(second, "decision_id").Take(12));
        Assert.Equal(Enumerable.Reverse(Column(first, "rm")), Column(second, "rm").Take(12));
        Assert.Equal(Enumerable.Reverse(Column(first, "score_a")), Column(second, "score_a").Take(12));
        Assert.Equal(14, t.Server.Session.Statistics().Decisions);
        Assert.Contains("bayesrouter_pairs_answered_from_log_total 12", await t.Client.GetStringAsync("/metrics"));

        // The same id for other texts, another domain or another group is refused whole, naming the pair; nothing is decided.
        foreach (var other in new object[]
                 {
                     new { id = "p3", prompt = "question p3", response_a = "answer a 3", response_b = "changed" },
                     new { id = "p3", prompt = "question p3", response_a = "answer a 3", response_b = "answer b 3", domain = "algebra" },
                     new { id = "p3", prompt = "question p3", response_a = "answer a 3", response_b = "answer b 3", group = "g" },
                 })
        {
            var (status, problem) = await Post(t, "/v1/label", new { pairs = new[] { new { id = "fresh", prompt = "f", response_a = "x", response_b = "y" } }.Cast<object>().Append(other).ToArray() });
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal("pairs[1].id", (string)problem["field"]!);
            Assert.Contains("pair id \"p3\" was decided before for another pair", (string)problem["detail"]!);
        }
        Assert.Equal(14, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task A_retried_label_request_gets_the_same_decisions_and_a_key_reused_for_other_content_is_a_422()
    {
        await using var t = await TestServer.StartAsync();
        var body = TestServer.Pairs(TestServer.MakePairs(8));
        var (s1, a) = await Post(t, "/v1/label", body, key: "k-label-1");
        var (s2, b) = await Post(t, "/v1/label", body, key: "k-label-1");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (s1, s2));
        Assert.Equal(a.ToJsonString(), b.ToJsonString());
        Assert.Equal(8, t.Server.Session.Statistics().Decisions);

        var (other, problem) = await Post(t, "/v1/label", TestServer.Pairs(TestServer.MakePairs(3, "q")), key: "k-label-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other);
        Assert.Equal("Idempotency-Key", (string)problem["field"]!);
        Assert.Contains("other content", (string)problem["detail"]!);
        var (wrongEndpoint, _) = await Post(t, "/v1/feedback", new { feedback = new[] { new { decision_id = "x", reward = 1.0 } } }, key: "k-label-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongEndpoint);
        var (badKey, badKeyProblem) = await Post(t, "/v1/label", body, key: new string('k', 256));
        Assert.Equal(HttpStatusCode.BadRequest, badKey);
        Assert.Equal("Idempotency-Key", (string)badKeyProblem["field"]!);
        Assert.Equal(8, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task A_retried_feedback_request_gets_its_first_answer_and_is_learned_from_once_also_after_a_crash()
    {
        var state = TempState();
        try
        {
            var first = await TestServer.StartAsync(state: state);
            var labels = (await first.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(10))))["labels"]!.AsArray();
            var items = labels.Select((l, i) => new { decision_id = (string)l!["decision_id"]!, loss = 0.1 * i }).Cast<object>()
                .Append(new { decision_id = "nope", loss = 0.5 }).ToArray();
            var (s1, answer) = await Post(first, "/v1/feedback", new { feedback = items }, key: "k-fb-1");
            Assert.Equal(HttpStatusCode.OK, s1);
            Assert.Equal(10, (int)answer["accepted"]!);
            var digest = first.Server.Session.LearnedStateDigest();
            var (s2, again) = await Post(first, "/v1/feedback", new { feedback = items }, key: "k-fb-1");
            Assert.Equal(answer.ToJsonString(), again.ToJsonString());
            Assert.Equal(1, first.Server.Session.FeedbackBatches);
            Assert.Equal(digest, first.Server.Session.LearnedStateDigest());
            // Without the key, the same items are (rightly) duplicates: the key is what gives the retry its answer back.
            var (_, unkeyed) = await Post(first, "/v1/feedback", new { feedback = items });
            Assert.Equal(0, (int)unkeyed["accepted"]!);
            Assert.Equal(10, unkeyed["duplicate"]!.AsArray().Count);
            await first.CrashAsync();

            await using var second = await TestServer.StartAsync(state: state);
            var (s3, afterCrash) = await Post(second, "/v1/feedback", new { feedback = items }, key: "k-fb-1");
            Assert.Equal(HttpStatusCode.OK, s3);
            Assert.Equal(answer.ToJsonString(), afterCrash.ToJsonString());
            Assert.Equal(digest, second.Server.Session.LearnedStateDigest());
            Assert.Equal(10, second.Server.Session.Statistics().Feedback);
            var (changed, _) = await Post(second, "/v1/feedback", new { feedback = items.Take(3).ToArray() }, key: "k-fb-1");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, changed);
        }
        finally
        {
            try { Directory.Delete(state, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Concurrent_copies_of_one_request_decide_each_pair_once()
    {
        var slow = TestServer.Rms(3);
        foreach (var rm in slow) rm.Delay = TimeSpan.FromMilliseconds(150); // the copies overlap
        await using var t = await TestServer.StartAsync(slow);
        var body = TestServer.Pairs(TestServer.MakePairs(20));
        // 8 copies at once: some with the same key (a retry while the first attempt runs), some with none.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Post(t, "/v1/label", body, key: i % 2 == 0 ? "k-same" : null)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.All(answers, a => Assert.Equal(answers[0].Body.ToJsonString(), a.Body.ToJsonString()));
        Assert.Equal(20, t.Server.Session.Statistics().Decisions);
        using var store = SqliteDecisionStore.OpenExisting(t.StateDirectory);
        Assert.Equal(20, store.ReadDecisions().Select(e => e.Decision.PairId).Distinct().Count());
    }

    [Fact]
    public async Task An_RM_that_hangs_falls_back_within_the_request_deadline_and_the_request_answers()
    {
        var hanging = ScriptedRm.Hashing("hangs");
        hanging.Delay = TimeSpan.FromMinutes(5);
        var quick = ScriptedRm.Hashing("quick");
        await using var t = await TestServer.StartAsync([hanging, quick], configure: o => o with { RequestDeadline = TimeSpan.FromSeconds(2) });
        var clock = Stopwatch.StartNew();
        var labels = (await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(24))))["labels"]!.AsArray();
        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"answered after {clock.Elapsed}"); // far below the hanging RM's 5 minutes
        Assert.All(labels, l => Assert.Equal("quick", (string)l!["rm"]!));
        var fellBack = labels.Where(l => l!["fallback_from"] is JsonArray).ToArray();
        Assert.NotEmpty(fellBack); // the router sent some pairs to the hanging RM first
        Assert.All(fellBack, l => Assert.Equal(["hangs"], l!["fallback_from"]!.AsArray().Select(x => (string)x!)));
        using var store = SqliteDecisionStore.OpenExisting(t.StateDirectory);
        var reasons = store.ReadDecisions().SelectMany(e => e.Label.FallbackFrom).Select(f => f.Reason).ToArray();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, r => Assert.Matches(@"^deadline: no answer within (0\.9\d*|1) s", r)); // half the deadline: a fallback was left

        // With no RM answering in time, the pairs come back unlabelled, saying so, and the request still answers.
        quick.Delay = TimeSpan.FromMinutes(5);
        var none = (await t.PostAsync("/v1/label", TestServer.Pairs(TestServer.MakePairs(4, "late"))))["labels"]!.AsArray();
        Assert.All(none, l =>
        {
            Assert.Null(l!["preferred"]);
            Assert.Contains("deadline", (string)l["error"]!);
        });
    }

    /// <summary>An encoder that fails: a fault of the service itself, not of the request.</summary>
    private sealed class BrokenEmbedder : IPairEmbedder
    {
        public string EncoderId => "test-hash-8";
        public int Dimension => 8;
        public int MaxTokens => 128;
        public IReadOnlyList<PairEmbedding> Embed(IReadOnlyList<PreferencePair> pairs, IProgress<(int Done, int Total)>? progress = null) =>
            throw new InvalidOperationException("the encoder broke");
    }

    [Fact]
    public async Task A_fault_of_the_service_is_a_500_problem_in_its_words_and_a_line_in_its_log()
    {
        await using var t = await TestServer.StartAsync(configure: o => o with { Embedder = new BrokenEmbedder() });
        using var response = await t.Client.PostAsync("/v1/label", Json(TestServer.Pairs(TestServer.MakePairs(2))));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("internal error", (string)problem["title"]!);
        Assert.DoesNotContain("Exception", (string)problem["detail"]!);
        Assert.Contains("error: /v1/label: the request failed (InvalidOperationException: the encoder broke)", t.Log.ToString());
        Assert.Equal(0, t.Server.Session.Statistics().Decisions);
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_and_a_port_in_use_are_refused_before_the_state_is_created()
    {
        var state = TempState();
        var unresolved = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(state: state, configure: o => o with { Host = "nosuchhost.invalid" }));
        Assert.Contains("does not resolve", unresolved.Message);
        Assert.False(Directory.Exists(state));

        await using var taken = await TestServer.StartAsync();
        var inUse = await Assert.ThrowsAsync<IOException>(() => TestServer.StartAsync(state: state, configure: o => o with { Port = taken.Server.Address.Port }));
        Assert.Contains($"cannot listen on 127.0.0.1:{taken.Server.Address.Port}: the address is already in use", inUse.Message);
        Assert.False(Directory.Exists(state));

        Assert.Equal(["127.0.0.1"], ListenAddresses.Resolve("localhost").Select(a => a.ToString()));
        Assert.Equal(["::1"], ListenAddresses.Resolve("[::1]").Select(a => a.ToString()));
        Assert.True(ListenAddresses.IsLoopback("localhost"));
        Assert.False(ListenAddresses.IsLoopback("0.0.0.0"));
        Assert.False(ListenAddresses.IsLoopback("nosuchhost.invalid"));
    }
}
