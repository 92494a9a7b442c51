using System.Security.Cryptography;
using BayesianRouter.Data;

namespace BayesianRouter.Live;

/// <summary>
/// A pair to route: the caller's id for it, its features h (<see cref="RoutingSession.Features"/>), and where it comes
/// from: its domain (subject, task; null = none) and its group (the prompt it shares with other pairs; null = a group of
/// its own). The hierarchical online model learns per domain and per group (docs/online-model.md).
/// </summary>
public sealed record PairToRoute(string PairId, double[] Features, string? Domain = null, string? Group = null);

/// <summary>
/// The router's decision for one pair: which RM labels it, and what an off-policy evaluation needs later.
/// </summary>
public sealed record Decision
{
    /// <summary>Unique id ("{session instance}-{sequence}"): feedback names it.</summary>
    public required string DecisionId { get; init; }

    /// <summary>Position in the session's sequence of decisions (0, 1, ...).</summary>
    public required long Sequence { get; init; }

    /// <summary>The caller's id of the pair.</summary>
    public required string PairId { get; init; }

    /// <summary>The chosen arm (index of the RM in the pool).</summary>
    public required int Arm { get; init; }

    /// <summary>The chosen RM's name.</summary>
    public required string Rm { get; init; }

    /// <summary>
    /// The probability the routing policy had of choosing <see cref="Arm"/> for these features, always &gt; 0: the
    /// exploration floor epsilon / N plus (1 - epsilon) times a seeded Monte-Carlo estimate of the Thompson-sampling
    /// choice probability that counts the decision's own draw, (hits + 1) / (draws + 1) (<see cref="RoutingSessionOptions"/>).
    /// </summary>
    public required double Probability { get; init; }

    /// <summary>Every arm, the chosen one first, then the others by their sampled scores (best first): the order in
    /// which RMs are tried when one fails.</summary>
    public required IReadOnlyList<int> FallbackOrder { get; init; }

    /// <summary>The features h the decision was made on.</summary>
    public required double[] Features { get; init; }

    /// <summary>The pair's domain as routed (null = none).</summary>
    public string? Domain { get; init; }

    /// <summary>The pair's group (prompt) as routed (null = none).</summary>
    public string? Group { get; init; }

    /// <summary>First 16 hex digits of SHA-256 over h as little-endian float64s.</summary>
    public required string FeaturesHash { get; init; }

    /// <summary>
    /// First 16 hex digits of SHA-256 over the pair's texts (<see cref="DigestTexts"/>), set when the session labelled
    /// the pair itself (<see cref="RoutingSession.LabelAsync(IReadOnlyList{PairToLabel}, PoolLabeller, CancellationToken)"/>):
    /// how the service tells a retried pair from another pair sent under the same id. Null when not known.
    /// </summary>
    public string? TextsDigest { get; init; }

    /// <summary>SHA-256 prefix of a feature vector, as recorded with decisions.</summary>
    public static string HashFeatures(ReadOnlySpan<double> features)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(features), hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>First 16 hex digits of SHA-256 over the prompt and the two responses (UTF-8, each prefixed by its length).</summary>
    public static string DigestTexts(RewardModels.PairText texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var text in new[] { texts.Prompt, texts.ResponseA, texts.ResponseB })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text ?? "");
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 8));
    }
}

/// <summary>An RM that failed on a pair, and why (timeout, HTTP error, malformed or non-finite answer, ...).</summary>
public sealed record FailedRm(string Rm, string Reason)
{
    /// <summary>Requests it was sent for the pair (retries included; 0: none, e.g. its circuit was open); each is charged.</summary>
    public int Attempts { get; init; } = 1;
}

