using BayesianRouter.Data;

namespace BayesianRouter.RewardModels;

/// <summary>
/// One reward model's answer on one pair: a <see cref="Data.Judgment"/> (two scores, or a verdict a | b | tie), or
/// the reason there is none (timeout, HTTP error, malformed or non-finite answer, an answer that is neither choice).
/// A failed judgment is never a label.
/// </summary>
public readonly record struct RmJudgment
{
    private readonly int? _attempts;

    private RmJudgment(Judgment? judgment, string? error, int? attempts = null)
    {
        Judgment = judgment;
        Error = error;
        _attempts = attempts;
    }

    /// <summary>
    /// How many times the RM was asked about this pair: retries included, 0 when no request was sent (its circuit was
    /// open, its queue full); 1 when the RM does not say (an in-process RM). Every attempt is charged to the budget.
    /// </summary>
    public int Attempts => _attempts ?? 1;

    /// <summary>The same judgment with the number of attempts it took.</summary>
    public RmJudgment WithAttempts(int attempts) =>
        attempts >= 0 ? new(Judgment, Error, attempts) : throw new ArgumentOutOfRangeException(nameof(attempts), attempts, "must be at least 0");

    /// <summary>The judgment, when the RM gave one.</summary>
    public Judgment? Judgment { get; }

    /// <summary>Why there is no judgment; null on success.</summary>
    public string? Error { get; }

    /// <summary>True when the RM gave a judgment.</summary>
    public bool Succeeded => Judgment is not null;

    /// <summary>A judgment the RM gave.</summary>
    public static RmJudgment Of(Judgment judgment) => new(judgment ?? throw new ArgumentNullException(nameof(judgment)), null);

    /// <summary>No judgment, and why (a timeout, an HTTP error, a malformed or non-finite answer, ...).</summary>
    public static RmJudgment Failed(string reason) =>
        new(null, string.IsNullOrWhiteSpace(reason) ? throw new ArgumentException("a failure needs a reason", nameof(reason)) : reason);

    /// <summary>"judgment a|b|tie" or "failed: reason".</summary>
    public override string ToString() => Judgment is { } j ? $"judgment {j.Prefers().ToText()}" : $"failed: {Error}";
}
