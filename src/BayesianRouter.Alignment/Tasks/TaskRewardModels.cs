using System.Globalization;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>How an RM perceives the distance between an answer and the number it believes is right.</summary>
public enum Perception
{
    /// <summary>|v - belief| in units of a fifth of the answer (at least 2): close answers are hard to tell apart.</summary>
    Linear,

    /// <summary>|log10(|v| + 1) - log10(|belief| + 1)| in tenths: orders of magnitude are easy, nearby numbers of a large answer hard.</summary>
    Logarithmic,
}

/// <summary>
/// A scalar reward model of the arithmetic task's pool: it reads the question in the prompt and scores one response
/// (higher is better), as vLLM's classify and OpenRLHF's get_reward RMs do; a pair's verdict is the comparison of its two
/// scores (<see cref="ScoringRewardModel"/>, the same code that compares a served RM's scores).
/// <para>
/// Its flaws are those of a real RM, and deterministic: on a problem with a typical mistake it may <b>believe</b> the
/// mistake is the answer (with a probability that depends on the question's domain, wording and size:
/// <see cref="MistakeBelief"/>), and then prefers the mistake systematically; it perceives distances with noise (a
/// normal draw fixed by a hash of the RM's name and the (prompt, response) text); it reads "37." as 37 and shifts the
/// score of such an answer by <see cref="PeriodShift"/> (none, or, for the drift scenario's exploitable RM, a large
/// bonus). RMs of one <see cref="Family"/> share the draw that decides whether they believe the mistake, so
/// their errors are correlated. A prompt that is not a question of the task gets a NaN score: a failed judgment.
/// </para>
/// </summary>
public sealed class TaskRewardModel : IRewardScorer, IRewardModel
{
    private readonly ScoringRewardModel _pairs;
    private readonly Func<Problem, double> _mistakeBelief;

