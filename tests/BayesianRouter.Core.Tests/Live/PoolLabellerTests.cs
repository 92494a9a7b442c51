using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Live;

public class PoolLabellerTests
{
    private static Decision D(int i, params int[] order) => new()
    {
        DecisionId = $"x-{i}", Sequence = i, PairId = $"p{i}", Arm = order[0], Rm = $"rm{order[0]}", Probability = 0.5,
        FallbackOrder = order, Features = [1.0], FeaturesHash = "h",
    };

    private static PairText T(int i) => new($"prompt {i}", "a", "b");

    [Fact]
    public async Task Each_RM_gets_one_batched_call_and_labels_come_back_in_input_order()
    {
        var rms = new[] { FakeRm.Verdict("rm0", Preference.A), FakeRm.Verdict("rm1", Preference.B) };
        var labeller = new PoolLabeller(rms);
        var decisions = Enumerable.Range(0, 10).Select(i => D(i, i % 2, 1 - i % 2)).ToArray();
        var outcomes = await labeller.LabelAsync(decisions, decisions.Select((_, i) => T(i)).ToArray());
        Assert.Equal([5], rms[0].CallSizes);
        Assert.Equal([5], rms[1].CallSizes);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal($"rm{i % 2}", outcomes[i].Rm);
            Assert.Equal(i % 2 == 0 ? Preference.A : Preference.B, outcomes[i].Preferred);
            Assert.Empty(outcomes[i].FallbackFrom);
        }
    }

    [Fact]
    public async Task A_failing_RM_falls_back_to_the_next_choice_and_the_fallback_is_recorded()
    {
        var broken = new FakeRm("rm0", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.A))) { Throws = new HttpRequestException("HTTP 500") };
        var partial = new FakeRm("rm1", t => t.Prompt.EndsWith('3') ? RmJudgment.Failed("non-finite score") : RmJudgment.Of(Judgment.FromScores(1, 2)));
        var good = FakeRm.Verdict("rm2", Preference.A);
        var calls = new List<RmCall>();
        var labeller = new PoolLabeller([broken, partial, good], new PoolLabellerOptions { OnCall = c => { lock (calls) calls.Add(c); } });
        var decisions = Enumerable.Range(0, 5).Select(i => D(i, 0, 1, 2)).ToArray();
        var outcomes = await labeller.LabelAsync(decisions, decisions.Select((_, i) => T(i)).ToArray());
        for (int i = 0; i < 5; i++)
        {
            if (i == 3)
            {
                Assert.Equal("rm2", outcomes[i].Rm);
                Assert.Equal(["rm0", "rm1"], outcomes[i].FallbackFrom.Select(f => f.Rm));
                Assert.Equal("non-finite score", outcomes[i].FallbackFrom[1].Reason);
            }
            else
            {
                Assert.Equal("rm1", outcomes[i].Rm);
                Assert.Equal(Preference.B, outcomes[i].Preferred);
                Assert.Equal(["rm0"], outcomes[i].FallbackFrom.Select(f => f.Rm));
                Assert.Contains("HTTP 500", outcomes[i].FallbackFrom[0].Reason);
            }
        }
        Assert.Equal([5], partial.CallSizes);
        Assert.Equal([1], good.CallSizes);
        Assert.Contains(calls, c => c.Rm == "rm0" && c.Failed == 5 && c.Error != null);
        Assert.Contains(calls, c => c.Rm == "rm1" && c.Failed == 1 && c.Error == null);
    }

    [Fact]
    public async Task A_pair_no_RM_can_label_gets_no_label_and_every_reason()
    {
        var rms = new IRewardModel[]
        {
            new FakeRm("rm0", _ => RmJudgment.Failed("timeout")),
            new FakeRm("rm1", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.A))) { Throws = new InvalidOperationException("connection refused") },
            new WrongCountRm("rm2"),
        };
        var outcomes = await new PoolLabeller(rms).LabelAsync([D(0, 2, 0, 1)], [T(0)]);
        var o = Assert.Single(outcomes);
        Assert.Null(o.Rm);
        Assert.Null(o.Preferred);
        Assert.Equal(["rm2", "rm0", "rm1"], o.FallbackFrom.Select(f => f.Rm));
        Assert.Contains("rm2: returned 0 judgments for 1 pairs", o.Error);
        Assert.Contains("connection refused", o.Error);
        var limited = await new PoolLabeller(rms, new PoolLabellerOptions { MaxAttempts = 1 }).LabelAsync([D(0, 2, 0, 1)], [T(0)]);
        Assert.Equal(["rm2"], limited[0].FallbackFrom.Select(f => f.Rm));
    }

    [Fact]
    public async Task Concurrency_per_RM_is_limited_across_callers_and_cancellation_propagates()
    {
        var rm = new FakeRm("rm0", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.A))) { Delay = TimeSpan.FromMilliseconds(30) };
        var labeller = new PoolLabeller([rm], new PoolLabellerOptions { MaxConcurrency = [2] });
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => labeller.LabelAsync([D(i, 0)], [T(i)])));
        Assert.Equal(6, rm.CallSizes.Count);
        Assert.Equal(2, rm.MaxInFlight);
        using var cts = new CancellationTokenSource();
        var slow = new FakeRm("rm0", _ => RmJudgment.Of(Judgment.FromVerdict(Preference.A))) { Delay = TimeSpan.FromSeconds(30) };
        var task = new PoolLabeller([slow]).LabelAsync([D(0, 0)], [T(0)], cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
    }

    private sealed class WrongCountRm(string name) : IRewardModel
    {
        public string Name => name;
        public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<RmJudgment>>([]);
    }
}
