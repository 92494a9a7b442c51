using BayesianRouter.Alignment.Loop;
using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.Routing;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Tests;

/// <summary>
/// The DPO loop's bayesian-router is the live path itself (a routing session built by RouterSetup, labelling through
/// the pool's RMs, learning from the losses), and every router reads the same h unless the projection is asked for.
/// </summary>
public class LivePathTests
{
    private static readonly IReadOnlyList<TaskRewardModel> Pool = TaskRewardModels.Pool();

    private static OfflineRouter Offline(int seed = 2) => TinyModels.OfflineRouter(Pool.Select(r => r.Name).ToArray(), seed);

    /// <summary>Two answers per problem of several domains: one right, one the typical mistake.</summary>
    private static OnlineBatch Batch(PairFeatures features, int skip) =>
        new(ArithmeticTask.All.Where(p => p.HasMistake).Where((_, i) => i % 97 == skip % 97).Take(24)
            .Select(p => new OnlinePair(p, ArithmeticTask.Format(p.Answer), ArithmeticTask.Format(p.Mistake))).ToArray(), features);

    /// <summary>Loss feedback of a step with these margins.</summary>
    private static StepFeedback Losses(OnlineBatch batch, double[] margins) =>
        new(margins, new bool[margins.Length], batch.Pairs.Select(p => p.Truth).ToArray(), FeedbackProtocol.Loss);

    private static AlignSeedContext Context(AlignOptions options, OfflineRouter offline, double priorVariance = 0.02) =>
        new(1, options, Pool, offline, offline.FeatureDimension, OnlineCalibration.Default, priorVariance);

    [Fact]
    public async Task TheBayesianRouterRoutesLabelsAndLearnsThroughARoutingSessionExactlyAsAUserSessionWould()
    {
        var offline = Offline();
        var features = new PairFeatures(new HashingEmbedder(), offline, seed: 1);
        var ctx = Context(new AlignOptions(), offline, priorVariance: 0.005);
        var method = Assert.IsType<SessionAlignMethod>(AlignMethods.Create(AlignMethods.Main, ctx));
        Assert.Equal(RouterSetup.DefaultLiveModel, method.Session.Setup.Model);
        Assert.Equal(0.005, method.Session.Setup.Factory!.Options.PaperPriorVariance);

        // A user's session: the same setup (RouterSetup.FromOfflineRouter, the same seed), fed the same pairs and losses.
        var user = RoutingSession.Open(AlignMethods.Setup(RouterSetup.DefaultLiveModel, SimulationRunner.SeedFor(1, AlignMethods.Main), ctx));
        var labeller = new PoolLabeller(Pool);
        int labelled = 0, routed = 0;
        for (int step = 0; step < 4; step++)
        {
            var batch = Batch(features, step);
            var labels = await method.LabelAsync(batch, CancellationToken.None);
            var h = batch.Features;
            var theirs = await user.LabelAsync(batch.Pairs.Select((p, i) => new PairToLabel(PairFeatures.ToPreferencePair(p).Id, h[i], p.Text, null,
                PreferencePair.GroupOf(p.Problem.Prompt))).ToArray(), labeller);
            Assert.Equal(theirs.Select(d => d.Decision.Arm), labels.Select(l => l.Arm));
            Assert.All(labels, l => Assert.Equal(1, l.Calls));
            // the pool's own verdicts are the labels (a tie is no label)
            for (int i = 0; i < labels.Length; i++)
            {
                var verdict = (await Pool[labels[i].Arm].JudgeAsync([batch.Pairs[i].Text]))[0].Judgment!.Prefers();
                Assert.Equal(verdict is Preference.A or Preference.B ? verdict : null, labels[i].Winner);
            }
            var margins = batch.Pairs.Select((_, i) => Math.Sin(step + i)).ToArray();
            Assert.Null(await method.FeedbackAsync(batch, labels, Losses(batch, margins), CancellationToken.None));
            var (used, losses) = LossFeedback.Losses(labels, margins);
            await user.LearnAsync(used.Select((i, k) => FeedbackItem.OfLoss(theirs[i].Decision.DecisionId, losses[k])).ToArray());
            labelled += used.Length;
            routed += labels.Length;
        }
        var stats = method.Session.Statistics();
        Assert.Equal((routed, labelled), ((int)stats.Decisions, (int)stats.Feedback));
        Assert.Equal(4, method.Session.FeedbackBatches); // one learning call per DPO step
        Assert.Equal(user.LearnedStateDigest(), method.Session.LearnedStateDigest());
        Assert.NotEqual(RoutingSession.Open(user.Setup).LearnedStateDigest(), method.Session.LearnedStateDigest()); // it did learn
    }

