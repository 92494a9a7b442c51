using System.Collections;
using System.Security.Cryptography;
using System.Text;
using BayesianRouter.Features;
using BayesianRouter.IO;
using BayesianRouter.Rewards;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Live;

/// <summary>
/// Live routing (paper sections 3.3-3.4, appendix B) with a durable log: route batches of pairs to RMs, label them
/// through the pool, learn from the trainer's feedback, and continue after a restart exactly where the log stands.
/// Thread-safe: decisions and learning are serialised inside; RM calls and log writes run outside the lock.
/// <list type="number">
/// <item><see cref="Route"/>: Thompson sampling per pair through the setup's <see cref="IThompsonRouter"/> (built by
/// <see cref="BayesianRouterFactory"/> from an offline artifact, or the zero-prior linear router): a fresh draw of
/// every arm's score, the argmax, with an optional uniform exploration floor; each decision carries its choice
/// probability (&gt; 0) and fallback order (<see cref="ThompsonChoice"/>) and the hash of its features.</item>
/// <item><see cref="RecordAsync(RoutedBatch, IReadOnlyList{LabelOutcome})"/> logs decisions with their labels (<see cref="PoolLabeller"/>); only logged decisions
/// take feedback. <see cref="LabelAsync(IReadOnlyList{PairToLabel}, PoolLabeller, CancellationToken)"/> does route + label + record.</item>
/// <item><see cref="LearnAsync(IReadOnlyList{FeedbackItem})"/>: one call is one training batch. Losses are batch-centred, then rescaled by the 20/80
/// quantiles of all past centred rewards (<see cref="QuantileNormaliser"/>); rewards in [0, 1] are taken as they are.
/// Each arm's posterior is updated once with its pairs (Eq. 5-6), the arm being the RM that labelled the pair. The
/// router's input is built from the decision's h, domain and group at this point (the hierarchical model's name table
/// grows only here, in the logged order, so a replay rebuilds it exactly).</item>
/// <item><see cref="Open(RouterSetup, IDecisionStore?, RoutingSessionOptions?, string?)"/> restores a checkpoint (<see cref="SaveCheckpointAsync"/>, atomic) and replays the feedback
/// logged after it, so the posteriors equal those of a session that never stopped; the random generators continue
/// from the newest logged cursor.</item>
/// </list>
/// </summary>
public sealed class RoutingSession : ICheckpointable
{
    private readonly object _gate = new();
    private readonly IThompsonRouter _router;
    private readonly ICheckpointable _routerState;
    private readonly QuantileNormaliser _normaliser;
    private readonly BudgetPacer _budget;
    private readonly IDecisionStore _store;
    private readonly string _instance;
    private SeededRandom _draws, _monteCarlo, _explore;
    private long _nextSequence;
    private long _lastBatch;
    private readonly HashSet<long> _pendingFeedback = [];
    private readonly long[] _chosen, _labelled, _feedback;
    private readonly double[] _rewardSum;
    private long _decisions, _feedbackTotal, _unlabelled;
    private Exception? _fault;

    private RoutingSession(RouterSetup setup, IDecisionStore store, RoutingSessionOptions options)
    {
        setup.Validate();
        options.Validate();
        Setup = setup;
        Options = options;
        _store = store;
        int arms = setup.Pool.Count;
        var router = setup.CreateRouter();
        var (costs, budget) = options.BudgetFor(arms);
        // under a budget the anchor's incumbent is the offline pick among the RMs the budget affords on every pair: the
        // cost-aware choice is made among it and its credible challengers (AnchoredThompsonRouter, docs/cost-aware-routing.md)
        _router = AnchoredThompsonRouter.UnderBudget(router, costs, budget.Budget);
        _routerState = _router as ICheckpointable
            ?? throw new ArgumentException($"the setup's router ({_router.GetType().Name}) cannot save its state, which a session must");
        if (_router.Arms != arms) throw new ArgumentException($"the setup's router has {_router.Arms} arms for a pool of {arms} RMs");
        _normaliser = new QuantileNormaliser(options.Rewards);
        _budget = new BudgetPacer(costs, budget);
        long seed = setup.Seed;
        _draws = new SeededRandom(seed, 10);
        _monteCarlo = new SeededRandom(seed, 11);
        _explore = new SeededRandom(seed, 12);
        _chosen = new long[arms];
        _labelled = new long[arms];
        _feedback = new long[arms];
        _rewardSum = new double[arms];
        _instance = store.Attach(setup.Pool, setup.Id);
    }

