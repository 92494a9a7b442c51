using System.Diagnostics;
using BayesianRouter.RewardModels.Pipeline;
using BayesianRouter.RewardModels.Serving;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>Per-RM rate limits from the pool file (<c>rpm</c>, <c>tpm</c>, <c>on_limit</c>) against a recorded RM on loopback.</summary>
public class RateLimitTests
{
    [Fact]
    public async Task Requests_over_the_rpm_wait_for_the_bucket_and_none_fails()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        // 120 per minute: a bucket of 120 requests, refilled at 2 per second; vLLM's chat form sends one request per response
        var spec = TestRms.Spec(RmBackend.VllmClassify, server.Url) with { RequestsPerMinute = 120 };
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec);
        var pairs = TestRms.Texts; // 40 pairs = 80 requests: within the bucket
        var clock = Stopwatch.StartNew();
        var first = await rm.JudgeAsync(pairs);
        Assert.All(first, r => Assert.True(r.Succeeded, r.Error));
        Assert.Equal(0, telemetry.Sum(RmTelemetry.RateLimitWaits));
        var second = await rm.JudgeAsync(pairs.Take(25).ToArray()); // 50 more: the bucket's 120 and its refill must carry 130
        clock.Stop();
        Assert.All(second, r => Assert.True(r.Succeeded, r.Error));
        // 130 requests through a bucket of 120 refilled at 2 per second cannot take less than (130 - 120) / 2 = 5 s from the
        // first request, however slow or fast the machine (a slow first call only leaves more refill for the second)
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(4.9), $"took {clock.Elapsed}");
        Assert.True(telemetry.Sum(RmTelemetry.RateLimitWaits) >= 8, $"waits {telemetry.Sum(RmTelemetry.RateLimitWaits)}");
        Assert.True(telemetry.Count(RmTelemetry.RateLimitWait) >= 8);
        Assert.Equal(130, server.Requests);
    }

    [Fact]
    public async Task With_on_limit_reroute_a_call_without_room_fails_at_once_as_rate_limited()
    {
        await using var server = await RecordedRmServer.StartAsync(TestRms.Record("scalar"));
        // openrlhf batches: one request per call of up to 32 pairs; 2 per minute
        var spec = TestRms.Spec(RmBackend.OpenRlhf, server.Url) with { RequestsPerMinute = 2, OnLimit = RateLimitAction.Reroute };
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var rm = RewardModelFactory.Create(spec);
        var one = TestRms.Texts.Take(4).ToArray();
        Assert.All(await rm.JudgeAsync(one), r => Assert.True(r.Succeeded, r.Error));
        Assert.All(await rm.JudgeAsync(one), r => Assert.True(r.Succeeded, r.Error));
        var clock = Stopwatch.StartNew();
        var third = await rm.JudgeAsync(one);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.All(third, r => Assert.Equal(RmFailure.RateLimited, RmFailure.KindOf(r.Error)));
        Assert.Equal(2, server.Requests);
        Assert.Equal(1, telemetry.Sum(RmTelemetry.RateLimitReroutes));
    }

    [Fact]
    public async Task The_tpm_bucket_holds_a_minutes_tokens_and_refills_at_the_rate()
    {
        var spec = TestRms.Spec(RmBackend.OpenRlhf, new Uri("http://127.0.0.1:9")) with { TokensPerMinute = 600 };
        using var telemetry = new TelemetryRecorder(spec.Name);
        using var limit = new Clients.RmRateLimit(spec);
        Assert.True(limit.CountsTokens);
        Assert.Equal(100, Clients.RmRateLimit.EstimateTokens(400));
        var clock = Stopwatch.StartNew();
        await limit.AcquireAsync(600, CancellationToken.None); // a minute's allowance at once
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal(0, telemetry.Sum(RmTelemetry.RateLimitWaits));
        await limit.AcquireAsync(20, CancellationToken.None); // 10 tokens a second: about 2 s
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
        Assert.Equal(1, telemetry.Sum(RmTelemetry.RateLimitWaits));
        // a request larger than the bucket takes the whole bucket (waits for a full bucket) rather than failing
        var big = new Clients.RmRateLimit(spec with { TokensPerMinute = 6000 });
        await big.AcquireAsync(10_000, CancellationToken.None);
        big.Dispose();
    }

    [Fact]
    public void The_pool_file_reads_the_limits_and_refuses_bad_ones()
    {
        var pool = PoolFile.Parse("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "rpm": 60, "tpm": 90000, "on_limit": "reroute", "standardise": true}]}""", "pool.json");
        var a = pool.Rms[0];
        Assert.Equal((60.0, 90000.0, RateLimitAction.Reroute, true), (a.RequestsPerMinute!.Value, a.TokensPerMinute!.Value, a.OnLimit, a.Standardise));
        Assert.Equal(RateLimitAction.Wait, PoolFile.Parse("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "rpm": 1}]}""", "p").Rms[0].OnLimit);
        foreach (var (body, message) in new[]
        {
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "rpm": 0}]}""", "pool.json: rms[0].rpm: 0 must be > 0"),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "rpm": 5, "on_limit": "drop"}]}""", "pool.json: rms[0].on_limit: \"drop\" is not wait or reroute"),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "on_limit": "wait"}]}""", "pool.json: rms[0].on_limit: applies to a rate limit: give rpm or tpm too"),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h", "standardise": "yes"}]}""", "pool.json: rms[0].standardise: must be true or false, got \"yes\""),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}], "rewards": {"audit_share": 2}}""", "pool.json: rewards.audit_share: 2 must be <= 1"),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}], "rewards": {"audit_rms": ["b"]}}""", "pool.json: rewards.audit_rms[0]: \"b\" is not an RM of the pool (a)"),
            ("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}], "rewards": {"window": 3}}""", "pool.json: rewards.window: unknown field (known: audit_share, audit_rms, group_window_s)"),
        })
            Assert.Equal(message, Assert.Throws<PoolFileException>(() => PoolFile.Parse(body, "pool.json")).Message);
        var rewards = PoolFile.Parse("""{"rms": [{"name": "a", "backend": "openrlhf", "url": "http://h"}, {"name": "b", "backend": "openrlhf", "url": "http://h2"}], "rewards": {"audit_share": 0.25, "audit_rms": ["b"], "group_window_s": 30}}""", "p").Rewards;
        Assert.Equal((0.25, "b", 30.0), (rewards.AuditShare, rewards.AuditRms![0], rewards.GroupWindowSeconds));
    }
}
