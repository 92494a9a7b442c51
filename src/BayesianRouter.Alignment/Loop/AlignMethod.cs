using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>One unlabelled preference pair of the online stream: a prompt's problem and two of the policy's answers.</summary>
public sealed record OnlinePair(Problem Problem, string ResponseA, string ResponseB)
{
    public PairText Text => new(Problem.Prompt, ResponseA, ResponseB);

    /// <summary>Graded truth: +1 a is better, -1 b is better, 0 equally good (not counted in label accuracy).</summary>
    public int Truth => ArithmeticTask.Compare(Problem, ResponseA, ResponseB);
}

/// <summary>A method's label for one pair: which response wins (null = no label: the pair is not trained on), the
/// pair's DPO weight (UWO), the arm that labelled it (-1: several RMs or none) and the RM calls it cost.</summary>
public readonly record struct PairLabel(Preference? Winner, double Weight, int Arm, int Calls);

/// <summary>One step's pairs as every method sees them; features are computed on first use (routers that read them).</summary>
public sealed class OnlineBatch(IReadOnlyList<OnlinePair> pairs, PairFeatures features)
{
    private IReadOnlyList<double[]>? _h, _baseline;

    public IReadOnlyList<OnlinePair> Pairs { get; } = pairs;

    /// <summary>The offline router's h per pair (section 3.2).</summary>
    public IReadOnlyList<double[]> Features => _h ??= Compute().H;

    /// <summary>What the routers without an offline router (ts-no-offline, laser) read: h by default (<see cref="PairFeatures"/>).</summary>
    public IReadOnlyList<double[]> BaselineFeatures => _baseline ??= Compute().Baseline;

    private (IReadOnlyList<double[]> H, IReadOnlyList<double[]> Baseline) Compute()
    {
        var (h, baseline) = features.Of(Pairs);
        _h = h;
        _baseline = baseline;
        return (h, baseline);
    }
}

/// <summary>
/// A labelling method in the DPO loop: it labels each step's pairs (calling RMs), and after the DPO step learns from
/// the pairs' losses (online routers). <paramref name="kind"/> follows the simulation's catalogue.
/// </summary>
public abstract class AlignMethod(string name, MethodKind kind)
{
    public string Name { get; } = name;
    public MethodKind Kind { get; } = kind;

    public abstract Task<PairLabel[]> LabelAsync(OnlineBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Feedback after the DPO step (<see cref="StepFeedback"/>: every pair's DPO margin with a preferred, computed in
    /// the step's forward pass before the update, and under an audit the audited pairs' truth). Returns the extra RM
    /// calls the feedback made per pair (advantage rewards), or null.
    /// </summary>
    public virtual Task<int[]?> FeedbackAsync(OnlineBatch batch, PairLabel[] labels, StepFeedback feedback, CancellationToken cancellationToken) =>
        Task.FromResult<int[]?>(null);

    /// <summary>Every pair judged by one RM, in one call; a failed judgment or a tie is no label.</summary>
    protected internal static async Task<Preference?[]> JudgeAll(IRewardModel rm, IReadOnlyList<OnlinePair> pairs, CancellationToken ct)
    {
        if (pairs.Count == 0) return [];
        var judgments = await rm.JudgeAsync(pairs.Select(p => p.Text).ToArray(), ct).ConfigureAwait(false);
        var result = new Preference?[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
            result[i] = judgments[i].Judgment?.Prefers() is Preference.A or Preference.B ? judgments[i].Judgment!.Prefers() : null;
        return result;
    }
}
