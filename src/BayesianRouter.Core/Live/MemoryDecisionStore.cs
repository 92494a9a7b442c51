using BayesianRouter.Data;
using BayesianRouter.State;

namespace BayesianRouter.Live;

/// <summary>
/// A decision store in memory: for library users who route without a service, and for tests. Appends are
/// "durable" as soon as they are made (nothing survives the process unless the store is saved: it is an
/// <see cref="ICheckpointable"/>, whose state is everything it holds). Thread-safe.
/// </summary>
public sealed class MemoryDecisionStore : IDecisionStore, ICheckpointable
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, LabelledDecision> _decisions = [];
    private readonly Dictionary<long, FeedbackRecord> _feedback = [];
    private readonly List<FeedbackBatch> _batches = [];
    private readonly bool _forgetLearned;
    private SessionCursor? _cursor;
    private IReadOnlyList<string>? _pool;
    private string? _featuresId;
    private LogCounts? _forgotten;

    /// <param name="instanceId">Prefix of the decision ids (default: a new random one).</param>
    public MemoryDecisionStore(string? instanceId = null) : this(instanceId, forgetLearned: false) { }

    /// <param name="instanceId">Prefix of the decision ids (default: a new random one).</param>
    /// <param name="forgetLearned">
    /// Keep only decisions still waiting for feedback: a decision that got feedback is folded into the counts and
    /// dropped, so memory stays bounded by the decisions in flight (the library's <c>PairRouter</c>). Feedback for a
    /// forgotten decision is then unknown, not a duplicate, and the log cannot be replayed: only a checkpoint taken
    /// together with this store's state restores a session on it.
    /// </param>
    internal MemoryDecisionStore(string? instanceId, bool forgetLearned)
    {
        InstanceId = instanceId ?? Guid.NewGuid().ToString("N")[..8];
        _forgetLearned = forgetLearned;
    }

    public string InstanceId { get; private set; }

    public string Attach(IReadOnlyList<string> pool, string featuresId)
    {
        lock (_gate)
        {
            if (_pool == null)
            {
                _pool = pool.ToArray();
                _featuresId = featuresId;
            }
            else
            {
                if (!_pool.SequenceEqual(pool, StringComparer.Ordinal))
                    throw new InvalidDataException($"the store was made for the pool {string.Join(",", _pool)}, not {string.Join(",", pool)}");
                if (_featuresId != featuresId)
                    throw new InvalidDataException($"the store was made with the features {_featuresId}, not {featuresId}");
            }
            return InstanceId;
        }
    }

    public Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor)
    {
        lock (_gate)
        {
            foreach (var d in decisions) _decisions[d.Decision.Sequence] = d;
            if (_cursor == null || cursor.NextSequence > _cursor.NextSequence) _cursor = cursor;
        }
        return Task.CompletedTask;
    }

    public Task ReplaceLabelsAsync(IReadOnlyList<LabelledDecision> relabelled, SessionCursor cursor)
    {
        lock (_gate)
        {
            foreach (var d in relabelled)
                if (_decisions.ContainsKey(d.Decision.Sequence)) _decisions[d.Decision.Sequence] = d;
            if (_cursor != null && cursor.NextSequence == _cursor.NextSequence) _cursor = cursor;
        }
        return Task.CompletedTask;
    }

    public Task AppendFeedbackAsync(FeedbackBatch batch)
    {
        lock (_gate)
        {
            if (_forgetLearned)
            {
                var counts = _forgotten ??= Empty(_pool?.Count ?? 0);
                long decisions = counts.Decisions, feedback = counts.Feedback;
                foreach (var f in batch.Items)
                {
                    if (_decisions.Remove(f.Sequence, out var d)) Count(counts, d, ref decisions);
                    counts.FeedbackPerArm[f.Arm]++;
                    counts.RewardSum[f.Arm] += f.Reward;
                    feedback++;
                }
                _forgotten = counts with { Decisions = decisions, Feedback = feedback };
                return Task.CompletedTask;
            }
            foreach (var f in batch.Items) _feedback.Add(f.Sequence, f);
            _batches.Add(batch);
        }
        return Task.CompletedTask;
    }

    public Task FlushAsync() => Task.CompletedTask;

    public IReadOnlyDictionary<long, StoredDecision> FindDecisions(IReadOnlyCollection<long> sequences)
    {
        lock (_gate)
        {
            var found = new Dictionary<long, StoredDecision>();
            foreach (var s in sequences)
                if (_decisions.TryGetValue(s, out var d))
                    found[s] = new StoredDecision(s, d.Label.Arm, d.Decision.Features, _feedback.ContainsKey(s), d.Decision.Domain, d.Decision.Group);
            return found;
        }
    }

    public SessionCursor? ReadCursor()
    {
        lock (_gate) return _cursor;
    }

    public IEnumerable<FeedbackBatch> ReadFeedback(long afterBatch)
    {
        lock (_gate) return _batches.Where(b => b.Batch > afterBatch).ToArray();
    }

    public IEnumerable<DecisionLogEntry> ReadDecisions()
    {
        lock (_gate)
            return _decisions.Values.Select(d => new DecisionLogEntry(d.Decision, d.Label, _feedback.GetValueOrDefault(d.Decision.Sequence))).ToArray();
    }

    public LogCounts Counts()
    {
        lock (_gate)
        {
            int arms = _pool?.Count ?? 0;
            var counts = Empty(arms);
            long decisions = 0, feedback = 0;
            if (_forgotten is { } old)
            {
                (decisions, feedback) = (old.Decisions, old.Feedback);
                for (int n = 0; n < Math.Min(arms, old.Chosen.Length); n++)
                {
                    counts.Chosen[n] = old.Chosen[n];
                    counts.Labelled[n] = old.Labelled[n];
                    counts.FeedbackPerArm[n] = old.FeedbackPerArm[n];
                    counts.RewardSum[n] = old.RewardSum[n];
                }
            }
            foreach (var d in _decisions.Values) Count(counts, d, ref decisions);
            foreach (var f in _feedback.Values)
            {
                counts.FeedbackPerArm[f.Arm]++;
                counts.RewardSum[f.Arm] += f.Reward;
                feedback++;
            }
            return counts with { Decisions = decisions, Feedback = feedback };
        }
    }

    private static LogCounts Empty(int arms) => new(0, 0, new long[arms], new long[arms], new long[arms], new double[arms]);

    private static void Count(LogCounts counts, LabelledDecision d, ref long decisions)
    {
        decisions++;
        counts.Chosen[d.Decision.Arm]++;
        if (d.Label.Arm is { } a) counts.Labelled[a]++;
    }

    public void Dispose() { }

    public string StateKind => "memory-decision-store";
    public int StateVersion => 1;

    /// <summary>Everything the store holds: its binding, decisions with labels, feedback, the cursor, folded counts.</summary>
    public void WriteState(BinaryWriter w)
    {
        lock (_gate)
        {
            w.Write(InstanceId);
            w.Write(_forgetLearned);
            WriteNames(w, _pool ?? []);
            w.Write(_featuresId ?? "");
            w.Write(_decisions.Count);
            foreach (var (d, l) in _decisions.Values)
            {
                WriteDecision(w, d);
                WriteLabel(w, l);
            }
            w.Write(_batches.Count);
            foreach (var b in _batches)
            {
                w.Write(b.Batch);
                w.Write(b.Items.Count);
                foreach (var f in b.Items) WriteFeedback(w, f);
            }
            w.Write(_cursor is not null);
            if (_cursor is { } c)
            {
                w.Write(c.NextSequence);
                w.Write(c.Generators.Length);
                w.Write(c.Generators);
            }
            w.Write(_forgotten is not null);
            if (_forgotten is { } o)
            {
                w.Write(o.Decisions);
                w.Write(o.Feedback);
                foreach (var a in new[] { o.Labelled, o.Chosen, o.FeedbackPerArm }) foreach (var v in a) w.Write(v);
                foreach (var v in o.RewardSum) w.Write(v);
            }
        }
    }

    public Action ReadState(BinaryReader r, int version)
    {
        var instance = r.ReadString();
        bool forget = r.ReadBoolean();
        if (forget != _forgetLearned) throw new InvalidDataException($"the saved store {(forget ? "forgets" : "keeps")} decisions that got feedback, this one does not");
        var pool = ReadNames(r);
        var features = r.ReadString();
        int count = Count(r, "decisions");
        var decisions = new List<LabelledDecision>(count);
        for (int i = 0; i < count; i++) decisions.Add(new LabelledDecision(ReadDecision(r, pool), ReadLabel(r, pool)));
        int batchCount = Count(r, "feedback batches");
        var batches = new List<FeedbackBatch>(batchCount);
        for (int i = 0; i < batchCount; i++)
        {
            long number = r.ReadInt64();
            int items = Count(r, "feedback items");
            batches.Add(new FeedbackBatch(number, Enumerable.Range(0, items).Select(_ => ReadFeedback(r, pool)).ToArray()));
        }
        SessionCursor? cursor = r.ReadBoolean() ? new SessionCursor(r.ReadInt64(), r.ReadBytes(Count(r, "cursor bytes"))) : null;
        LogCounts? forgotten = null;
        if (r.ReadBoolean())
        {
            long d = r.ReadInt64(), f = r.ReadInt64();
            var arrays = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, pool.Count).Select(_ => r.ReadInt64()).ToArray()).ToArray();
            forgotten = new LogCounts(d, f, arrays[0], arrays[1], arrays[2], Enumerable.Range(0, pool.Count).Select(_ => r.ReadDouble()).ToArray());
        }
        return () =>
        {
            lock (_gate)
            {
                InstanceId = instance;
                (_pool, _featuresId) = pool.Count == 0 && features.Length == 0 ? (null, null) : (pool, features);
                _decisions.Clear();
                foreach (var d in decisions) _decisions[d.Decision.Sequence] = d;
                _feedback.Clear();
                _batches.Clear();
                foreach (var b in batches)
                {
                    _batches.Add(b);
                    foreach (var f in b.Items) _feedback[f.Sequence] = f;
                }
                (_cursor, _forgotten) = (cursor, forgotten);
            }
        };
    }

    private static int Count(BinaryReader r, string what)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw new InvalidDataException($"the saved store's count of {what} ({n}) does not fit the file");
        return n;
    }

    private static void WriteNames(BinaryWriter w, IReadOnlyList<string> names)
    {
        w.Write(names.Count);
        foreach (var n in names) w.Write(n);
    }

    private static List<string> ReadNames(BinaryReader r)
    {
        int n = Count(r, "RMs");
        return Enumerable.Range(0, n).Select(_ => r.ReadString()).ToList();
    }

    private static void WriteOptional(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null) w.Write(s);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static int ReadArm(BinaryReader r, IReadOnlyList<string> pool, string what)
    {
        int arm = r.ReadInt32();
        if (arm < 0 || arm >= pool.Count) throw new InvalidDataException($"the saved store has {what} arm {arm}, outside the pool of {pool.Count}");
        return arm;
    }

    private static void WriteDecision(BinaryWriter w, Decision d)
    {
        w.Write(d.DecisionId);
        w.Write(d.Sequence);
        w.Write(d.PairId);
        w.Write(d.Arm);
        w.Write(d.Probability);
        w.Write(d.FallbackOrder.Count);
        foreach (var a in d.FallbackOrder) w.Write(a);
        w.WriteArray(d.Features);
        WriteOptional(w, d.Domain);
        WriteOptional(w, d.Group);
    }

    private static Decision ReadDecision(BinaryReader r, IReadOnlyList<string> pool)
    {
        var id = r.ReadString();
        long sequence = r.ReadInt64();
        var pair = r.ReadString();
        int arm = ReadArm(r, pool, "a decision's");
        double p = r.ReadDouble();
        var order = Enumerable.Range(0, Count(r, "fallback arms")).Select(_ => ReadArm(r, pool, "a fallback")).ToArray();
        var features = r.ReadArray("decision features");
        return new Decision
        {
            DecisionId = id, Sequence = sequence, PairId = pair, Arm = arm, Rm = pool[arm], Probability = p, FallbackOrder = order,
            Features = features, FeaturesHash = Decision.HashFeatures(features), Domain = ReadOptional(r), Group = ReadOptional(r),
        };
    }

    private static void WriteLabel(BinaryWriter w, LabelOutcome l)
    {
        WriteOptional(w, l.Rm);
        w.Write(l.Arm ?? -1);
        w.Write(l.Judgment switch { null => (byte)0, { IsScored: true } => (byte)1, _ => (byte)2 });
        if (l.Judgment is { IsScored: true } s)
        {
            w.Write(s.ScoreA!.Value);
            w.Write(s.ScoreB!.Value);
        }
        else if (l.Judgment is { } v) w.Write((int)v.Verdict!.Value);
        w.Write(l.FallbackFrom.Count);
        foreach (var f in l.FallbackFrom)
        {
            w.Write(f.Rm);
            w.Write(f.Reason);
        }
        WriteOptional(w, l.Error);
    }

    private static LabelOutcome ReadLabel(BinaryReader r, IReadOnlyList<string> pool)
    {
        var rm = ReadOptional(r);
        int arm = r.ReadInt32();
        if (arm < -1 || arm >= pool.Count) throw new InvalidDataException($"the saved store has a label by arm {arm}, outside the pool of {pool.Count}");
        Judgment? judgment = r.ReadByte() switch
        {
            0 => null,
            1 => Judgment.FromScores(r.ReadDouble(), r.ReadDouble()),
            2 => Judgment.FromVerdict(r.ReadInt32() is var v && Enum.IsDefined((Preference)v) ? (Preference)v : throw new InvalidDataException($"the saved store has verdict {v}")),
            var k => throw new InvalidDataException($"the saved store has judgment kind {k}"),
        };
        var failures = Enumerable.Range(0, Count(r, "failed RMs")).Select(_ => new FailedRm(r.ReadString(), r.ReadString())).ToArray();
        return new LabelOutcome { Rm = rm, Arm = arm < 0 ? null : arm, Judgment = judgment, FallbackFrom = failures, Error = ReadOptional(r) };
    }

    private static void WriteFeedback(BinaryWriter w, FeedbackRecord f)
    {
        w.Write(f.Sequence);
        w.Write(f.Arm);
        w.WriteArray(f.Features);
        w.Write(f.IsLoss);
        w.Write(f.Value);
        w.Write(f.Reward);
        WriteOptional(w, f.Domain);
        WriteOptional(w, f.Group);
    }

    private static FeedbackRecord ReadFeedback(BinaryReader r, IReadOnlyList<string> pool)
    {
        long sequence = r.ReadInt64();
        int arm = ReadArm(r, pool, "a feedback");
        var features = r.ReadArray("feedback features");
        return new FeedbackRecord(sequence, arm, features, r.ReadBoolean(), r.ReadDouble(), r.ReadDouble(), ReadOptional(r), ReadOptional(r));
    }
}
