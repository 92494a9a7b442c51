using BayesianRouter.Data;
using BayesianRouter.Features;
using BayesianRouter.IO;
using BayesianRouter.Live;
using BayesianRouter.Offline;
using BayesianRouter.RewardModels;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter;

/// <summary>
/// Routes preference pairs to reward models (RMs), one RM per pair, and learns from the trainer's feedback which RM to
/// trust for which kind of pair (the paper's BayesianRouter). The library's entry point:
/// <list type="number">
/// <item><see cref="Load"/> an offline router trained by <c>bayesrouter offline train</c> (or start
/// <see cref="WithoutPrior"/>);</item>
/// <item><see cref="LabelAsync"/> a batch of pairs with your RMs (<see cref="IRewardModel"/>; a failed RM falls back to
/// the router's next choice), or <see cref="Route"/> it and call the chosen RMs yourself;</item>
/// <item>after the training step, <see cref="LearnFromLossesAsync"/> with the pairs' DPO losses (shaped per call as in
/// the paper's appendix B) or <see cref="LearnFromRewardsAsync"/> with rewards in [0, 1];</item>
/// <item><see cref="SaveAsync"/> the whole state; <see cref="PairRouterOptions.StateFile"/> continues from it.</item>
/// </list>
/// Thread-safe. Deterministic for a seed. It runs the same routing session as <c>bayesrouter serve</c>
/// (<see cref="Session"/>, namespace <c>BayesianRouter.Live</c>, for advanced use) with an in-memory log that keeps only
/// the decisions still waiting for feedback.
/// </summary>
public sealed class PairRouter
{
    private readonly IPairEmbedder? _embedder;
    private readonly MemoryDecisionStore _store;

    private PairRouter(RouterSetup setup, PairRouterOptions options)
    {
        _embedder = options.Embedder;
        _store = new MemoryDecisionStore(null, forgetLearned: true);
        var sessionOptions = new RoutingSessionOptions { Exploration = options.Exploration, MonteCarloDraws = options.MonteCarloDraws };
        if (options.StateFile is { } path && File.Exists(path))
        {
            var state = SavedState.ToRead(_store);
            CheckpointFile.Restore(path, state);
            try
            {
                Session = RoutingSession.Open(setup, _store, sessionOptions, state.Session, path);
            }
            catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        else Session = RoutingSession.Open(setup, _store, sessionOptions);
    }

    /// <summary>
    /// A router on an offline router artifact (<c>bayesrouter offline train --out router.bin</c>): it starts from what
    /// the artifact learned offline and routes the RMs the artifact names.
    /// </summary>
    /// <param name="artifactPath">The artifact file.</param>
    /// <param name="options">Encoder, seed, online model, state file; null = defaults.</param>
    /// <exception cref="FileNotFoundException">No such artifact.</exception>
    /// <exception cref="InvalidDataException">The artifact is not valid, the encoder is not the one it was trained with, or the state file does not fit.</exception>
    public static PairRouter Load(string artifactPath, PairRouterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(artifactPath);
        options ??= new PairRouterOptions();
        var offline = OfflineRouter.Load(artifactPath);
        if (options.Embedder is { } e && (e.EncoderId != offline.EncoderId || e.Dimension != offline.EncoderDimension))
            throw new InvalidDataException($"{artifactPath}: the router was trained on encoder \"{offline.EncoderId}\" ({offline.EncoderDimension} dimensions), the embedder is \"{e.EncoderId}\" ({e.Dimension})");
        var model = options.OnlineModel ?? RouterSetup.DefaultLiveModel;
        return new PairRouter(RouterSetup.FromOfflineRouter(offline, options.Seed, new BayesianRouterOptions { Model = model }), options);
    }

    /// <summary>
    /// A router without an offline router: Thompson sampling with a zero prior over the given RMs, on a fixed seeded
    /// projection of the encoder's embeddings. It learns everything from feedback.
    /// </summary>
    /// <param name="rewardModels">The RM names, in the order decisions index them.</param>
    /// <param name="encoderDimension">Dimension of the embeddings (384 for the encoder package's MiniLM).</param>
    /// <param name="options">Encoder, seed, state file; null = defaults.</param>
    public static PairRouter WithoutPrior(IReadOnlyList<string> rewardModels, int encoderDimension, PairRouterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rewardModels);
        options ??= new PairRouterOptions();
        if (options.Embedder is { } e && e.Dimension != encoderDimension)
            throw new ArgumentException($"the embedder gives {e.Dimension} dimensions, not {encoderDimension}", nameof(encoderDimension));
        return new PairRouter(RouterSetup.WithoutOfflineRouter(rewardModels, encoderDimension, options.Seed), options);
    }

    /// <summary>The RM names the router chooses among, in its order.</summary>
    public IReadOnlyList<string> RewardModels => Session.Pool;

