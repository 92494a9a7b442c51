namespace BayesianRouter.Data;

/// <summary>
/// One reward model's recorded behaviour on one pair: either two scalar scores (classifier RMs, process RMs,
/// direct LLM judges) or a pairwise verdict (pairwise judges).
/// </summary>
public sealed record Judgment
{
    private Judgment(double? scoreA, double? scoreB, Preference? verdict)
    {
        ScoreA = scoreA;
        ScoreB = scoreB;
        Verdict = verdict;
    }

    public double? ScoreA { get; }
    public double? ScoreB { get; }
    public Preference? Verdict { get; }

    public bool IsScored => ScoreA.HasValue;

    public static Judgment FromScores(double scoreA, double scoreB)
    {
        if (!double.IsFinite(scoreA) || !double.IsFinite(scoreB))
            throw new ArgumentException($"scores must be finite (got {scoreA}, {scoreB})");
        return new Judgment(scoreA, scoreB, null);
    }

    public static Judgment FromVerdict(Preference verdict) => new(null, null, verdict);

    /// <summary>The response this judgment prefers; equal scores are a tie.</summary>
    public Preference Prefers()
    {
        if (Verdict is { } v) return v;
        double a = ScoreA!.Value, b = ScoreB!.Value;
        return a > b ? Preference.A : b > a ? Preference.B : Preference.Tie;
    }

    /// <summary>The same judgment with responses a and b exchanged.</summary>
    public Judgment Swapped() => Verdict is { } v
        ? FromVerdict(v == Preference.A ? Preference.B : v == Preference.B ? Preference.A : Preference.Tie)
        : new Judgment(ScoreB, ScoreA, null);
}
