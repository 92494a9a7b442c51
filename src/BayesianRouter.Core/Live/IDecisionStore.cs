namespace BayesianRouter.Live;

/// <summary>
/// Where a routing session logs what it decided and what it learned from: decisions with their labels, feedback
/// batches, and the session's random-generator cursor. The session never knows how it is stored (SQLite in the
/// service, memory for a library user: <see cref="MemoryDecisionStore"/>).
/// <para>
/// Contract: appends are committed in call order (each call queues its write before it returns its task); the task
/// completes once the write is durable in the store's sense, and faults when it could not be written (the session
/// then stops accepting work). Reads see committed data only.
/// </para>
/// </summary>
public interface IDecisionStore : IDisposable
{
    /// <summary>
    /// Binds the store to a pool and feature map: a new store records them, an existing one checks them (a state made
    /// with other RMs or features cannot be continued: <see cref="InvalidDataException"/>). Returns the store's
    /// instance id, the prefix of its decision ids.
    /// </summary>
    string Attach(IReadOnlyList<string> pool, string featuresId);

    /// <summary>Appends labelled decisions and the cursor after them, in one durable write.</summary>
    Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor);

    /// <summary>Appends one feedback batch (the items a session learned from in one call), in one durable write.</summary>
    Task AppendFeedbackAsync(FeedbackBatch batch);

    /// <summary>
    /// Appends labelled decisions and the cursor after them with the idempotency key of the request that made them
    /// (null: none), in one durable write. A store that keeps no keys (the default implementation) logs the decisions alone.
    /// </summary>
    Task AppendDecisionsAsync(IReadOnlyList<LabelledDecision> decisions, SessionCursor cursor, RequestKey? request) =>
        AppendDecisionsAsync(decisions, cursor);

    /// <summary>
    /// Appends one feedback batch with the idempotency key of the request that sent it (null: none), in one durable
    /// write. A store that keeps no keys (the default implementation) logs the batch alone.
    /// </summary>
    Task AppendFeedbackAsync(FeedbackBatch batch, RequestKey? request) => AppendFeedbackAsync(batch);

    /// <summary>
    /// Replaces the labels of logged decisions that no RM could label (labelled again:
    /// <see cref="RoutingSession.RelabelAsync"/>) and the cursor's generators (which carry the budget's spend) at the
    /// same next sequence, in one durable write. The decisions themselves (RM, probability, features) never change.
    /// A store that cannot do it throws <see cref="NotSupportedException"/>.
    /// </summary>
    Task ReplaceLabelsAsync(IReadOnlyList<LabelledDecision> relabelled, SessionCursor cursor) =>
        throw new NotSupportedException($"{GetType().Name} cannot relabel logged decisions");

    /// <summary>Completes when everything appended before the call is durable.</summary>
    Task FlushAsync();

    /// <summary>The committed decisions among <paramref name="sequences"/> (absent ones are left out).</summary>
    IReadOnlyDictionary<long, StoredDecision> FindDecisions(IReadOnlyCollection<long> sequences);

    /// <summary>The newest committed cursor, or null when no decision was ever appended.</summary>
    SessionCursor? ReadCursor();

    /// <summary>The feedback batches numbered above <paramref name="afterBatch"/>, in batch order.</summary>
    IEnumerable<FeedbackBatch> ReadFeedback(long afterBatch);

    /// <summary>Every committed decision with its label and feedback (when some came), in sequence order.</summary>
    IEnumerable<DecisionLogEntry> ReadDecisions();

    /// <summary>Counts per arm over the whole log.</summary>
    LogCounts Counts();
}

/// <summary>
/// Where the session's random draws stand after a batch of decisions: the next decision sequence number and the
/// generators' saved states, so a restart continues the draws of an uninterrupted run.
/// </summary>
public sealed record SessionCursor(long NextSequence, byte[] Generators);

/// <summary>What feedback needs of a committed decision: the arm that labelled it (null: none did), its features, domain
/// and group, and whether it already had feedback.</summary>
public sealed record StoredDecision(long Sequence, int? LabelArm, double[] Features, bool HasFeedback, string? Domain = null, string? Group = null);

/// <summary>One feedback item as logged: the decision, the arm that labelled it, its features, what the caller sent
/// (a loss or a reward), the shaped reward the router learned from, and the decision's domain and group (the router's
/// input is rebuilt from h, domain and group when the log is replayed).</summary>
public sealed record FeedbackRecord(long Sequence, int Arm, double[] Features, bool IsLoss, double Value, double Reward,
    string? Domain = null, string? Group = null);

/// <summary>One feedback call's accepted items, numbered 1, 2, ... in the order the session learned from them.</summary>
public sealed record FeedbackBatch(long Batch, IReadOnlyList<FeedbackRecord> Items);

/// <summary>A decision of the log, its label, and its feedback when some came.</summary>
public sealed record DecisionLogEntry(Decision Decision, LabelOutcome Label, FeedbackRecord? Feedback);

/// <summary>Totals of a log, per arm (indexed by arm).</summary>
public sealed record LogCounts(long Decisions, long Feedback, long[] Labelled, long[] Chosen, long[] FeedbackPerArm, double[] RewardSum);