    /// <summary>The routing session underneath (advanced: its decisions, statistics and router).</summary>
    public RoutingSession Session { get; }

    /// <summary>
    /// Decides an RM for every pair, without calling any: call each pair's <see cref="RoutedPair.Rm"/> yourself, then
    /// send the feedback (it updates that RM). Use <see cref="LabelAsync"/> to have the router call your RMs.
    /// </summary>
    /// <exception cref="InvalidOperationException">A pair has no embedding and the router has no embedder.</exception>
    public IReadOnlyList<RoutedPair> Route(IReadOnlyList<PairInput> pairs)
    {
        var batch = Session.Route(ToRoute(pairs));
        Session.RecordAsync(batch, batch.Select(d => LabelOutcome.ByCaller(d.Rm, d.Arm)).ToArray()).GetAwaiter().GetResult();
        return batch.Select(d => Result(d, LabelOutcome.ByCaller(d.Rm, d.Arm), labelled: false)).ToArray();
    }

    /// <summary>
    /// Routes every pair and labels it with the chosen RM of <paramref name="rewardModels"/> (one batched call per RM,
    /// the RMs called concurrently; a pair whose RM fails goes to the router's next choice). A pair no RM could label
    /// has no <see cref="RoutedPair.Preferred"/> and says why in <see cref="RoutedPair.Error"/>.
    /// </summary>
    /// <param name="pairs">The batch.</param>
    /// <param name="rewardModels">One RM per name of <see cref="RewardModels"/> (any order; matched by <see cref="IRewardModel.Name"/>).</param>
    /// <param name="cancellationToken">Cancels the RM calls (nothing is then logged).</param>
    public async Task<IReadOnlyList<RoutedPair>> LabelAsync(IReadOnlyList<PairInput> pairs, IReadOnlyList<IRewardModel> rewardModels,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rewardModels);
        var byName = new Dictionary<string, IRewardModel>(StringComparer.Ordinal);
        foreach (var rm in rewardModels)
            if (rm is null || !byName.TryAdd(rm.Name, rm)) throw new ArgumentException($"the RMs contain {(rm is null ? "null" : $"\"{rm.Name}\" twice")}", nameof(rewardModels));
        var missing = RewardModels.Where(n => !byName.ContainsKey(n)).ToArray();
        if (missing.Length > 0) throw new ArgumentException($"no RM named {string.Join(", ", missing.Select(m => $"\"{m}\""))} among the RMs given (the router chooses among {string.Join(", ", RewardModels)})", nameof(rewardModels));
        var routed = ToRoute(pairs);
        var texts = pairs.Select(p => new PairText(p.Prompt, p.ResponseA, p.ResponseB)).ToArray();
        var labelled = await Session.LabelAsync(routed.Select((p, i) => new PairToLabel(p.PairId, p.Features, texts[i], p.Domain, p.Group)).ToArray(),
            new PoolLabeller(RewardModels.Select(n => byName[n]).ToArray()), cancellationToken).ConfigureAwait(false);
        return labelled.Select(l => Result(l.Decision, l.Label, labelled: true)).ToArray();
    }

    /// <summary>
    /// Learns from one training batch: each decision's DPO loss under the label its pair got. The losses of one call are
    /// batch-centred and rescaled to [0, 1] by the quantiles of all past ones (the paper's appendix B), so send the
    /// losses of one training step per call. Unknown ids, repeated ids and unlabelled pairs are reported, not thrown.
    /// </summary>
    /// <param name="decisionIds">The decisions (<see cref="RoutedPair.DecisionId"/>).</param>
    /// <param name="losses">Their DPO losses, aligned (finite).</param>
    public Task<FeedbackResult> LearnFromLossesAsync(IReadOnlyList<string> decisionIds, IReadOnlyList<double> losses) =>
        Session.LearnAsync(Items(decisionIds, losses, nameof(losses), FeedbackItem.OfLoss));

    /// <summary>
    /// Learns from rewards already in [0, 1] (1 = the label was good), e.g. audited labels; taken as they are.
    /// </summary>
    /// <param name="decisionIds">The decisions (<see cref="RoutedPair.DecisionId"/>).</param>
    /// <param name="rewards">Their rewards, aligned, each in [0, 1].</param>
    public Task<FeedbackResult> LearnFromRewardsAsync(IReadOnlyList<string> decisionIds, IReadOnlyList<double> rewards) =>
        Session.LearnAsync(Items(decisionIds, rewards, nameof(rewards), FeedbackItem.OfReward));

    /// <summary>
    /// Writes the whole state to <paramref name="path"/> atomically: what the router learned, its random draws, and the
    /// decisions still waiting for feedback. <see cref="PairRouterOptions.StateFile"/> continues from it.
    /// </summary>
    public Task SaveAsync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (checkpoint, store) = Session.Snapshot(() =>
        {
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms)) _store.WriteState(w);
            return ms.ToArray();
        });
        var bytes = CheckpointFile.ToBytes(SavedState.ToWrite(store, checkpoint));
        AtomicFile.Write(path, s => s.Write(bytes));
        return Task.CompletedTask;
    }

    /// <summary>Totals and per-RM counts: decisions, labels, feedback and mean reward.</summary>
    public SessionStatistics Statistics() => Session.Statistics();




    private PairToRoute[] ToRoute(IReadOnlyList<PairInput> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        for (int i = 0; i < pairs.Count; i++)
            if (pairs[i] is null) throw new ArgumentException($"pair {i} is null", nameof(pairs));
        var toEmbed = pairs.Select((p, i) => (p, i)).Where(x => x.p.Embedding is null).ToArray();
        var embeddings = pairs.Select(p => p.Embedding).ToArray();
        if (toEmbed.Length > 0)
        {
            if (_embedder is null)
                throw new InvalidOperationException($"pair \"{toEmbed[0].p.Id}\" has no embedding and the router has no encoder: set PairRouterOptions.Embedder or PairInput.Embedding");
            var computed = _embedder.Embed(toEmbed.Select(x => new PreferencePair
            {
                Id = x.p.Id, Group = GroupOf(x.p), Prompt = x.p.Prompt, ResponseA = x.p.ResponseA, ResponseB = x.p.ResponseB, Domain = x.p.Domain,
            }).ToArray());
            for (int k = 0; k < toEmbed.Length; k++) embeddings[toEmbed[k].i] = computed[k];
        }
        return pairs.Select((p, i) => new PairToRoute(p.Id, Session.Features(embeddings[i]!, p.Domain), p.Domain, GroupOf(p))).ToArray();
    }

    private static string GroupOf(PairInput p) => p.Group ?? PreferencePair.GroupOf(p.Prompt);

    private RoutedPair Result(Decision d, LabelOutcome label, bool labelled) => new()
    {
        PairId = d.PairId,
        DecisionId = d.DecisionId,
        Rm = d.Rm,
        Probability = d.Probability,
        FallbackOrder = d.FallbackOrder.Select(n => RewardModels[n]).ToArray(),
        LabelledBy = label.Rm,
        Preferred = labelled ? label.Preferred : null,
        Judgment = label.Judgment,
        Error = label.Error,
    };

    private static FeedbackItem[] Items(IReadOnlyList<string> ids, IReadOnlyList<double> values, string name, Func<string, double, FeedbackItem> item)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(values, name);
        if (ids.Count != values.Count) throw new ArgumentException($"{values.Count} {name} for {ids.Count} decision ids", name);
        var items = new FeedbackItem[ids.Count];
        for (int i = 0; i < items.Length; i++)
        {
            try
            {
                items[i] = item(ids[i], values[i]);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{name}[{i}]: {e.Message}", name, e);
            }
        }
        return items;
    }

    /// <summary>The state file: the in-memory log and the session's checkpoint, in one checkpoint section.</summary>
    private sealed class SavedState : ICheckpointable
    {
        private readonly MemoryDecisionStore? _into;
        private byte[] _store = [];

        private SavedState(MemoryDecisionStore? into) => _into = into;

        /// <summary>A state to write: the store's saved bytes and the session's checkpoint bytes.</summary>
        public static SavedState ToWrite(byte[] store, byte[] session) => new(null) { _store = store, Session = session };

        /// <summary>A state to read into <paramref name="store"/> (then <see cref="Session"/> holds the session's checkpoint).</summary>
        public static SavedState ToRead(MemoryDecisionStore store) => new(store);

        public byte[] Session { get; private set; } = [];

        public string StateKind => "pair-router";
        public int StateVersion => 1;

        public void WriteState(BinaryWriter w)
        {
            w.Write(_store.Length);
            w.Write(_store);
            w.Write(Session.Length);
            w.Write(Session);
        }

        public Action ReadState(BinaryReader r, int version)
        {
            var store = _into ?? throw new InvalidOperationException("this state is only written");
            var storeBytes = r.ReadBytes(Length(r));
            var session = r.ReadBytes(Length(r));
            using var inner = new BinaryReader(new MemoryStream(storeBytes));
            var install = store.ReadState(inner, store.StateVersion);
            if (inner.BaseStream.Position != storeBytes.Length) throw new InvalidDataException("the saved decision log has trailing bytes");
            return () =>
            {
                install();
                Session = session;
            };
        }

        private static int Length(BinaryReader r)
        {
            int n = r.ReadInt32();
            if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException($"a saved part of {n} bytes does not fit the file");
            return n;
        }
    }
}