    [Fact]
    public async Task OnlineModelsAndAdvantageRewardsGoThroughTheSession()
    {
        var offline = Offline();
        var features = new PairFeatures(new HashingEmbedder(), offline, seed: 1);
        var ctx = Context(new AlignOptions { OnlineModel = OnlineModel.Hierarchical }, offline);
        Assert.Equal(OnlineModel.Hierarchical, ((SessionAlignMethod)AlignMethods.Create("bayesian-router", ctx)).Session.Setup.Model);
        Assert.Equal(OnlineModel.Paper, ((SessionAlignMethod)AlignMethods.Create("bayesian-router:paper", ctx)).Session.Setup.Model);
        Assert.Equal(OnlineModel.Hierarchical, ((SessionAlignMethod)AlignMethods.Create("bayesian-router:hierarchical", ctx with { Options = new AlignOptions() })).Session.Setup.Model);

        var full = (SessionAlignMethod)AlignMethods.Create("bayesian-router:full-advantage", ctx);
        Assert.Equal(RewardVariant.FullAdvantage, full.Reward);
        var batch = Batch(features, 5);
        var labels = await full.LabelAsync(batch, CancellationToken.None);
        var extra = await full.FeedbackAsync(batch, labels, Losses(batch, batch.Pairs.Select((_, i) => i % 3 - 1.0).ToArray()), CancellationToken.None);
        int used = labels.Count(l => l.Winner is not null);
        Assert.Equal(used * (Pool.Count - 1), extra!.Sum()); // every other RM judged every trained pair
        var stats = full.Session.Statistics();
        Assert.Equal(used, (int)stats.Feedback);
        Assert.All(stats.Rms.Where(r => r.Feedback > 0), r => Assert.InRange(r.MeanReward!.Value, 0, 1)); // 0/1 rewards, not losses
    }

    [Fact]
    public async Task UnderAnAuditTheSessionAndTheBaselinesLearnTheAuditedPairsAgreementOnly()
    {
        var offline = Offline();
        var features = new PairFeatures(new HashingEmbedder(), offline, seed: 1);
        var ctx = Context(new AlignOptions { Feedback = FeedbackProtocol.Audit(0.5) }, offline);
        var method = (SessionAlignMethod)AlignMethods.Create(AlignMethods.Main, ctx);
        var ts = (RoutedAlignMethod)AlignMethods.Create("ts-no-offline", ctx);
        int audited = 0, right = 0;
        for (int step = 0; step < 3; step++)
        {
            var batch = Batch(features, 11 + step);
            var labels = await method.LabelAsync(batch, CancellationToken.None);
            var truth = batch.Pairs.Select(p => p.Truth).ToArray();
            var feedback = new StepFeedback(batch.Pairs.Select(_ => 1.0).ToArray(), FeedbackProtocol.Audit(0.5).AuditedPairs(labels.Length, 1, step), truth, FeedbackProtocol.Audit(0.5));
            Assert.Contains(true, feedback.Audited);
            Assert.Contains(false, feedback.Audited);
            for (int i = 0; i < labels.Length; i++)
                if (feedback.AuditReward(i, labels[i]) is { } r) { audited++; right += (int)r; }
            Assert.Null(await method.FeedbackAsync(batch, labels, feedback, CancellationToken.None));
            var tsLabels = await ts.LabelAsync(batch, CancellationToken.None);
            await ts.FeedbackAsync(batch, tsLabels, feedback, CancellationToken.None);
        }
        var stats = method.Session.Statistics();
        Assert.Equal(audited, (int)stats.Feedback); // the audited pairs only; the others send nothing
        Assert.Equal(right, (int)Math.Round(stats.Rms.Sum(r => r.Feedback * (r.MeanReward ?? 0)))); // 1 per agreement, 0 per disagreement
        Assert.InRange(right, 1, audited - 1);
        var tsRouter = (ThompsonSamplingRouter)ts.Router;
        Assert.Equal(audited, Enumerable.Range(0, Pool.Count).Sum(a => (int)tsRouter.Posterior(a).Observations)); // the baseline got the same information
    }

