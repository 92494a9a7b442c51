using System.Globalization;
using System.Text.RegularExpressions;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>One question of the task: its domain, the prompt text, the correct answer and the domain's typical mistake.</summary>
public sealed record Problem(string Domain, string Prompt, long Answer, long Mistake);

/// <summary>
/// The arithmetic task, shipped as code (no download): short natural-language questions in four domains with known
/// answers. <b>Graded truth</b>: of two answers, the one closer to the correct number is better (an answer that is
/// no number is worst); a right/wrong-only truth would make a pair of two wrong answers a coin, which is what made
/// perfect labels useless in the feasibility run (shared notes). Each domain has a typical mistake that the
/// supervised start learns from its noisy mixture: addition drops the carry (a + b - 10), multiplication is one row
/// short (a (b - 1)), comparison picks the smaller number, unit conversion uses ten times the factor.
/// </summary>
public static class ArithmeticTask
{
    public const string Name = "arithmetic";
    public static readonly IReadOnlyList<string> Domains = ["addition", "multiplication", "comparison", "conversion"];

    private static readonly string[] AdditionTemplates =
        ["What is {0} plus {1}?", "Add {0} and {1}.", "What do you get when you add {1} to {0}?", "Compute {0} + {1}."];
    private static readonly string[] MultiplicationTemplates =
        ["What is {0} times {1}?", "Multiply {0} by {1}.", "What is the product of {0} and {1}?", "Compute {0} x {1}."];
    private static readonly string[] ComparisonTemplates =
        ["Which is larger, {0} or {1}?", "What is the bigger number: {0} or {1}?", "Which number is greater, {0} or {1}?"];
    private static readonly (string From, string To, int Factor, int MaxValue)[] Units =
    [
        ("metres", "centimetres", 100, 40), ("kilometres", "metres", 1000, 40), ("kilograms", "grams", 1000, 40),
        ("centimetres", "millimetres", 10, 40), ("litres", "millilitres", 1000, 40), ("dollars", "cents", 100, 40),
        ("hours", "minutes", 60, 12), ("minutes", "seconds", 60, 12),
    ];
    private static readonly string[] ConversionTemplates = ["How many {2} are in {0} {1}?", "Convert {0} {1} to {2}."];

    /// <summary>Every problem of the task, in a fixed order (domain by domain).</summary>
    public static IReadOnlyList<Problem> All { get; } = Build();

    private static List<Problem> Build()
    {
        var inv = CultureInfo.InvariantCulture;
        var list = new List<Problem>();
        for (int a = 1; a <= 49; a++)
            for (int b = 1; b <= 9; b++)
                foreach (var t in AdditionTemplates)
                    list.Add(new Problem("addition", string.Format(inv, t, a, b), a + b, (a % 10) + b >= 10 ? a + b - 10 : a + b));
        for (int a = 2; a <= 19; a++)
            for (int b = 2; b <= 9; b++)
                foreach (var t in MultiplicationTemplates)
                    list.Add(new Problem("multiplication", string.Format(inv, t, a, b), a * b, a * (b - 1)));
        for (int a = 10; a <= 99; a++)
            for (int b = 10; b <= 99; b++)
                if (a != b && (a * 31 + b * 17) % 7 == 0) // a seventh of the ordered pairs: about 1,150 numbers pairs
                    foreach (var t in ComparisonTemplates)
                        list.Add(new Problem("comparison", string.Format(inv, t, a, b), Math.Max(a, b), Math.Min(a, b)));
        foreach (var (from, to, factor, max) in Units)
            for (int v = 1; v <= max; v++)
                foreach (var t in ConversionTemplates)
                    list.Add(new Problem("conversion", string.Format(inv, t, v, from, to), (long)v * factor, (long)v * factor * 10));
        return list;
    }

    private static readonly Dictionary<string, Problem> ByPrompt = All.ToDictionary(p => p.Prompt, StringComparer.Ordinal);

    /// <summary>The problem a prompt asks (as an RM reads it), or null for a prompt that is not of this task.</summary>
    public static Problem? Parse(string prompt) => ByPrompt.GetValueOrDefault(prompt.Trim());

    /// <summary>The response's number, or null when it is not a whole number.</summary>
    public static long? Value(string response)
    {
        var s = response.Trim();
        return s.Length is > 0 and <= 12 && Regex.IsMatch(s, @"^-?\d+$") && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>Graded truth: distance to the correct answer (0 = right; a non-number is infinitely far).</summary>
    public static double Distance(Problem problem, string response) =>
        Value(response) is { } v ? Math.Abs((double)v - problem.Answer) : double.PositiveInfinity;

    /// <summary>Whether the response is exactly right.</summary>
    public static bool IsCorrect(Problem problem, string response) => Value(response) == problem.Answer;

    /// <summary>The graded truth of a pair: +1 when a is closer to the answer, -1 when b is, 0 when equally far.</summary>
    public static int Compare(Problem problem, string a, string b)
    {
        double da = Distance(problem, a), db = Distance(problem, b);
        return da < db ? 1 : db < da ? -1 : 0;
    }

    /// <summary>The answer text a response should be.</summary>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