/// <summary>
/// How a decision was labelled: the RM that gave the label (the chosen one, or a fallback when it failed), its
/// judgment, and the RMs that failed before it. No label at all: <see cref="Rm"/> and <see cref="Judgment"/> are null
/// and <see cref="Error"/> says why. Labelled by the caller (<see cref="ByCaller"/>): <see cref="Rm"/> and
/// <see cref="Arm"/> are set, the judgment is not known to the router.
/// </summary>
public sealed record LabelOutcome
{
    /// <summary>The RM that labelled the pair; null when none could.</summary>
    public string? Rm { get; init; }

    /// <summary>Its arm index; null when no RM labelled the pair.</summary>
    public int? Arm { get; init; }

    /// <summary>Its judgment (scores or verdict).</summary>
    public Judgment? Judgment { get; init; }

    /// <summary>RMs tried before, in order, that failed on this pair.</summary>
    public IReadOnlyList<FailedRm> FallbackFrom { get; init; } = [];

    /// <summary>Why there is no label (null when labelled).</summary>
    public string? Error { get; init; }

    /// <summary>Requests the labelling RM was sent for the pair (retries included); each is charged.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>The label: a, b, tie, or null when no RM could label the pair.</summary>
    public Preference? Preferred => Judgment?.Prefers();

    /// <summary>A label by <paramref name="rm"/> after the given failures.</summary>
    public static LabelOutcome Labelled(string rm, int arm, Judgment judgment, IReadOnlyList<FailedRm> fallbackFrom) =>
        new() { Rm = rm, Arm = arm, Judgment = judgment ?? throw new ArgumentNullException(nameof(judgment)), FallbackFrom = fallbackFrom };

    /// <summary>The caller labels the pair with the decision's RM itself: feedback will update that RM.</summary>
    public static LabelOutcome ByCaller(string rm, int arm) => new() { Rm = rm ?? throw new ArgumentNullException(nameof(rm)), Arm = arm };

    /// <summary>No RM could label the pair.</summary>
    public static LabelOutcome Unlabelled(IReadOnlyList<FailedRm> failures, string? reason = null) => new()
    {
        FallbackFrom = failures,
        Error = reason ?? (failures.Count == 0 ? "no RM was tried"
            : "no RM could label the pair: " + string.Join("; ", failures.Select(f => $"{f.Rm}: {f.Reason}"))),
    };
}

/// <summary>A decision with its label.</summary>
public sealed record LabelledDecision(Decision Decision, LabelOutcome Label);

/// <summary>
/// Feedback on one labelled decision: the pair's DPO loss under the label it got (shaped with the other losses of
/// its call, appendix B), or an already shaped reward in [0, 1].
/// </summary>
public sealed record FeedbackItem
{
    private FeedbackItem(string decisionId, double? loss, double? reward)
    {
        DecisionId = decisionId;
        Loss = loss;
        Reward = reward;
    }

    public string DecisionId { get; }

    /// <summary>The pair's DPO loss (finite); null for a reward item.</summary>
    public double? Loss { get; }

    /// <summary>A shaped reward in [0, 1]; null for a loss item.</summary>
    public double? Reward { get; }

    public static FeedbackItem OfLoss(string decisionId, double loss)
    {
        if (!double.IsFinite(loss)) throw new ArgumentException($"loss must be finite (got {loss})", nameof(loss));
        return new(decisionId ?? throw new ArgumentNullException(nameof(decisionId)), loss, null);
    }

    public static FeedbackItem OfReward(string decisionId, double reward)
    {
        if (!(reward >= 0 && reward <= 1)) throw new ArgumentException($"reward must lie in [0, 1] (got {reward})", nameof(reward));
        return new(decisionId ?? throw new ArgumentNullException(nameof(decisionId)), null, reward);
    }
}

/// <summary>
/// What a feedback call did: how many items it learned from, and the decision ids it did not learn from (never an
/// exception): unknown ids, ids that already had feedback (or appear twice in the call), and decisions that no RM
/// labelled.
/// </summary>
public sealed record FeedbackResult(int Accepted, IReadOnlyList<string> Unknown, IReadOnlyList<string> Duplicate, IReadOnlyList<string> Unlabelled);
