using BayesianRouter.Data;
using BayesianRouter.Live;
using BayesianRouter.RewardModels;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// The bayesian-router in the DPO loop, run as a user's trainer runs it: a <see cref="RoutingSession"/> (what
/// <c>serve</c> and <c>label</c> run, built by <see cref="RouterSetup.FromOfflineRouter"/>) routes each step's pairs by
/// Thompson sampling, labels them through the pool's <see cref="IRewardModel"/>s (<see cref="PoolLabeller"/>: one
/// batched call per RM; a pair whose RM fails goes to the next RM of its decision's fallback order), logs the
/// decisions (in memory), and after the DPO step learns from the pairs' losses through
/// <see cref="RoutingSession.LearnAsync(IReadOnlyList{FeedbackItem})"/>, one call per step: the session shapes them (batch-centred, 20/80-quantile
/// rescaled: appendix B) as it does a trainer's <c>/v1/feedback</c>. With an advantage reward the loop computes each
/// pair's 0/1 reward (<see cref="LossFeedback"/>) and sends it as a reward item. Pairs without a label (a tie) are not
/// trained on and send no feedback. The router sees text only: h of the pair, its prompt as the group, no domain.
/// </summary>
public sealed class SessionAlignMethod : AlignMethod
{
    private readonly RoutingSession _session;
    private readonly PoolLabeller _labeller;
    private readonly LossFeedback _losses;
    private string[] _decisions = [];

    public SessionAlignMethod(string name, RouterSetup setup, IReadOnlyList<IRewardModel> pool, LossFeedback losses) : base(name, MethodKind.Router)
    {
        _session = RoutingSession.Open(setup);
        _labeller = new PoolLabeller(pool);
        _losses = losses;
    }

    /// <summary>The live session the method routes and learns through.</summary>
    public RoutingSession Session => _session;

    public RewardVariant Reward => _losses.Reward;

    public override async Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken)
    {
        var pairs = batch.Pairs;
        var h = batch.Features;
        var request = pairs.Select((p, i) => new PairToLabel(PairFeatures.ToPreferencePair(p).Id, h[i], p.Text, Domain: null,
            Group: PreferencePair.GroupOf(p.Problem.Prompt))).ToArray();
        var labelled = await _session.LabelAsync(request, _labeller, cancellationToken).ConfigureAwait(false);
        _decisions = labelled.Select(l => l.Decision.DecisionId).ToArray();
        return labelled.Select(l => new PairLabel(l.Label.Preferred is Preference.A or Preference.B ? l.Label.Preferred : null, 1.0,
            l.Label.Arm ?? l.Decision.Arm, l.Label.FallbackFrom.Count + (l.Label.Arm is null ? 0 : 1))).ToArray();
    }

    public override async Task<int[]?> FeedbackAsync(OnlineBatch batch, PairLabel[] labels, StepFeedback feedback, CancellationToken cancellationToken)
    {
        if (labels.Length != _decisions.Length) throw new InvalidOperationException($"{labels.Length} labels for the {_decisions.Length} decisions of the step");
        if (feedback.Protocol.Kind == FeedbackKind.Audit)
        {
            // the audited pairs only, each with its 0/1 agreement: a trainer's reward items
            var audited = labels.Select((l, i) => (i, Reward: feedback.AuditReward(i, l))).Where(x => x.Reward is not null)
                .Select(x => FeedbackItem.OfReward(_decisions[x.i], x.Reward!.Value)).ToArray();
            if (audited.Length > 0) Check(await _session.LearnAsync(audited).ConfigureAwait(false), audited.Length);
            return null;
        }
        var marginsIfA = feedback.MarginsIfA;
        var (used, losses) = LossFeedback.Losses(labels, marginsIfA);
        if (used.Length == 0) return null;
        int[]? extra = null;
        FeedbackItem[] items;
        if (_losses.Reward == RewardVariant.BatchLoss)
            items = used.Select((i, k) => FeedbackItem.OfLoss(_decisions[i], losses[k])).ToArray();
        else
        {
            (var rewards, extra) = await _losses.AdvantageAsync(batch, labels, used, losses, marginsIfA, cancellationToken).ConfigureAwait(false);
            items = used.Select((i, k) => FeedbackItem.OfReward(_decisions[i], rewards[k])).ToArray();
        }
        Check(await _session.LearnAsync(items).ConfigureAwait(false), items.Length);
        return extra;
    }

    private static void Check(FeedbackResult result, int sent)
    {
        if (result.Accepted != sent)
            throw new InvalidOperationException($"the session learned from {result.Accepted} of {sent} feedback items (unknown {result.Unknown.Count}, duplicate {result.Duplicate.Count}, unlabelled {result.Unlabelled.Count})");
    }
}
