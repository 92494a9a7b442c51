using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>
/// An in-process reward model of the arithmetic task's pool: it reads the question in the prompt and judges a pair by
/// a rule with a realistic, domain-dependent flaw. Deterministic, like a real RM: where a rule cannot decide it
/// falls back to a "coin" that is a hash of the RM's name and the pair's texts (the same pair, in either order, always
/// gets the same verdict). A prompt that is not a question of the task is a failed judgment, never a label.
/// </summary>
public abstract class TaskRewardModel(string name, string description) : IRewardModel
{
    public string Name { get; } = name;

    /// <summary>What the RM does and where it fails (for reports).</summary>
    public string Description { get; } = description;

    public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        cancellationToken.ThrowIfCancellationRequested();
        var results = new RmJudgment[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            var problem = ArithmeticTask.Parse(p.Prompt);
            results[i] = problem is null
                ? RmJudgment.Failed($"{Name}: the prompt is not a question of the {ArithmeticTask.Name} task")
                : RmJudgment.Of(Judgment.FromVerdict(Prefer(problem, p.ResponseA, p.ResponseB) ? Preference.A : Preference.B));
        }
        return Task.FromResult<IReadOnlyList<RmJudgment>>(results);
    }

    /// <summary>True when the RM prefers <paramref name="a"/> over <paramref name="b"/>.</summary>
    protected abstract bool Prefer(Problem problem, string a, string b);

    /// <summary>The graded truth, or the RM's coin when both answers are equally far from the answer.</summary>
    protected bool Truth(Problem problem, string a, string b) => ArithmeticTask.Compare(problem, a, b) switch
    {
        1 => true,
        -1 => false,
        _ => Coin(problem, a, b),
    };

    /// <summary>A fair coin fixed by the RM's name and the pair's texts; symmetric in a and b.</summary>
    protected bool Coin(Problem problem, string a, string b) => Uniform(problem, a, b, "coin") < 0.5 == (string.CompareOrdinal(a, b) < 0);

    /// <summary>A uniform number in [0, 1) fixed by the RM's name, the purpose and the pair's texts (order-free).</summary>
    protected double Uniform(Problem problem, string a, string b, string purpose)
    {
        var (lo, hi) = string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
        var hex = StableHash.Hex($"{Name}\u0001{purpose}\u0001{problem.Prompt}\u0001{lo}\u0001{hi}", 8);
        return uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 4294967296.0;
    }
}

/// <summary>Exact (graded truth) in some domains, a coin in the others: a specialist.</summary>
public sealed class SpecialistRewardModel(string name, IReadOnlyCollection<string> domains, string description)
    : TaskRewardModel(name, description)
{
    public IReadOnlyCollection<string> Domains { get; } = domains;
    protected override bool Prefer(Problem problem, string a, string b) =>
        Domains.Contains(problem.Domain) ? Truth(problem, a, b) : Coin(problem, a, b);
}

/// <summary>
/// Exact in some domains; in the others it prefers the smaller number (a coin when neither or both answers are
/// numbers): a specialist with a systematic bias outside its field, which is wrong wherever the typical mistake is low.
/// </summary>
public sealed class SmallerBiasedSpecialist(string name, IReadOnlyCollection<string> domains, string description)
    : TaskRewardModel(name, description)
{
    public IReadOnlyCollection<string> Domains { get; } = domains;
    protected override bool Prefer(Problem problem, string a, string b)
    {
        if (Domains.Contains(problem.Domain)) return Truth(problem, a, b);
        return (ArithmeticTask.Value(a), ArithmeticTask.Value(b)) is ({ } va, { } vb) && va != vb ? va < vb : Coin(problem, a, b);
    }
}

/// <summary>Prefers the longer answer (more characters); a coin between answers of equal length.</summary>
public sealed class LengthRewardModel(string name) : TaskRewardModel(name, "prefers the longer answer; a coin when both are equally long")
{
    protected override bool Prefer(Problem problem, string a, string b)
    {
        int la = a.Trim().Length, lb = b.Trim().Length;
        return la != lb ? la > lb : Coin(problem, a, b);
    }
}

/// <summary>Checks only the last digit: prefers the answer whose last digit is the right one; a coin otherwise.</summary>
public sealed class LastDigitRewardModel(string name) : TaskRewardModel(name, "checks only the last digit; a coin when both or neither end right")
{
    protected override bool Prefer(Problem problem, string a, string b)
    {
        char want = ArithmeticTask.Format(problem.Answer)[^1];
        bool ra = a.Trim() is { Length: > 0 } ta && ta[^1] == want, rb = b.Trim() is { Length: > 0 } tb && tb[^1] == want;
        return ra != rb ? ra : Coin(problem, a, b);
    }
}

/// <summary>The graded truth, flipped on a fixed share of pairs: about (1 - error) right everywhere.</summary>
public sealed class NoisyRewardModel(string name, double error)
    : TaskRewardModel(name, $"the graded truth, flipped on {error:P0} of pairs, in every domain")
{
    public double Error { get; } = error;
    protected override bool Prefer(Problem problem, string a, string b) =>
        Uniform(problem, a, b, "flip") < Error ? !Truth(problem, a, b) : Truth(problem, a, b);
}

/// <summary>The arithmetic task's default pool: no RM is best in every domain (docs/alignment.md has their accuracies).</summary>
public static class TaskRewardModels
{
    public static IReadOnlyList<TaskRewardModel> DefaultPool() =>
    [
        new SpecialistRewardModel("calculator", ["addition", "multiplication"], "exact on addition and multiplication; a coin on comparison and conversion"),
        new SmallerBiasedSpecialist("unit-checker", ["comparison", "conversion"], "exact on comparison and conversion; prefers the smaller number on addition and multiplication"),
        new LengthRewardModel("length-judge"),
        new LastDigitRewardModel("last-digit"),
        new NoisyRewardModel("rough-70", 0.3),
    ];
}
