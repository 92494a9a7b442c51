using System.Text.Json;
using BayesianRouter.RewardModels.Clients;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>
/// What an RM call costs and what trips its breaker: every request sent for a pair is counted on its judgment (the
/// budget charges each); HTTP 4xx and answers off the protocol count as failures; the judge sends its token limit in
/// the field its model takes.
/// </summary>
public class AttemptsAndBreakerTests
{
    private static readonly List<PairText> TwoPairs = TestRms.Texts.Take(2).ToList();

    [Theory]
    [InlineData(RmBackend.VllmClassify)]
    [InlineData(RmBackend.OpenRlhf)]
    [InlineData(RmBackend.OpenAiJudge)]
    public async Task Every_request_a_pair_took_is_counted_on_its_judgment(RmBackend backend)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record(backend == RmBackend.OpenAiJudge ? "judge" : "scalar"),
            new RecordedRmServerOptions { Fault = RmFault.ServerError });
        // a breaker that cannot open here: vllm-classify sends one request per response, so the failing pair makes up to
        // 2 x 3 failed calls (6 met MinCalls = 6 when both requests' retries ran to the end, and the breaker then kept
        // the healthy server from being asked: a race this test must not depend on)
        var spec = TestRms.Spec(backend, server.Url, retries: 2, breaker: new RmCircuitBreakerSpec { FailureRatio = 1, MinCalls = 7, WindowSeconds = 60, BreakSeconds = 60 });
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);

        var failed = Assert.Single(await rm.JudgeAsync([TwoPairs[0]]));
        Assert.False(failed.Succeeded);
        Assert.Equal(3, failed.Attempts); // the first request and its two retries

        server.Fault = RmFault.None;
        var ok = await rm.JudgeAsync(TwoPairs);
        Assert.All(ok, r => Assert.True(r.Succeeded, r.Error));
        Assert.All(ok, r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public async Task A_pair_the_open_circuit_kept_from_the_rm_took_no_request()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { Fault = RmFault.ServerError });
        var spec = TestRms.Spec(RmBackend.OpenRlhf, server.Url, retries: 0,
            breaker: new RmCircuitBreakerSpec { FailureRatio = 0.5, MinCalls = 2, WindowSeconds = 60, BreakSeconds = 60 });
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        for (int i = 0; i < 2; i++) Assert.Equal(1, (await rm.JudgeAsync([TwoPairs[0]]))[0].Attempts);
        Assert.Equal(CircuitState.Open, rm.CircuitState);
        var skipped = (await rm.JudgeAsync([TwoPairs[0]]))[0];
        Assert.Equal(RmFailure.CircuitOpen, RmFailure.KindOf(skipped.Error));
        Assert.Equal(0, skipped.Attempts);
    }

    [Fact]
    public async Task Http_4xx_answers_count_for_the_breaker_and_are_not_retried()
    {
        int requests = 0;
        await using var stub = await StubServer.StartAsync(async ctx =>
        {
            Interlocked.Increment(ref requests);
            ctx.Response.StatusCode = 401;
            await ctx.Response.WriteAsync("{\"error\": {\"message\": \"invalid API key\"}}");
        });
        var spec = TestRms.Spec(RmBackend.OpenRlhf, stub.Url, retries: 3,
            breaker: new RmCircuitBreakerSpec { FailureRatio = 0.5, MinCalls = 4, WindowSeconds = 60, BreakSeconds = 60 });
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        for (int i = 0; i < 4; i++)
        {
            var r = (await rm.JudgeAsync([TwoPairs[0]]))[0];
            Assert.Equal(RmFailure.ClientError, RmFailure.KindOf(r.Error));
            Assert.Contains("invalid API key", r.Error);
        }
        Assert.Equal(4, requests); // never retried
        Assert.Equal(CircuitState.Open, rm.CircuitState); // and the RM is taken out like a failing one
        Assert.Equal(RmFailure.CircuitOpen, RmFailure.KindOf((await rm.JudgeAsync([TwoPairs[0]]))[0].Error));
        Assert.Equal(4, requests);
    }

    [Theory]
    [InlineData(RmBackend.OpenAiJudge, RmFault.NaN, RmFailure.InvalidAnswer)]
    [InlineData(RmBackend.OpenRlhf, RmFault.Malformed, RmFailure.Malformed)]
    [InlineData(RmBackend.OpenRlhf, RmFault.NaN, RmFailure.NonFinite)]
    public async Task Answers_off_the_protocol_count_for_the_breaker(RmBackend backend, RmFault fault, string kind)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record(backend == RmBackend.OpenAiJudge ? "judge" : "scalar"),
            new RecordedRmServerOptions { Fault = fault });
        var spec = TestRms.Spec(backend, server.Url, retries: 2,
            breaker: new RmCircuitBreakerSpec { FailureRatio = 0.5, MinCalls = 4, WindowSeconds = 60, BreakSeconds = 60 });
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        for (int i = 0; i < 4; i++) Assert.Equal(kind, RmFailure.KindOf((await rm.JudgeAsync([TwoPairs[0]]))[0].Error));
        Assert.Equal(4, server.Requests); // not retried: asking again gets the same answer
        Assert.Equal(CircuitState.Open, rm.CircuitState);
    }

    [Theory]
    [InlineData("judge-model", null, null, "max_tokens", 1)]
    [InlineData("gpt-5-mini", null, null, "max_completion_tokens", 1)]
    [InlineData("openai/o3-mini", null, null, "max_completion_tokens", 1)]
    [InlineData("my-vllm-model", "max_completion_tokens", 512, "max_completion_tokens", 512)]
    [InlineData("o1", "max_tokens", null, "max_tokens", 1)]
    public async Task The_judge_sends_its_token_limit_in_the_field_its_model_takes(string model, string? field, int? limit, string expectedField, int expected)
    {
        var bodies = new List<string>();
        await using var stub = await StubServer.StartAsync(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var text = await reader.ReadToEndAsync();
            lock (bodies) bodies.Add(text);
            await ctx.Response.WriteAsync("{\"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"1\"}}]}");
        });
        var spec = TestRms.Spec(RmBackend.OpenAiJudge, stub.Url) with { Model = model, TokenLimitField = field, MaxOutputTokens = limit ?? 1 };
        using var rm = RewardModelFactory.Create(spec);
        Assert.True((await rm.JudgeAsync([TwoPairs[0]]))[0].Succeeded);
        using var body = JsonDocument.Parse(Assert.Single(bodies));
        Assert.Equal(expected, body.RootElement.GetProperty(expectedField).GetInt32());
        var other = expectedField == "max_tokens" ? "max_completion_tokens" : "max_tokens";
        Assert.False(body.RootElement.TryGetProperty(other, out _), $"{other} must not be sent: the model refuses it");
    }
}
