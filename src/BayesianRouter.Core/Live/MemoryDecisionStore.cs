namespace BayesianRouter.Live;

/// <summary>
/// A decision store in memory: for library users who route without a service, and for tests. Appends are
/// "durable" as soon as they are made (nothing survives the process). Thread-safe.
/// </summary>
public sealed class MemoryDecisionStore : IDecisionStore
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, LabelledDecision> _decisions = [];
    private readonly Dictionary<long, FeedbackRecord> _feedback = [];
    private readonly List<FeedbackBatch> _batches = [];
    private SessionCursor? _cursor;
    private IReadOnlyList<string>? _pool;
    private string? _featuresId;

    /// <param name="instanceId">Prefix of the decision ids (default: a new random one).</param>
    public MemoryDecisionStore(string? instanceId = null)
    {
        InstanceId = instanceId ?? Guid.NewGuid().ToString("N")[..8];
    }

    public string InstanceId { get; }

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

    public Task AppendFeedbackAsync(FeedbackBatch batch)
    {
        lock (_gate)
        {
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
            var counts = new LogCounts(_decisions.Count, _feedback.Count, new long[arms], new long[arms], new long[arms], new double[arms]);
            foreach (var d in _decisions.Values)
            {
                counts.Chosen[d.Decision.Arm]++;
                if (d.Label.Arm is { } a) counts.Labelled[a]++;
            }
            foreach (var f in _feedback.Values)
            {
                counts.FeedbackPerArm[f.Arm]++;
                counts.RewardSum[f.Arm] += f.Reward;
            }
            return counts;
        }
    }

    public void Dispose() { }
}