    [Fact]
    public void EveryRouterReadsHUnlessTheProjectionIsAskedFor()
    {
        var offline = Offline();
        var shared = new PairFeatures(new HashingEmbedder(), offline, seed: 1);
        var batch = Batch(shared, 3);
        Assert.Same(batch.Features, batch.BaselineFeatures);
        Assert.Equal(offline.FeatureDimension, shared.BaselineDimension);
        var ctx = Context(new AlignOptions(), offline);
        foreach (var name in new[] { "laser", "ts-no-offline", "offline-only" })
            Assert.Equal(offline.FeatureDimension, ((RoutedAlignMethod)AlignMethods.Create(name, ctx)).Router.Dimension);
        Assert.Equal(0, ((RoutedAlignMethod)AlignMethods.Create("single:calculator", ctx)).Router.Dimension);

        var projected = new PairFeatures(new HashingEmbedder(), offline, seed: 1, BaselineFeatures.RandomProjection);
        var other = Batch(projected, 3);
        Assert.Equal(offline.FusedDimension + 1, projected.BaselineDimension);
        Assert.Equal(batch.Features, other.Features); // h is h
        Assert.NotEqual(other.Features[0], other.BaselineFeatures[0]);
        var ts = (RoutedAlignMethod)AlignMethods.Create("ts-no-offline", ctx with { BaselineDimension = projected.BaselineDimension });
        Assert.Equal(projected.BaselineDimension, ts.Router.Dimension);
    }

    [Fact]
    public void TheDefaultCatalogueMeasuresBothOnlineModelsAndNamesFollowTheSharedCatalogue()
    {
        var pool = Pool.Select(r => r.Name).ToArray();
        var names = AlignMethods.DefaultNames(pool);
        Assert.Equal(MethodCatalogue.Table1(pool), names.Where(n => !n.Contains(':') || n.StartsWith("single:", StringComparison.Ordinal)));
        // the main method runs the live default; the other model follows it
        var other = RouterSetup.DefaultLiveModel == OnlineModel.Paper ? OnlineModel.Hierarchical : OnlineModel.Paper;
        Assert.Equal(AlignMethods.ModelName(other), names[names.ToList().IndexOf("bayesian-router") + 1]);
        Assert.Equal("bayesian-router:paper", AlignMethods.ModelName(OnlineModel.Paper));
        Assert.Contains("bayesian-router:hierarchical", AlignMethods.DefaultNames(pool, OnlineModel.Paper));
        Assert.Contains("bayesian-router:paper", AlignMethods.DefaultNames(pool, OnlineModel.Hierarchical));
        Assert.True(AlignMethods.IsRewardVariant("ts-no-offline:light-advantage"));
        Assert.False(AlignMethods.IsRewardVariant("bayesian-router:paper"));
        AlignMethods.Validate(names, pool);
        Assert.Contains("not a variant", Assert.Throws<ArgumentException>(() => AlignMethods.Validate(["ts-no-offline:paper"], pool)).Message);
    }
}
