using BayesianRouter.Data;

namespace BayesianRouter.RewardModels;

/// <summary>
/// One reward model's answer on one pair: a <see cref="Data.Judgment"/> (two scores, or a verdict a | b | tie), or
/// the reason there is none (timeout, HTTP error, malformed or non-finite answer, an answer that is neither choice).
/// A failed judgment is never a label.
/// </summary>
public readonly record struct RmJudgment
{
    private RmJudgment(Judgment? judgment, string? error)
    {
        Judgment = judgment;
        Error = error;
    }

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
