using BayesianRouter.RewardModels.Pipeline;
using Polly.CircuitBreaker;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>
/// RM servers that misbehave (the recorded-RM server's fault modes, a closed port): every pair comes back as a failed
/// judgment whose reason names the failure, transient failures are retried and counted, nothing throws.
/// </summary>
public class FaultTests
{
    private static readonly List<PairText> TwoPairs = TestRms.Texts.Take(2).ToList();

    [Theory]
    [InlineData(RmBackend.VllmClassify)]
    [InlineData(RmBackend.OpenRlhf)]
    [InlineData(RmBackend.OpenAiJudge)]
    public async Task AnHttp500IsRetriedThenAFailedJudgment(RmBackend backend)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record(backend == RmBackend.OpenAiJudge ? "judge" : "scalar"),
            new RecordedRmServerOptions { Fault = RmFault.ServerError });
        var spec = TestRms.Spec(backend, server.Url, retries: 2);
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        var results = await rm.JudgeAsync([TwoPairs[0]]);

        var r = Assert.Single(results);
        Assert.False(r.Succeeded);
        Assert.StartsWith("http_5xx: HTTP 500 from http://127.0.0.1:", r.Error);
        Assert.Contains("injected failure (fault 500) (3 attempts)", r.Error);
        if (backend == RmBackend.VllmClassify)
        {
            // two requests per pair (one per response); when one has failed for good the other is cancelled
            Assert.InRange(server.Requests, 3, 6);
            Assert.InRange(telemetry.Sum(RmTelemetry.Retries), 2, 4);
        }
        else
        {
            Assert.Equal(3, server.Requests);
            Assert.Equal(2, telemetry.Sum(RmTelemetry.Retries));
            Assert.Equal(3, telemetry.Sum(RmTelemetry.Requests, "outcome", RmFailure.ServerError));
        }
        Assert.Equal(1, telemetry.Sum(RmTelemetry.Failures, "reason", RmFailure.ServerError));
        Assert.Equal(1, telemetry.Sum(RmTelemetry.Calls, "outcome", "failed"));
    }

    [Fact]
    public async Task AServerThatNeverAnswersTimesOutPerAttempt()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { Fault = RmFault.Timeout });
        var spec = TestRms.Spec(RmBackend.OpenRlhf, server.Url, timeout: 0.2, retries: 1);
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        var results = await rm.JudgeAsync(TwoPairs);

        Assert.All(results, r => Assert.Equal(
            $"timeout: no answer from {server.Url}get_reward within 0.2 s (2 attempts)", r.Error));
        Assert.Equal(2, server.Requests);
        Assert.Equal(1, telemetry.Sum(RmTelemetry.Retries));
        Assert.Equal(2, telemetry.Sum(RmTelemetry.Failures, "reason", RmFailure.Timeout));
    }

    /// <remarks>
    /// <paramref name="requests"/>: one request per response of the pair at most (vLLM's chat form sends a and b as
    /// two concurrent requests, and the first malformed answer cancels the other, which may then never reach the
    /// server); a retry would send more (retries: 3 allows up to four attempts per request).
    /// </remarks>
    [Theory]
    [InlineData(RmBackend.VllmClassify, 2)]
    [InlineData(RmBackend.OpenRlhf, 1)]
    public async Task MalformedJsonIsAFailedJudgmentAndNotRetried(RmBackend backend, int requests)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { Fault = RmFault.Malformed });
        using var rm = RewardModelFactory.Create(TestRms.Spec(backend, server.Url, retries: 3), TestRms.FastRetries);
        var r = (await rm.JudgeAsync([TwoPairs[0]]))[0];
        Assert.Equal(RmFailure.Malformed, RmFailure.KindOf(r.Error));
        Assert.Contains("answered invalid JSON", r.Error);
        Assert.InRange(server.Requests, 1, requests);
    }

    [Theory]
    [InlineData(RmBackend.VllmClassify)]
    [InlineData(RmBackend.OpenRlhf)]
    public async Task ANaNScoreIsAFailedJudgment(RmBackend backend)
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { Fault = RmFault.NaN });
        using var rm = RewardModelFactory.Create(TestRms.Spec(backend, server.Url, retries: 2), TestRms.FastRetries);
        var results = await rm.JudgeAsync(TwoPairs);
        Assert.All(results, r => Assert.Equal(RmFailure.NonFinite, RmFailure.KindOf(r.Error)));
        Assert.Contains("answered a non-finite score (NaN)", results[0].Error);
    }

    [Fact]
    public async Task ANaNScoreAsAStringFailsOnlyItsPair()
    {
        // Some servers write "NaN" as a string; one NaN among good scores fails only its own pair.
        await using var stub = await StubServer.StartAsync(ctx => Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(ctx.Response,
            "{\"rewards\": [1.0, \"NaN\", 2.0, 1.0]}"));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenRlhf, stub.Url));
        var results = await rm.JudgeAsync(TwoPairs);
        Assert.Equal(RmFailure.NonFinite, RmFailure.KindOf(results[0].Error));
        Assert.Equal(Preference.A, results[1].Judgment!.Prefers());
    }

    [Theory]
    [InlineData("{\"rewards\": [1.0, 2.0, 3.0]}", "malformed: ", "3 rewards for 4 queries")]
    [InlineData("{\"scores\": [1.0, 2.0, 3.0, 4.0]}", "malformed: ", "no \"rewards\" in the answer")]
    [InlineData("{\"rewards\": [1.0, -Infinity, 3.0, 4.0]}", "non_finite: ", "answered a non-finite score (-Infinity)")]
    [InlineData("[1, 2]", "malformed: ", "answered invalid JSON")]
    [InlineData("", "malformed: ", "answered invalid JSON")]
    public async Task AnswersOfTheWrongShapeOrLengthFailEveryPairOfTheCall(string body, string kind, string detail)
    {
        await using var stub = await StubServer.StartAsync(ctx => Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(ctx.Response, body));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenRlhf, stub.Url));
        var results = await rm.JudgeAsync(TwoPairs);
        Assert.All(results, r => Assert.StartsWith(kind, r.Error));
        Assert.All(results, r => Assert.Contains(detail, r.Error));
    }

    [Theory]
    [InlineData("{\"choices\": []}", "no \"choices\" in the answer")]
    [InlineData("{\"choices\": [{\"index\": 0}]}", "no \"choices[0].message\" in the answer")]
    [InlineData("{\"data\": [{\"index\": 0, \"probs\": [1]}]}", "no \"choices\" in the answer")]
    public async Task AJudgeAnswerWithoutAChoiceIsMalformed(string body, string detail)
    {
        await using var stub = await StubServer.StartAsync(ctx => Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(ctx.Response, body));
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, stub.Url));
        var r = (await rm.JudgeAsync([TwoPairs[0]]))[0];
        Assert.StartsWith("malformed: ", r.Error);
        Assert.Contains(detail, r.Error);
    }

    [Fact]
    public async Task AJudgeAnsweringNaNIsAnInvalidAnswer()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("judge"), new RecordedRmServerOptions { Fault = RmFault.NaN });
        using var rm = RewardModelFactory.Create(TestRms.Spec(RmBackend.OpenAiJudge, server.Url));
        var r = (await rm.JudgeAsync([TwoPairs[0]]))[0];
        Assert.Equal("invalid_answer: the judge answered \"NaN\", not \"0\" or \"1\"", r.Error);
    }

    [Fact]
    public async Task ADownServerIsAConnectionFailureRetried()
    {
        var spec = TestRms.Spec(RmBackend.OpenRlhf, TestRms.ClosedPort(), retries: 2);
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        var results = await rm.JudgeAsync(TwoPairs);
        Assert.All(results, r => Assert.StartsWith($"connection: cannot reach {spec.Url}get_reward: Connection refused", r.Error));
        Assert.All(results, r => Assert.EndsWith("(3 attempts)", r.Error));
        Assert.Equal(2, telemetry.Sum(RmTelemetry.Retries)); // one request for both pairs, retried twice
        Assert.Equal(2, telemetry.Sum(RmTelemetry.Failures, "reason", RmFailure.Connection));
    }

    [Fact]
    public async Task TheCircuitOpensAfterRepeatedFailuresFailsFastThenRecovers()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { Fault = RmFault.ServerError });
        var spec = TestRms.Spec(RmBackend.OpenRlhf, server.Url, retries: 0,
            breaker: new RmCircuitBreakerSpec { FailureRatio = 0.5, MinCalls = 4, WindowSeconds = 30, BreakSeconds = 0.5 });
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);

        for (int i = 0; i < 4; i++) Assert.Equal(RmFailure.ServerError, RmFailure.KindOf((await rm.JudgeAsync([TwoPairs[0]]))[0].Error));
        Assert.Equal(CircuitState.Open, rm.CircuitState);
        Assert.Equal(1, telemetry.Sum(RmTelemetry.CircuitOpened));

        // open: the RM is not called at all
        server.Fault = RmFault.None;
        var open = (await rm.JudgeAsync([TwoPairs[0]]))[0];
        Assert.Equal(RmFailure.CircuitOpen, RmFailure.KindOf(open.Error));
        Assert.Equal(4, server.Requests);

        // after the break a trial call goes through; it succeeds, so the circuit closes
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        var recovered = await rm.JudgeAsync(TwoPairs);
        Assert.All(recovered, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(CircuitState.Closed, rm.CircuitState);
        Assert.Equal(1, telemetry.Sum(RmTelemetry.CircuitClosed));
        Assert.Equal(5, server.Requests);
    }

    [Fact]
    public async Task AFaultHeaderOverridesTheServersModeForOneRequest()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        using var http = new HttpClient();
        var body = new StringContent("{\"query\": []}", System.Text.Encoding.UTF8, "application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Url, "/get_reward")) { Content = body };
        request.Headers.Add(RecordedRmServer.FaultHeader, "500");
        Assert.Equal(500, (int)(await http.SendAsync(request)).StatusCode);
        var plain = await http.PostAsync(new Uri(server.Url, "/get_reward"), new StringContent("{\"query\": []}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)plain.StatusCode);
    }

    [Fact]
    public async Task ASeededFailRateFailsAboutThatShareAndRetriesHideMostOfIt()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"), new RecordedRmServerOptions { FailRate = 0.3, Seed = 5 });
        var spec = TestRms.Spec(RmBackend.VllmClassify, server.Url, retries: 3);
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec, TestRms.FastRetries);
        var results = await rm.JudgeAsync(TestRms.Texts);
        double failedShare = telemetry.Sum(RmTelemetry.Requests, "outcome", RmFailure.ServerError) / server.Requests;
        Assert.InRange(failedShare, 0.15, 0.45);
        Assert.True(results.Count(r => r.Succeeded) >= 36, "retries should recover almost every pair (0.3^4 per response)");
        Assert.All(results.Where(r => r.Succeeded).Zip(TestRms.Pairs), x => Assert.NotNull(x.First.Judgment));
    }

    [Fact]
    public async Task TelemetryCountsCallsJudgmentsAndDurations()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        var spec = TestRms.Spec(RmBackend.OpenRlhf, server.Url) with { MaxBatch = 16 };
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec);
        await rm.JudgeAsync(TestRms.Texts);
        Assert.Equal(3, telemetry.Sum(RmTelemetry.Calls, "outcome", "ok")); // 16 + 16 + 8 pairs
        Assert.Equal(40, telemetry.Sum(RmTelemetry.Judgments, "outcome", "ok"));
        Assert.Equal(3, telemetry.Count(RmTelemetry.Duration));
        Assert.Equal(3, telemetry.Sum(RmTelemetry.Requests, "outcome", "ok"));
    }
}
