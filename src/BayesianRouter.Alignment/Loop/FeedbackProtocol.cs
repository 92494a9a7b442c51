using System.Globalization;

namespace BayesianRouter.Alignment.Loop;

/// <summary>What the online routers learn from after each DPO step.</summary>
public enum FeedbackKind
{
    /// <summary>The labelled pairs' DPO losses (the paper's feedback, appendix B: what every trainer has).</summary>
    Loss,

    /// <summary>
    /// A small audit: a seeded share of the step's pairs is checked against the ground truth (as a team spot-checks
    /// labels by hand), and a router learns 1 when the labelling RM agreed with it, 0 when not; the other pairs send
    /// nothing. The audited answers are not trained on: they only tell the routers which RM to trust.
    /// </summary>
    Audit,
}

/// <summary>
/// The feedback protocol of a run (<c>align --feedback loss | audit:RATE</c>), the same for every learning method
/// (LASER, ts-no-offline and the bayesian-router's session), so each gets the information the others get.
/// </summary>
public sealed record FeedbackProtocol(FeedbackKind Kind, double AuditRate = 0)
{
    public static FeedbackProtocol Loss { get; } = new(FeedbackKind.Loss);

    public static FeedbackProtocol Audit(double rate) =>
        rate is > 0 and <= 1 ? new(FeedbackKind.Audit, rate) : throw new ArgumentException($"--feedback audit:{rate.ToString(CultureInfo.InvariantCulture)}: the audited share must be in (0, 1]");

    /// <summary>Parses <c>loss</c> or <c>audit:RATE</c> (RATE in (0, 1]); a clear error otherwise.</summary>
    public static FeedbackProtocol Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "loss") return Loss;
        if (text.StartsWith("audit:", StringComparison.Ordinal)
            && double.TryParse(text["audit:".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
            return Audit(rate);
        throw new ArgumentException($"--feedback {text}: expected loss or audit:RATE with RATE in (0, 1] (e.g. audit:0.1)");
    }

    public override string ToString() => Kind == FeedbackKind.Loss ? "loss" : $"audit:{AuditRate.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Which of a step's pairs are audited: a coin per pair position, seeded by (seed, step), so every method of a seed
    /// audits the same positions of its batches. Empty for loss feedback.
    /// </summary>
    public bool[] AuditedPairs(int count, int seed, int step)
    {
        var audited = new bool[count];
        if (Kind != FeedbackKind.Audit) return audited;
        var rng = new Random(Simulation.SimulationRunner.SeedFor(seed, $"audit/{step}"));
        for (int i = 0; i < count; i++) audited[i] = rng.NextDouble() < AuditRate;
        return audited;
    }
}

/// <summary>
/// What a method may learn from after its step's DPO update: each pair's DPO margin with a preferred (computed in the
/// step's forward pass, before the update: the loss under label a is softplus(-m), under b softplus(m)) and, under
/// an audit, which pairs were audited and their ground truth (+1 a better, -1 b better, 0 a tie: not auditable).
/// </summary>
public sealed record StepFeedback(double[] MarginsIfA, bool[] Audited, int[] Truth, FeedbackProtocol Protocol)
{
    /// <summary>The audit's reward of pair <paramref name="i"/> labelled <paramref name="label"/>: 1 when the label agrees with the truth, 0 when not, null when not audited.</summary>
    public double? AuditReward(int i, PairLabel label)
    {
        if (Protocol.Kind != FeedbackKind.Audit || !Audited[i] || Truth[i] == 0 || label.Winner is not { } w) return null;
        return (Truth[i] == 1) == (w == Data.Preference.A) ? 1.0 : 0.0;
    }
}