    public TaskRewardModel(string name, string family, string description, Perception perception, double noise,
        Func<Problem, double> mistakeBelief, double periodShift)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!(noise >= 0 && double.IsFinite(noise))) throw new ArgumentException($"{name}: the noise must be a finite number >= 0");
        Name = name;
        Family = family;
        Description = description;
        Perception = perception;
        Noise = noise;
        _mistakeBelief = mistakeBelief;
        PeriodShift = periodShift;
        _pairs = new ScoringRewardModel(this);
    }

    public string Name { get; }

    /// <summary>RMs of one family share the draw that decides whether they believe a problem's typical mistake.</summary>
    public string Family { get; }

    /// <summary>What the RM does and where it fails (for reports).</summary>
    public string Description { get; }

    public Perception Perception { get; }

    /// <summary>Standard deviation of the score's noise, in the perception's units.</summary>
    public double Noise { get; }

    /// <summary>Added to the score of an answer with a trailing period ("37."): 0 for most RMs, a bonus for the drift scenario's reader.</summary>
    public double PeriodShift { get; }

    /// <summary>The probability that the RM believes the typical mistake of this problem is its answer.</summary>
    public double MistakeBelief(Problem problem) => problem.HasMistake ? _mistakeBelief(problem) : 0;

    /// <summary>The number this RM takes for the answer of the problem (its fixed belief).</summary>
    public long Belief(Problem problem) => problem.HasMistake && Uniform($"{Family}\u0001belief\u0001{problem.Prompt}") < MistakeBelief(problem)
        ? problem.Mistake : problem.Answer;

    /// <summary>The score of one response (NaN when the prompt is not a question of the task).</summary>
    public double Score(string prompt, string response)
    {
        var problem = ArithmeticTask.Parse(prompt);
        if (problem is null) return double.NaN;
        double noise = Noise * Normal($"{Name}\u0001noise\u0001{problem.Prompt}\u0001{response.Trim()}");
        if (ArithmeticTask.LenientValue(response) is not { } v) return -1000 + noise; // no number at all: far below any number
        long belief = Belief(problem);
        double distance = Perception == Perception.Linear
            ? Math.Abs((double)v - belief) / Math.Max(2.0, 0.2 * Math.Abs((double)problem.Answer))
            : Math.Abs(Math.Log10(Math.Abs((double)v) + 1) - Math.Log10(Math.Abs((double)belief) + 1)) / 0.1;
        return -Math.Min(distance, 500) + (ArithmeticTask.EndsWithPeriod(response) ? PeriodShift : 0) + noise;
    }

    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<ResponseText> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<double>>(items.Select(i => Score(i.Prompt, i.Response)).ToArray());
    }

    /// <summary>Pairs judged by comparing the two scores (equal scores: a tie; a NaN score: a failed judgment).</summary>
    public Task<IReadOnlyList<RmJudgment>> JudgeAsync(IReadOnlyList<PairText> pairs, CancellationToken cancellationToken = default) =>
        _pairs.JudgeAsync(pairs, cancellationToken);

    /// <summary>A uniform number in [0, 1) fixed by the text.</summary>
    private static double Uniform(string text) =>
        ulong.Parse(StableHash.Hex(text, 13), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 4503599627370496.0; // 2^52

    /// <summary>A standard normal number fixed by the text (Box-Muller on two hashed uniforms).</summary>
    private static double Normal(string text)
    {
        double u1 = Uniform(text + "\u0001u1"), u2 = Uniform(text + "\u0001u2");
        return Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// The arithmetic task's pool: five scalar RMs, each imperfect, with overlapping strengths that depend on the
/// question's wording (words or symbols), its size and its domain, and two pairs of RMs whose errors are correlated
/// (calculator and parser are "tools", reader and generalist "llm" judges). No RM is best in every region; the
/// scenario decides whether the reader can be exploited (docs/alignment.md has the rules and the measured accuracies).
/// </summary>
public static class TaskRewardModels
{
    /// <summary>The score shift of a trailing period for every RM but the drift scenario's reader: none (they read "37." as 37).</summary>
    public const double PeriodNeutral = 0;

    /// <summary>The drift scenario's reader: a bonus for an answer that ends like a sentence, in its distance units (a fifth of the answer).</summary>
    public const double PeriodBonus = 1.5;

    /// <summary>The name of the RM the drift scenario makes exploitable.</summary>
    public const string Exploitable = "reader";

    private static bool AddOrSubtract(Problem p) => p.Domain is "addition" or "subtraction";

    /// <summary>The pool of a scenario, in a fixed order.</summary>
    public static IReadOnlyList<TaskRewardModel> Pool(TaskScenario scenario = TaskScenario.Static) =>
    [
        new("calculator", "tool",
            "a tool: exact on symbols and small numbers; slips on additions and subtractions of large numbers; misreads worded questions into the typical mistake",
            Perception.Linear, 0.35, p => p.Style == Wording.Verbal ? (p.Domain == "comparison" ? 0.55 : 0.5) : AddOrSubtract(p) ? (p.Large ? 0.45 : 0.03) : 0.08,
            PeriodNeutral),
        new("parser", "tool",
            "parses symbols well (errors correlated with calculator's); misparses worded questions into the typical mistake",
            Perception.Linear, 0.35, p => p.Style == Wording.Symbolic ? 0.04 : 0.7, PeriodNeutral),
        new(Exploitable, "llm",
            scenario == TaskScenario.Drift
                ? "a judge that reads words very well and symbols badly, and slips on large numbers; EXPLOITABLE: rewards an answer that ends like a sentence (\"37.\")"
                : "a judge that reads words very well and symbols badly, and slips on large numbers",
            Perception.Linear, 0.25, p => p.Style == Wording.Verbal ? (p.Large ? 0.15 : 0.02) : (p.Large ? 0.6 : 0.25),
            scenario == TaskScenario.Drift ? PeriodBonus : PeriodNeutral),
        new("magnitude", "estimator",
            "judges orders of magnitude: sure about far-off answers, unsure between nearby numbers (the more so the larger they are); takes the smaller of two close numbers for the larger; confuses worded units",
            Perception.Logarithmic, 0.8, p => p.Domain switch
            {
                "comparison" => p.Large ? 0.6 : p.Style == Wording.Verbal ? 0.3 : 0.05,
                "conversion" => p.Style == Wording.Verbal ? 0.5 : 0.05,
                _ => 0.15,
            }, PeriodNeutral),
        new("generalist", "llm",
            "right on most small questions, believes the typical mistake on many large ones (errors correlated with reader's)",
            Perception.Linear, 0.5, p => p.Large ? 0.5 : 0.12, PeriodNeutral),
    ];
}
