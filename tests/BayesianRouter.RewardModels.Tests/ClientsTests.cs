using System.Text.Json;
using BayesianRouter.RewardModels.Pipeline;
using BayesianRouter.RewardModels.Protocols;
using Microsoft.AspNetCore.Http;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>Each backend's client against the recorded-RM server: the labels are the recorded judgments.</summary>
public class ClientsTests
{
    [Theory]
    [InlineData(RmBackend.VllmClassify)]
    [InlineData(RmBackend.OpenRlhf)]
    public async Task ScalarClientsReturnTheRecordedScores(RmBackend backend)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        using var rm = RewardModelFactory.Create(TestRms.Spec(backend, server.Url));
        var results = await rm.JudgeAsync(TestRms.Texts);

        Assert.Equal(TestRms.Pairs.Count, results.Count);
        for (int i = 0; i < results.Count; i++)
        {
            var recorded = TestRms.Pairs[i].Judgments["scalar"];
            Assert.True(results[i].Succeeded, results[i].Error);
            Assert.Equal((recorded.ScoreA, recorded.ScoreB), (results[i].Judgment!.ScoreA, results[i].Judgment!.ScoreB));
        }
        // vLLM's chat form asks once per response; OpenRLHF batches up to max_batch (32) pairs per request.
        Assert.Equal(backend == RmBackend.VllmClassify ? 80 : 2, server.Requests);
    }

    [Fact]
    public async Task TheJudgeReturnsTheRecordedVerdictsWhicheverOrderItShowsThemIn()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("judge"));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, server.Url));
        var results = await rm.JudgeAsync(TestRms.Texts);

        Assert.Equal(TestRms.Pairs.Select(p => p.Judgments["judge"].Prefers()), results.Select(r => r.Judgment!.Prefers()));
        int swapped = TestRms.Texts.Count(p => JudgeCoin.Swap(1, p));
        Assert.InRange(swapped, 10, 30); // both orders were shown
        Assert.Equal(40, server.Requests);
    }

    [Fact]
    public async Task UnknownTextIsAClientErrorNamingTheText()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.VllmClassify, server.Url, retries: 2), TestRms.FastRetries);
        var r = (await rm.JudgeAsync([new PairText(TestRms.Pairs[0].Prompt, TestRms.Pairs[0].ResponseA, "a response nobody recorded")]))[0];

        Assert.Equal(RmFailure.ClientError, RmFailure.KindOf(r.Error));
        Assert.Contains("HTTP 404", r.Error);
        Assert.Contains("a response nobody recorded", r.Error);
        // the two responses, neither retried (a 4xx is not transient); the 404 may cancel the other before it is sent
        Assert.InRange(server.Requests, 1, 2);
    }

    [Fact]
    public async Task ABiasedJudgesFirstPositionPreferenceIsSpreadOverAAndBByTheSeededSwap()
    {
        // A judge that always prefers the response shown first; it records what it was shown, per prompt.
        var shown = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        await using var biased = await StubServer.StartAsync(async ctx =>
        {
            var request = await JsonSerializer.DeserializeAsync(ctx.Request.Body, RmProtocol.Json.ChatCompletionRequest);
            var content = request!.Messages.Single().Content;
            shown[System.Text.RegularExpressions.Regex.Match(content, @"prompt \d+").Value] = content;
            await Reply(ctx, "0");
        });
        var pairs = Enumerable.Range(0, 400).Select(i => new PairText($"prompt {i}", $"first answer {i}.", $"second answer {i}.")).ToList();

        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, biased.Url, maxConcurrency: 16), new RmClientOptions { JudgeSeed = 3 });
        var labels = (await rm.JudgeAsync(pairs)).Select(r => r.Judgment!.Prefers()).ToList();
        int a = labels.Count(l => l == Preference.A);
        Assert.InRange(a, 170, 230); // half a, half b (binomial 400 x 0.5: sd 10)
        Assert.Equal(400 - a, labels.Count(l => l == Preference.B));
        // exactly the pairs the coin swapped come out b
        Assert.All(pairs.Zip(labels), x => Assert.Equal(JudgeCoin.Swap(3, x.First) ? Preference.B : Preference.A, x.Second));
        // ... because the judge was shown response b first for exactly those pairs: the bare protocol (a first, always)
        // would have labelled every pair a
        Assert.Equal(400, shown.Count);
        Assert.All(pairs, p =>
        {
            var content = shown[p.Prompt];
            Assert.Equal(JudgeCoin.Swap(3, p), content.IndexOf(p.ResponseB, StringComparison.Ordinal) < content.IndexOf(p.ResponseA, StringComparison.Ordinal));
        });

        var again = await rm.JudgeAsync(pairs);
        Assert.Equal(labels, again.Select(r => r.Judgment!.Prefers())); // the coin is seeded: same labels every run
        using var reseeded = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, biased.Url, maxConcurrency: 16), new RmClientOptions { JudgeSeed = 4 });
        var other = (await reseeded.JudgeAsync(pairs)).Select(r => r.Judgment!.Prefers()).ToList();
        Assert.Equal(pairs.Select(p => JudgeCoin.Swap(4, p) ? Preference.B : Preference.A), other); // another seed, another coin
        Assert.NotEqual(labels, other);
    }

    [Theory]
    [InlineData("2", "\"2\"")]
    [InlineData("", "\"\"")]
    [InlineData("B", "\"B\"")]
    public async Task AnAnswerThatIsNeitherChoiceIsAFailedJudgmentNeverALabel(string answer, string quoted)
    {
        await using var judge = await StubServer.StartAsync(ctx => Reply(ctx, answer));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, judge.Url));
        var r = (await rm.JudgeAsync([new PairText("p", "a", "b")]))[0];
        Assert.False(r.Succeeded);
        Assert.Equal($"invalid_answer: the judge answered {quoted}, not \"0\" or \"1\"", r.Error);
    }

    [Fact]
    public async Task TheJudgeSendsOneUserMessageWithMaxTokensOneTemperatureZeroAndTheKeyFromTheEnvironment()
    {
        ChatCompletionRequest? seen = null;
        string? auth = null, path = null;
        await using var judge = await StubServer.StartAsync(async ctx =>
        {
            path = ctx.Request.Path;
            auth = ctx.Request.Headers.Authorization;
            seen = await JsonSerializer.DeserializeAsync(ctx.Request.Body, RmProtocol.Json.ChatCompletionRequest);
            await Reply(ctx, " 1\n");
        });
        var spec = TestRms.Spec(RmBackend.OpenAiJudge, new Uri(judge.Url, "/v1"), apiKeyEnv: "JUDGE_KEY");
        using var rm = RewardModelFactory.Create(spec, new RmClientOptions { GetEnvironmentVariable = n => n == "JUDGE_KEY" ? "sk-test-123" : null });
        var pair = Enumerable.Range(0, 50).Select(i => new PairText($"p{i}", "alpha", "beta")).First(p => !JudgeCoin.Swap(1, p));
        var r = (await rm.JudgeAsync([pair]))[0];

        Assert.Equal("/v1/chat/completions", path);
        Assert.Equal("Bearer sk-test-123", auth);
        Assert.Equal((1, 0.0, "judge-model"), (seen!.MaxTokens, seen.Temperature!.Value, seen.Model));
        var message = Assert.Single(seen.Messages);
        Assert.Equal("user", message.Role);
        Assert.Equal(RmTemplate.Judge().Render(pair.Prompt, "alpha", "beta"), message.Content);
        Assert.Equal(Preference.B, r.Judgment!.Prefers()); // "1" (white space ignored) = the second shown = b (not swapped)
    }

    [Fact]
    public async Task AnUnsetKeyVariableIsAPoolErrorAndAKeyNeverAppearsInAFailure()
    {
        var spec = TestRms.Spec(RmBackend.OpenAiJudge, new Uri("http://127.0.0.1:9"), apiKeyEnv: "NOT_SET_ANYWHERE");
        var e = Assert.Throws<PoolFileException>(() => RewardModelFactory.Create(spec, new RmClientOptions { GetEnvironmentVariable = _ => null }));
        Assert.Contains("the environment variable NOT_SET_ANYWHERE is not set", e.Message);

        await using var refusing = await StubServer.StartAsync(async ctx =>
        {
            ctx.Response.StatusCode = 401;
            await ctx.Response.WriteAsync("{\"error\": {\"message\": \"Incorrect API key provided\", \"type\": \"invalid_request_error\"}}");
        });
        using var rm = RewardModelFactory.Create(spec with { Url = refusing.Url }, new RmClientOptions { GetEnvironmentVariable = _ => "sk-secret-999" });
        var r = (await rm.JudgeAsync([new PairText("p", "a", "b")]))[0];
        Assert.Equal(RmFailure.ClientError, RmFailure.KindOf(r.Error));
        Assert.Contains("HTTP 401", r.Error);
        Assert.Contains("Incorrect API key provided", r.Error);
        Assert.DoesNotContain("sk-secret-999", r.Error);
    }

    [Fact]
    public async Task TheQueryTemplateBuildsTheOpenRlhfQueries()
    {
        GetRewardRequest? seen = null;
        await using var stub = await StubServer.StartAsync(async ctx =>
        {
            seen = await JsonSerializer.DeserializeAsync(ctx.Request.Body, RmProtocol.Json.GetRewardRequest);
            await ctx.Response.WriteAsync("{\"rewards\": [1.5, -2, 0.25, 0.25]}");
        });
        var spec = TestRms.Spec(RmBackend.OpenRlhf, stub.Url) with { Template = "<user>{prompt}</user><bot>{response}</bot>" };
        using var rm = RewardModelFactory.Create(spec);
        var r = await rm.JudgeAsync([new PairText("2+2?", "4", "5"), new PairText("x", "y", "z")]);
        Assert.Equal(["<user>2+2?</user><bot>4</bot>", "<user>2+2?</user><bot>5</bot>", "<user>x</user><bot>y</bot>", "<user>x</user><bot>z</bot>"], seen!.Query);
        Assert.Equal([Preference.A, Preference.Tie], r.Select(j => j.Judgment!.Prefers()));
    }

    [Fact]
    public void EndpointsJoinTheBaseUrl()
    {
        Assert.Equal("http://h:1/classify", RmProtocol.Endpoint(new Uri("http://h:1"), RmProtocol.ClassifyPath).ToString());
        Assert.Equal("http://h:1/rm/get_reward", RmProtocol.Endpoint(new Uri("http://h:1/rm/"), RmProtocol.GetRewardPath).ToString());
        Assert.Equal("https://h/v1/chat/completions", RmProtocol.Endpoint(new Uri("https://h/v1"), RmProtocol.ChatCompletionsPath).ToString());
        Assert.Equal("https://h/api/v1/chat/completions", RmProtocol.Endpoint(new Uri("https://h/api"), RmProtocol.ChatCompletionsPath).ToString());
    }

    [Fact]
    public async Task TheConcurrencyLimitBoundsRequestsInFlight()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { LatencyMs = 30 });
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.VllmClassify, server.Url, maxConcurrency: 3));
        var results = await rm.JudgeAsync(TestRms.Texts.Take(12).ToList());
        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(24, server.Requests);
        Assert.InRange(server.MaxInFlight, 2, 3);
    }

    [Fact]
    public async Task CancellationStopsACallAtOnce()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { LatencyMs = 20_000 });
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenRlhf, server.Url, timeout: 60, retries: 2));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rm.JudgeAsync(TestRms.Texts, cts.Token));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        Assert.Equal(2, server.Requests); // the two batches of 32 and 8 pairs, neither retried
    }

    internal static Task Reply(HttpContext ctx, string content)
    {
        ctx.Response.ContentType = "application/json";
        var body = JsonSerializer.Serialize(new ChatCompletionResponse
        {
            Id = "x",
            Object = "chat.completion",
            Choices = [new ChatChoice { Index = 0, Message = new ChatMessage("assistant", content), FinishReason = "length" }],
        }, RmProtocol.Json.ChatCompletionResponse);
        return ctx.Response.WriteAsync(body);
    }
}
