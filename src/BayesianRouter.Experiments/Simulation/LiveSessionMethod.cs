using BayesianRouter.Live;
using BayesianRouter.Routing;

namespace BayesianRouter.Simulation;

/// <summary>
/// The live path replayed on the stream: a <see cref="RoutingSession"/> (what <c>serve</c>, <c>label</c> and the
/// library's <c>PairRouter</c> run) routes each batch, the chosen RM's recorded judgment is its label, the decisions are
/// logged (in memory), and the batch's feedback goes back through <see cref="RoutingSession.LearnAsync(IReadOnlyList{FeedbackItem})"/>: losses
/// (<see cref="FeedbackModel.Dpo"/>) are shaped by the session as a trainer's would be, rewards are taken as given.
/// So the simulation measures the session itself, e.g. which online model the live default should be.
/// </summary>
public sealed class LiveSessionMethod : AnnotationMethod
{
    private readonly RoutingSession _session;
    private readonly IReadOnlyList<string> _pool;
    private readonly IReadOnlyList<double> _costs;
    private readonly FeedbackModel _feedback;
    private readonly Random _feedbackRng;
    private readonly int _seed;

    /// <param name="name">Method name (e.g. live:hierarchical).</param>
    /// <param name="setup">The session's router setup (its pool must be <paramref name="pool"/>); its h is the batch's features.</param>
    public LiveSessionMethod(string name, RouterSetup setup, IReadOnlyList<string> pool, IReadOnlyList<double> costs, FeedbackModel feedback,
        Random feedbackRng, int seed) : base(name, MethodKind.Router)
    {
        if (!setup.Pool.SequenceEqual(pool, StringComparer.Ordinal)) throw new ArgumentException("the session's pool is not the simulation's");
        _session = RoutingSession.Open(setup);
        (_pool, _costs, _feedback, _feedbackRng, _seed) = (pool, costs, feedback, feedbackRng, seed);
    }

    public RoutingSession Session => _session;

    public override void Annotate(SimulationBatch batch, Span<PairOutcome> outcomes)
    {
        var pairs = batch.Pairs;
        var routed = _session.Route(pairs.Select((p, i) => new PairToRoute(p.Id, batch.Features[i], p.Domain, p.Group)).ToArray());
        var labels = routed.Select((d, i) => pairs[i].Judgments.TryGetValue(d.Rm, out var j)
            ? LabelOutcome.Labelled(d.Rm, d.Arm, j, []) : LabelOutcome.Unlabelled([new FailedRm(d.Rm, "no recorded judgment")])).ToArray();
        // The in-memory log completes at once: nothing waits here.
        _session.RecordAsync(routed, labels).GetAwaiter().GetResult();
        var items = new List<FeedbackItem>(pairs.Count);
        for (int i = 0; i < pairs.Count; i++)
        {
            int arm = routed[i].Arm;
            double cost = _costs[arm];
            var signal = _feedback.Reward(pairs[i], _pool, arm, _feedbackRng, _seed, out var extra);
            foreach (var e in extra) cost += _costs[e];
            if (signal is { } v && labels[i].Arm is not null)
                items.Add(_feedback.IsLoss ? FeedbackItem.OfLoss(routed[i].DecisionId, v) : FeedbackItem.OfReward(routed[i].DecisionId, v));
            outcomes[i] = new PairOutcome(pairs[i].IsRight(_pool[arm]), arm, 1 + extra.Length, cost, 1.0);
        }
        if (items.Count > 0) _session.LearnAsync(items).GetAwaiter().GetResult();
    }
}