    /// <summary>
    /// Opens a session on a store: restores <paramref name="checkpointPath"/> when that file exists, replays the
    /// feedback the store logged after it, and continues the random draws from the store's newest cursor. With an
    /// empty store and no checkpoint it starts at the prior.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint or the log does not fit this setup, or is inconsistent.</exception>
    public static RoutingSession Open(RouterSetup setup, IDecisionStore? store = null, RoutingSessionOptions? options = null,
        string? checkpointPath = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var session = new RoutingSession(setup, store ?? new MemoryDecisionStore(), options ?? new RoutingSessionOptions());
        session.Recover(checkpointPath);
        return session;
    }

    /// <summary>Opens a session as <see cref="Open(RouterSetup, IDecisionStore?, RoutingSessionOptions?, string?)"/> does, restoring the checkpoint from its bytes (<see cref="Snapshot{T}"/>).</summary>
    internal static RoutingSession Open(RouterSetup setup, IDecisionStore store, RoutingSessionOptions? options, byte[] checkpoint, string source)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var session = new RoutingSession(setup, store, options ?? new RoutingSessionOptions());
        try
        {
            CheckpointFile.Restore(checkpoint, session);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        session.Replay();
        return session;
    }

    /// <summary>
    /// The state a checkpoint file would hold, as bytes, and <paramref name="alongside"/>'s result, both taken under the
    /// session's lock: no decision or feedback is logged in between (every append to the store happens under it), so
    /// a snapshot of an in-memory store taken there is consistent with the checkpoint.
    /// </summary>
    internal (byte[] Checkpoint, T Alongside) Snapshot<T>(Func<T> alongside)
    {
        SessionState state;
        T other;
        lock (_gate)
        {
            ThrowIfFaulted();
            state = Capture();
            other = alongside();
        }
        return (CheckpointFile.ToBytes(state), other);
    }

