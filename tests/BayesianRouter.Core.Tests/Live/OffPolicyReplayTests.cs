using BayesianRouter.Data;
using BayesianRouter.Data.Import;
using BayesianRouter.Evaluation;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Live;

/// <summary>
/// Off-policy evaluation checked where the truth is known: the RewardMATH pairs replayed through a live session (four
/// recorded RMs, Thompson sampling with an exploration floor, reward 1 when the label is right), then the decision log
/// evaluated. Every single RM's true mean reward is its accuracy on the replayed pairs.
/// </summary>
public class OffPolicyReplayTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Pool = ["ArmoRM", "skywork_llama3", "internlm2_20b", "grm_gemma"];

    /// <summary>Answers with the pair's recorded judgment; the pair is named by its id, passed as response a.</summary>
    private sealed class RecordedById(string rm, IReadOnlyDictionary<string, PreferencePair> pairs) : IRewardModel
    {
        public string Name => rm;
        public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> texts, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<RmJudgment>>(texts.Select(t => RmJudgment.Of(pairs[t.ResponseA].Judgments[rm])).ToArray());
    }

    [Fact]
    public async Task Ips_estimates_of_each_single_RM_cover_its_true_accuracy()
    {
        var pairs = new RewardMathImporter(PairPlacement.DefaultSeed).Import(TestPaths.RewardMath, new ImportReport()).ToList();
        var byId = pairs.ToDictionary(p => p.Id);
        var domains = pairs.Select(p => p.Domain ?? "").Distinct().Order().ToArray();
        double[] Features(PreferencePair p)
        {
            var h = new double[domains.Length + 1];
            h[Array.IndexOf(domains, p.Domain ?? "")] = 1;
            h[^1] = 1;
            return h;
        }
        var setup = LiveTestData.Setup(arms: 4, dim: domains.Length + 1, seed: 3) with { Pool = Pool };
        var store = new MemoryDecisionStore();
        var session = RoutingSession.Open(setup, store, options: new RoutingSessionOptions { Exploration = 0.2 });
        var labeller = new PoolLabeller(Pool.Select(rm => new RecordedById(rm, byId)).ToArray());
        var order = pairs.ToArray();
        new Random(1).Shuffle(order);
        for (int start = 0; start < order.Length; start += 64)
        {
            var batch = order.Skip(start).Take(64).ToArray();
            var labelled = await session.LabelAsync(batch.Select(p => new PairToLabel(p.Id, Features(p), new PairText(p.Prompt, p.Id, ""))).ToArray(), labeller);
            await session.LearnAsync(labelled.Select((l, i) => FeedbackItem.OfReward(l.Decision.DecisionId, l.Label.Preferred == batch[i].Preferred ? 1 : 0)).ToArray());
        }

        var usable = DecisionLogEvaluation.Usable(store.ReadDecisions());
        Assert.Equal(pairs.Count, usable.Total);
        Assert.Equal(pairs.Count, usable.Choices.Count);
        var policies = DecisionLogEvaluation.StandardPolicies(Pool, offline: null);
        for (int n = 0; n < Pool.Length; n++)
        {
            double truth = pairs.Average(p => p.IsRight(Pool[n]) ? 1.0 : 0.0);
            var est = OffPolicyEvaluation.Estimate(usable.Choices, policies[n]);
            output.WriteLine($"{Pool[n]}: truth {truth:F4}, IPS {est.Ips:F4} [{est.IpsLow:F4}, {est.IpsHigh:F4}], SNIPS {est.Snips:F4} [{est.SnipsLow:F4}, {est.SnipsHigh:F4}], matches {est.Matches}, ESS {est.EffectiveSampleSize:F0}");
            Assert.True(est.IpsLow <= truth && truth <= est.IpsHigh, $"{Pool[n]}: truth {truth:F4}, IPS {est.Ips:F4} [{est.IpsLow:F4}, {est.IpsHigh:F4}]");
            Assert.True(est.SnipsLow <= truth && truth <= est.SnipsHigh, $"{Pool[n]}: truth {truth:F4}, SNIPS {est.Snips:F4} [{est.SnipsLow:F4}, {est.SnipsHigh:F4}]");
            Assert.InRange(est.IpsHigh - est.IpsLow, 0.01, 0.2);
        }
        double uniformTruth = pairs.Average(p => Pool.Average(rm => p.IsRight(rm) ? 1.0 : 0.0));
        var uniform = OffPolicyEvaluation.Estimate(usable.Choices, policies[Pool.Length]);
        output.WriteLine($"uniform: truth {uniformTruth:F4}, IPS {uniform.Ips:F4} [{uniform.IpsLow:F4}, {uniform.IpsHigh:F4}], SNIPS {uniform.Snips:F4}");
        Assert.InRange(uniformTruth, uniform.IpsLow, uniform.IpsHigh);
        // The logging policy's own mean reward (what it earned) is what IPS gives for the logged choices themselves.
        double earned = usable.Choices.Average(c => c.Reward);
        output.WriteLine($"logged policy (Thompson sampling, exploration 0.2): mean reward {earned:F4} over {usable.Choices.Count} pairs");
        Assert.InRange(earned, 0.55, 0.95);
    }
}