    /// <summary>
    /// The state a checkpoint holds, taken under the lock in time proportional to the router's own state (the reward
    /// history is referenced, not copied: <see cref="QuantileNormaliser.Snapshot"/>); serialising and hashing it
    /// happen outside the lock, so checkpoints and state digests do not stop routing.
    /// </summary>
    private SessionState Capture()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) _routerState.WriteState(w);
        using var generators = new MemoryStream();
        using (var w = new BinaryWriter(generators, Encoding.UTF8, leaveOpen: true))
        {
            _draws.WriteState(w);
            _monteCarlo.WriteState(w);
            _explore.WriteState(w);
        }
        return new SessionState(this, ms.ToArray(), _normaliser.Snapshot(), generators.ToArray(), _nextSequence, _lastBatch, _budget.Progress);
    }

    /// <summary>A captured session state: writes exactly what <see cref="WriteState"/> writes.</summary>
    private sealed class SessionState(RoutingSession session, byte[] router, QuantileHistory rewards, byte[] generators, long nextSequence,
        long lastBatch, BudgetProgress budget) : ICheckpointable
    {
        public byte[] Router => router;
        public QuantileHistory Rewards => rewards;
        public string StateKind => session.StateKind;
        public int StateVersion => session.StateVersion;

        public void WriteState(BinaryWriter w)
        {
            w.Write(session.Pool.Count);
            foreach (var rm in session.Pool) w.Write(rm);
            w.Write(session.Setup.Id);
            w.Write(router);
            rewards.WriteState(w);
            w.Write(generators);
            w.Write(nextSequence);
            w.Write(lastBatch);
            budget.Write(w);
        }

        public Action ReadState(BinaryReader reader, int version) => throw new NotSupportedException("a captured state is only written");
    }

    public RouterSetup Setup { get; }

    public RoutingSessionOptions Options { get; }

    /// <summary>RM names, in arm order.</summary>
    public IReadOnlyList<string> Pool => Setup.Pool;

    /// <summary>The store's instance id: the prefix of this session's decision ids.</summary>
    public string InstanceId => _instance;

    /// <summary>Feedback batches learned from so far (also the number of the last one).</summary>
    public long FeedbackBatches
    {
        get { lock (_gate) return _lastBatch; }
    }

    /// <summary>The features h of a pair, from its embedding and domain (<see cref="RouterSetup.Features"/>).</summary>
    public double[] Features(PairEmbedding embedding, string? domain) => Setup.Features.Features(embedding, domain);

    /// <summary>The router this session routes with: what the setup built (read it; the session changes it only when it learns).</summary>
    public IThompsonRouter Router => _router;

    /// <summary>
    /// Decides an RM for every pair, in order. Nothing is logged yet: log the decisions with their labels through
    /// <see cref="RecordAsync(RoutedBatch, IReadOnlyList{LabelOutcome})"/> (feedback is accepted for logged decisions only).
    /// </summary>
    /// <exception cref="ArgumentException">A feature vector of the wrong length or with a non-finite value.</exception>
    public RoutedBatch Route(IReadOnlyList<PairToRoute> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var features = new double[pairs.Count][];
        for (int i = 0; i < pairs.Count; i++)
        {
            if (pairs[i] is null) throw new ArgumentException($"pair {i} is null");
            features[i] = pairs[i].Features;
        }
        RouterBase.CheckContexts(features, Setup.Features.Dimension);
        int arms = Pool.Count;
        double epsilon = Options.Exploration;
        int draws = Options.MonteCarloDraws;
        lock (_gate)
        {
            ThrowIfFaulted();
            var decisions = new Decision[pairs.Count];
            if (pairs.Count == 0) return new RoutedBatch(decisions, Cursor());
            // Decision-only contexts: names the router has not learned about are routed as new, not interned.
            var contexts = new double[pairs.Count][];
            for (int p = 0; p < contexts.Length; p++) contexts[p] = Setup.Context(_router, features[p], pairs[p].Domain, pairs[p].Group, intern: false);
            var sampled = _router.Sample(contexts, _draws);
            if (_budget.Options.Budget is not null && _budget.Pairs == 0 && _budget.Spend == 0)
                StartBudget(sampled.Moments, _router is AnchoredThompsonRouter a ? a.Inner.ScoreMoments(contexts) : sampled.Moments);
            // Only with the Monte-Carlo estimate (draws > 0): normals shared by the pairs of this call (common random
            // numbers), each pair's estimate still an M-draw estimate, at M x N multiply-adds per pair.
            var normals = arms > 1 && draws > 0 ? ThompsonChoice.Normals(_monteCarlo, draws, arms) : [];
            for (int p = 0; p < pairs.Count; p++)
            {
                var scores = sampled.Scores[p];
                // Without a budget every arm is affordable at price 0: the plain Thompson choice, exploration and estimate.
                var quote = _budget.Quote();
                var affordable = quote.AffordableArms;
                int? explored = null;
                if (epsilon > 0 && _explore.NextDouble() < epsilon && affordable.Count > 0) explored = affordable[_explore.NextInt(affordable.Count)];
                int arm = _budget.Choose(scores, explored);
                // P(the Thompson draw picks this arm | the router's state), under the budget's prices when there is one
                double thompson = arms == 1 ? 1.0
                    : draws == 0 ? NormalArgmax.Probability(sampled.Moments, p, arm, quote.Unlimited ? null : quote.Apply)
                    : (ThompsonChoice.MonteCarloHits(sampled.Moments, p, arm, normals, quote.Unlimited ? null : quote.Apply) + 1.0) / (draws + 1.0);
                // in debt after fallback charges only the cheapest RM is taken: a certain choice
                double probability = affordable.Count == 0 ? 1.0 : (quote.IsAffordable(arm) ? epsilon / affordable.Count : 0) + (1 - epsilon) * thompson;
                long sequence = _nextSequence++;
                decisions[p] = new Decision
                {
                    DecisionId = $"{_instance}-{sequence}",
                    Sequence = sequence,
                    PairId = pairs[p].PairId,
                    Arm = arm,
                    Rm = Pool[arm],
                    Probability = probability,
                    FallbackOrder = quote.Unlimited ? ThompsonChoice.FallbackOrder(arm, scores) : quote.FallbackOrder(arm, scores),
                    Features = features[p],
                    FeaturesHash = Decision.HashFeatures(features[p]),
                    Domain = pairs[p].Domain,
                    Group = pairs[p].Group,
                };
            }
            return new RoutedBatch(decisions, Cursor());
        }
    }

    /// <summary>
    /// The budget's starting price and step from the first routed batch's prior scores (what a held-out part gives the
    /// simulation; no label is read): the offline dual of those pairs, and kappa x their score scale / c_max, the scale
    /// being the range of the prior means or, when the prior cannot tell the RMs apart (a zero prior), twice the draws'
    /// mean standard deviation. The price is the dual of the choice the router makes (<paramref name="chosenFrom"/>: with
    /// an anchor, among the incumbent and its credible challengers); the scale is the model's own
    /// (<paramref name="model"/>: without the anchor's shift of the excluded arms).
    /// </summary>
    private void StartBudget(ScoreMoments chosenFrom, ScoreMoments model)
    {
        static double[][] Means(ScoreMoments m) => Enumerable.Range(0, m.Pairs).Select(p => Enumerable.Range(0, m.Arms).Select(n => m.Mean(p, n)).ToArray()).ToArray();
        double spread = Enumerable.Range(0, model.Pairs).Average(p => Enumerable.Range(0, model.Arms).Average(n => model.StdDev(p, n)));
        var costs = _budget.Costs;
        double price = BudgetPacer.OfflinePrice(Means(chosenFrom), costs, _budget.Options.Budget!.Value);
        double maxCost = costs.Max() > 0 ? costs.Max() : 1;
        _budget.Start(price, Options.BudgetStep * Math.Max(BudgetPacer.ScoreRange(Means(model)), 2 * spread) / maxCost);
    }

    /// <summary>
    /// What a labelled decision spent beyond the one call of its routed RM charged at routing: every request sent for the
    /// pair costs its RM's cost (<see cref="RmJudgment.Attempts"/>: the routed RM's retries, every fallback RM tried and
    /// its retries). A routed RM that was never asked (its circuit open) stays charged its one call: the pacer takes no
    /// refunds, so the spend errs high, never low.
    /// </summary>
    private double FallbackCharge(Decision decision, LabelOutcome label)
    {
        var costs = _budget.Costs;
        double total = 0;
        foreach (var f in label.FallbackFrom) total += ArmOf(f.Rm) is { } a ? costs[a] * f.Attempts : 0;
        if (label.Arm is { } labelled) total += costs[labelled] * label.Attempts;
        return Math.Max(0, total - costs[decision.Arm]);
    }

    private int? ArmOf(string rm)
    {
        for (int n = 0; n < Pool.Count; n++) if (Pool[n] == rm) return n;
        return null;
    }

    /// <summary>The session's spending: budget, spend (fallbacks included), pairs, mean cost per pair, price.</summary>
    public BudgetStatus Budget()
    {
        lock (_gate)
            return new BudgetStatus(_budget.Options.Budget, _budget.Spend, _budget.Charged, _budget.Pairs, _budget.MeanCost, _budget.Price);
    }

    private SessionCursor Cursor()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            _draws.WriteState(w);
            _monteCarlo.WriteState(w);
            _explore.WriteState(w);
        }
        return new SessionCursor(_nextSequence, ms.ToArray());
    }

    private void InstallCursor(SessionCursor cursor)
    {
        using var r = new BinaryReader(new MemoryStream(cursor.Generators));
        var draws = SeededRandom.ReadState(r);
        var monteCarlo = SeededRandom.ReadState(r);
        var explore = SeededRandom.ReadState(r);
        // the budget's progress follows the generators (cursors logged before budgets existed end here)
        var progress = r.BaseStream.Position < r.BaseStream.Length ? BudgetProgress.Read(r) : null;
        (_draws, _monteCarlo, _explore, _nextSequence) = (draws, monteCarlo, explore, cursor.NextSequence);
        if (progress != null) _budget.Resume(progress);
    }

    /// <summary>A batch's cursor with the budget's progress as it stands now (its fallback charges included).</summary>
    private SessionCursor WithBudget(SessionCursor cursor)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms)) _budget.Progress.Write(w);
        return cursor with { Generators = [.. cursor.Generators, .. ms.ToArray()] };
    }

    /// <summary>
    /// Logs routed decisions with their labels (aligned), durably (the store's sense) before the task completes.
    /// </summary>
    public Task RecordAsync(RoutedBatch batch, IReadOnlyList<LabelOutcome> labels) => RecordAsync(batch, labels, null);

    /// <summary>
    /// Logs routed decisions with their labels (aligned) and the idempotency key of the request that made them (null:
    /// none) in one durable write (<see cref="IDecisionStore.AppendDecisionsAsync(IReadOnlyList{LabelledDecision}, SessionCursor, RequestKey?)"/>),
    /// before the task completes.
    /// </summary>
    public async Task RecordAsync(RoutedBatch batch, IReadOnlyList<LabelOutcome> labels, RequestKey? request)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != batch.Count) throw new ArgumentException($"{labels.Count} labels for {batch.Count} decisions");
        var records = new LabelledDecision[batch.Count];
        for (int i = 0; i < records.Length; i++) records[i] = new LabelledDecision(batch[i], labels[i] ?? throw new ArgumentException($"label {i} is null"));
        Task write;
        lock (_gate)
        {
            ThrowIfFaulted();
            foreach (var r in records)
            {
                _decisions++;
                _chosen[r.Decision.Arm]++;
                if (r.Label.Arm is { } a) _labelled[a]++;
                else _unlabelled++;
                if (FallbackCharge(r.Decision, r.Label) is var charge and > 0) _budget.Charge(charge);
            }
            write = _store.AppendDecisionsAsync(records, WithBudget(batch.Cursor), request);
        }
        await Committed(write).ConfigureAwait(false);
    }

    /// <summary>Route, label through <paramref name="labeller"/>, and log: the whole path of one request. Each decision
    /// carries the digest of its pair's texts (<see cref="Decision.TextsDigest"/>).</summary>
    public Task<IReadOnlyList<LabelledDecision>> LabelAsync(IReadOnlyList<PairToLabel> pairs, PoolLabeller labeller,
        CancellationToken cancellationToken = default) => LabelRequestAsync(pairs, labeller, null, cancellationToken);

    /// <summary>
    /// Route, label through <paramref name="labeller"/>, and log with the idempotency key of the request (null: none) in
    /// the same durable write. Each decision carries the digest of its pair's texts (<see cref="Decision.TextsDigest"/>).
    /// </summary>
    public async Task<IReadOnlyList<LabelledDecision>> LabelRequestAsync(IReadOnlyList<PairToLabel> pairs, PoolLabeller labeller, RequestKey? request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(labeller);
        if (!labeller.Pool.Select(r => r.Name).SequenceEqual(Pool, StringComparer.Ordinal))
            throw new ArgumentException($"the labeller's RMs ({string.Join(",", labeller.Pool.Select(r => r.Name))}) are not the session's pool ({string.Join(",", Pool)})");
        var routed = Route(pairs.Select(p => new PairToRoute(p.PairId, p.Features, p.Domain, p.Group)).ToArray());
        var batch = new RoutedBatch(routed.Select((d, i) => d with { TextsDigest = Decision.DigestTexts(pairs[i].Texts) }).ToArray(), routed.Cursor);
        var labels = await labeller.LabelAsync(batch, pairs.Select(p => p.Texts).ToArray(), cancellationToken).ConfigureAwait(false);
        await RecordAsync(batch, labels, request).ConfigureAwait(false);
        return batch.Select((d, i) => new LabelledDecision(d, labels[i])).ToArray();
    }

    /// <summary>
    /// Labels again logged decisions that no RM could label (an RM was down): each pair goes through its decision's
    /// fallback order from the start, as when it was routed; the decision (RM, probability) is not drawn again, so the
    /// log keeps one decision per pair. Every request is charged to the budget. The new labels and the spend are logged
    /// before the task completes. A decision that is not logged, already labelled or given feedback is refused.
    /// </summary>
    /// <exception cref="ArgumentException">A decision that is not an unlabelled decision of this log.</exception>
    public async Task<IReadOnlyList<LabelledDecision>> RelabelAsync(IReadOnlyList<(Decision Decision, PairText Texts)> unlabelled, PoolLabeller labeller,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(unlabelled);
        ArgumentNullException.ThrowIfNull(labeller);
        if (unlabelled.Count == 0) return [];
        var found = _store.FindDecisions(unlabelled.Select(u => u.Decision.Sequence).ToArray());
        foreach (var (d, _) in unlabelled)
            if (!found.TryGetValue(d.Sequence, out var stored) || stored.LabelArm is not null || stored.HasFeedback)
                throw new ArgumentException($"decision {d.DecisionId} (pair {d.PairId}) is not an unlabelled decision of this log");
        var decisions = unlabelled.Select(u => u.Decision).ToArray();
        var labels = await labeller.LabelAsync(decisions, unlabelled.Select(u => u.Texts).ToArray(), cancellationToken).ConfigureAwait(false);
        var records = decisions.Select((d, i) => new LabelledDecision(d, labels[i])).ToArray();
        Task write;
        lock (_gate)
        {
            ThrowIfFaulted();
            var costs = _budget.Costs;
            foreach (var r in records)
            {
                if (r.Label.Arm is { } a)
                {
                    _labelled[a]++;
                    _unlabelled--;
                }
                // its routing and its first round of calls were charged when it was routed: every request now is new spend
                double charge = r.Label.FallbackFrom.Sum(f => ArmOf(f.Rm) is { } n ? costs[n] * f.Attempts : 0)
                    + (r.Label.Arm is { } l ? costs[l] * r.Label.Attempts : 0);
                if (charge > 0) _budget.Charge(charge);
            }
            write = _store.ReplaceLabelsAsync(records, WithBudget(Cursor()));
        }
        await Committed(write).ConfigureAwait(false);
        return records;
    }

    /// <summary>
    /// Learns from one training batch of feedback (see the class summary). Unknown ids, ids that already had feedback
    /// (or come twice in the call) and decisions without a label are reported in the result, never thrown. The
    /// accepted items are logged before the task completes.
    /// </summary>
    public Task<FeedbackResult> LearnAsync(IReadOnlyList<FeedbackItem> items) => LearnAsync(items, null);

    /// <summary>
    /// Learns from one training batch of feedback as <see cref="LearnAsync(IReadOnlyList{FeedbackItem})"/> does, logging
    /// the idempotency key of the request that sent it (null: none) in the same durable write as the accepted items.
    /// </summary>
    public async Task<FeedbackResult> LearnAsync(IReadOnlyList<FeedbackItem> items, RequestKey? request)
    {
        ArgumentNullException.ThrowIfNull(items);
        var unknown = new List<string>();
        var duplicate = new List<string>();
        var unlabelled = new List<string>();
        Task write;
        int accepted;
        lock (_gate)
        {
            ThrowIfFaulted();
            var sequences = new long?[items.Count];
            for (int i = 0; i < items.Count; i++)
                sequences[i] = items[i] is { } item ? ParseSequence(item.DecisionId) : throw new ArgumentException($"feedback item {i} is null");
            var found = _store.FindDecisions(sequences.Where(s => s.HasValue).Select(s => s!.Value).Distinct().ToArray());
            var seen = new HashSet<long>();
            var kept = new List<(FeedbackItem Item, StoredDecision Decision)>();
            for (int i = 0; i < items.Count; i++)
            {
                if (sequences[i] is not { } seq || !found.TryGetValue(seq, out var d)) unknown.Add(items[i].DecisionId);
                else if (!seen.Add(seq) || d.HasFeedback || _pendingFeedback.Contains(seq)) duplicate.Add(items[i].DecisionId);
                else if (d.LabelArm is null) unlabelled.Add(items[i].DecisionId);
                else kept.Add((items[i], d));
            }
            accepted = kept.Count;
            if (accepted == 0) return new FeedbackResult(0, unknown, duplicate, unlabelled);
            var entries = kept.Select(k => new LearnEntry(k.Decision.LabelArm!.Value, k.Decision.Features, k.Decision.Domain, k.Decision.Group,
                k.Item.Loss.HasValue, k.Item.Loss ?? k.Item.Reward!.Value)).ToArray();
            var rewards = Apply(entries);
            long batch = ++_lastBatch;
            var records = new FeedbackRecord[accepted];
            for (int i = 0; i < accepted; i++)
            {
                var (arm, h, domain, group, isLoss, value) = entries[i];
                records[i] = new FeedbackRecord(kept[i].Decision.Sequence, arm, h, isLoss, value, rewards[i], domain, group);
                _pendingFeedback.Add(records[i].Sequence);
                _feedback[arm]++;
                _rewardSum[arm] += rewards[i];
                _feedbackTotal++;
            }
            write = _store.AppendFeedbackAsync(new FeedbackBatch(batch, records), request);
            write.ContinueWith(_ =>
            {
                lock (_gate) foreach (var r in records) _pendingFeedback.Remove(r.Sequence);
            }, TaskScheduler.Default);
        }
        await Committed(write).ConfigureAwait(false);
        return new FeedbackResult(accepted, unknown, duplicate, unlabelled);
    }

    /// <summary>One accepted feedback item: the labelling arm, the decision's h, domain and group, and what was sent.</summary>
    private readonly record struct LearnEntry(int Arm, double[] Features, string? Domain, string? Group, bool IsLoss, double Value);

    /// <summary>
    /// Shapes one batch (losses centred and quantile-rescaled together, in item order; rewards as given) and updates
    /// the posteriors, the router's input rebuilt from h, domain and group in item order. The same code serves live
    /// feedback and the replay after a restart, so both give the same state.
    /// </summary>
    private double[] Apply(IReadOnlyList<LearnEntry> entries)
    {
        var rewards = new double[entries.Count];
        var lossIndex = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].IsLoss) lossIndex.Add(i);
            else rewards[i] = entries[i].Value;
        }
        if (lossIndex.Count > 0)
        {
            var shaped = _normaliser.ShapeLosses(lossIndex.Select(i => entries[i].Value).ToArray());
            for (int k = 0; k < lossIndex.Count; k++) rewards[lossIndex[k]] = shaped[k];
        }
        var feedback = new ArmFeedback[entries.Count];
        for (int i = 0; i < feedback.Length; i++)
            feedback[i] = new ArmFeedback(Setup.Context(_router, entries[i].Features, entries[i].Domain, entries[i].Group, intern: true), entries[i].Arm, rewards[i]);
        _router.Update(feedback);
        return rewards;
    }

    private long? ParseSequence(string? decisionId)
    {
        if (decisionId is null || decisionId.Length <= _instance.Length + 1 || !decisionId.StartsWith(_instance, StringComparison.Ordinal)
            || decisionId[_instance.Length] != '-') return null;
        var digits = decisionId.AsSpan(_instance.Length + 1);
        foreach (var c in digits) if (c is < '0' or > '9') return null;
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null;
    }

    private async Task Committed(Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            lock (_gate) _fault ??= e;
            throw new SessionFaultedException($"the decision log could not be written ({e.Message}); the session stopped: restart it", e);
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } e) throw new SessionFaultedException($"the decision log failed earlier ({e.Message}); restart the session", e);
    }

    /// <summary>True once a log write failed (the session then refuses all work).</summary>
    public bool IsFaulted
    {
        get { lock (_gate) return _fault != null; }
    }

    /// <summary>
    /// Writes the complete state (posteriors, reward history, generators, counters) to <paramref name="path"/>
    /// atomically, once everything it includes is durable in the store.
    /// </summary>
    public async Task SaveCheckpointAsync(string path)
    {
        SessionState state;
        Task flush;
        lock (_gate)
        {
            ThrowIfFaulted();
            state = Capture();
            flush = _store.FlushAsync();
        }
        var bytes = CheckpointFile.ToBytes(state); // outside the lock: routing goes on
        await Committed(flush).ConfigureAwait(false);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    private void Recover(string? checkpointPath)
    {
        if (checkpointPath != null && File.Exists(checkpointPath)) CheckpointFile.Restore(checkpointPath, this);
        Replay();
    }

    /// <summary>Feedback batches the last <see cref="Open(RouterSetup, IDecisionStore?, RoutingSessionOptions?, string?)"/> replayed from the log
    /// (those logged after the checkpoint it restored; all of them without one).</summary>
    public long ReplayedBatches { get; private set; }

    /// <summary>Replays the feedback logged after the restored state, then takes the cursor and counts from the store.</summary>
    private void Replay()
    {
        foreach (var batch in _store.ReadFeedback(_lastBatch))
        {
            if (batch.Batch != _lastBatch + 1)
                throw new InvalidDataException($"the log's feedback batch {batch.Batch} follows batch {_lastBatch}: a batch is missing");
            var rewards = Apply(batch.Items.Select(f => new LearnEntry(f.Arm, f.Features, f.Domain, f.Group, f.IsLoss, f.Value)).ToArray());
            for (int i = 0; i < rewards.Length; i++)
                if (BitConverter.DoubleToInt64Bits(rewards[i]) != BitConverter.DoubleToInt64Bits(batch.Items[i].Reward))
                    throw new InvalidDataException($"feedback batch {batch.Batch}, item {i}: the replayed reward {rewards[i]} differs from the logged {batch.Items[i].Reward} (checkpoint and log disagree)");
            _lastBatch = batch.Batch;
            ReplayedBatches++;
        }
        if (_store.ReadCursor() is { } cursor && cursor.NextSequence >= _nextSequence) InstallCursor(cursor);
        var counts = _store.Counts();
        _decisions = counts.Decisions;
        _feedbackTotal = counts.Feedback;
        for (int n = 0; n < Pool.Count && n < counts.Chosen.Length; n++)
        {
            _chosen[n] = counts.Chosen[n];
            _labelled[n] = counts.Labelled[n];
            _feedback[n] = counts.FeedbackPerArm[n];
            _rewardSum[n] = counts.RewardSum[n];
        }
        _unlabelled = counts.Decisions - counts.Labelled.Sum();
    }

    /// <summary>Totals and per-RM counts.</summary>
    public SessionStatistics Statistics()
    {
        lock (_gate)
            return new SessionStatistics(Pool, _decisions, _feedbackTotal, _unlabelled,
                Pool.Select((rm, n) => new RmStatistics(rm, _chosen[n], _labelled[n], _feedback[n], _feedback[n] == 0 ? null : _rewardSum[n] / _feedback[n])).ToArray());
    }

    /// <summary>
    /// SHA-256 (hex) of what the session has learned: the router's state (every arm's posterior; the hierarchical
    /// model's names and statistics) and the reward history. Two sessions that learned from the same feedback have the
    /// same digest.
    /// </summary>
    public string LearnedStateDigest()
    {
        SessionState state;
        lock (_gate) state = Capture();
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(state.Router);
            state.Rewards.WriteState(w);
        }
        return Convert.ToHexStringLower(SHA256.HashData(ms.ToArray()));
    }

    /// <summary>Arm n's posterior (read only) when the session routes with the linear model (the paper's, or zero-prior).</summary>
    /// <exception cref="InvalidOperationException">The router is not linear (the hierarchical model).</exception>
    public ArmPosterior Posterior(int arm)
    {
        lock (_gate)
            return (_router is AnchoredThompsonRouter anchored ? anchored.Inner : _router) is ThompsonSamplingRouter linear ? linear.Posterior(arm)
                : throw new InvalidOperationException($"the session routes with {_router.GetType().Name}, which has no linear posterior per arm");
    }

    public string StateKind => "routing-session";

    /// <summary>3: the reward history's bound and sketch (<see cref="QuantileNormaliser"/> version 2); 2: the budget's progress.</summary>
    public int StateVersion => 3;

    public void WriteState(BinaryWriter w)
    {
        SessionState state;
        lock (_gate) state = Capture();
        state.WriteState(w);
    }

    public Action ReadState(BinaryReader r, int version)
    {
        int count = r.ReadInt32();
        var pool = new string[Math.Max(0, Math.Min(count, 4096))];
        if (count != pool.Length) throw new InvalidDataException($"checkpoint pool size {count} is not valid");
        for (int i = 0; i < count; i++) pool[i] = r.ReadString();
        if (!pool.SequenceEqual(Pool, StringComparer.Ordinal))
            throw new InvalidDataException($"the checkpoint was made for the pool {string.Join(",", pool)}, not {string.Join(",", Pool)}");
        var features = r.ReadString();
        if (features != Setup.Id)
            throw new InvalidDataException($"the checkpoint was made with the features {features}, not {Setup.Id}");
        var router = _routerState.ReadState(r, _routerState.StateVersion);
        var normaliser = _normaliser.ReadState(r, version >= 3 ? 2 : 1); // session version 3: the bounded reward history
        var draws = SeededRandom.ReadState(r);
        var monteCarlo = SeededRandom.ReadState(r);
        var explore = SeededRandom.ReadState(r);
        long next = r.ReadInt64(), lastBatch = r.ReadInt64();
        if (next < 0 || lastBatch < 0) throw new InvalidDataException("checkpoint counters are negative");
        var progress = version >= 2 ? BudgetProgress.Read(r) : null; // version 1: made before budgets
        return () =>
        {
            router();
            normaliser();
            (_draws, _monteCarlo, _explore, _nextSequence, _lastBatch) = (draws, monteCarlo, explore, next, lastBatch);
            if (progress != null) _budget.Resume(progress);
        };
    }
}

/// <summary>A pair to route and label: its id, features h, texts, domain and group (see <see cref="PairToRoute"/>).</summary>
public sealed record PairToLabel(string PairId, double[] Features, PairText Texts, string? Domain = null, string? Group = null);

/// <summary>The decisions of one <see cref="RoutingSession.Route"/> call, in input order.</summary>
public sealed class RoutedBatch : IReadOnlyList<Decision>
{
    private readonly Decision[] _decisions;

    internal RoutedBatch(Decision[] decisions, SessionCursor cursor)
    {
        _decisions = decisions;
        Cursor = cursor;
    }

    /// <summary>Where the session's draws stood after this batch (logged with it).</summary>
    internal SessionCursor Cursor { get; }

    public Decision this[int index] => _decisions[index];
    public int Count => _decisions.Length;
    public IEnumerator<Decision> GetEnumerator() => ((IEnumerable<Decision>)_decisions).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _decisions.GetEnumerator();
}
