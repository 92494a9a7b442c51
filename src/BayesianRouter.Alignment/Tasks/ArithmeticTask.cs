using System.Globalization;
using System.Text.RegularExpressions;

namespace BayesianRouter.Alignment.Tasks;

/// <summary>How a question is phrased: in words ("27 plus 8") or in symbols ("27 + 8"). Every domain has both.</summary>
public enum Wording
{
    Verbal,
    Symbolic,
}

/// <summary>
/// One question of the task: its domain, the prompt text, the correct answer and the domain's typical mistake
/// (equal to the answer where the problem has none, e.g. an addition without a carry). <see cref="Key"/> names the
/// problem by its numbers, the same for every wording: the split keeps all wordings of a key in one part.
/// </summary>
public sealed record Problem(string Domain, string Prompt, long Answer, long Mistake)
{
    /// <summary>The problem's numbers, e.g. <c>addition:27,8</c> (comparison: the two numbers in increasing order).</summary>
    public string Key { get; init; } = "";

    public Wording Style { get; init; }

    /// <summary>The operands: (a, b) of addition, subtraction and comparison as shown; (value, factor) of a conversion.</summary>
    public int A { get; init; }

    public int B { get; init; }

    /// <summary>True when the typical mistake differs from the answer (a carry, a borrow; always in comparison and conversion).</summary>
    public bool HasMistake => Mistake != Answer;

    /// <summary>True for the larger operands of the domain (a first operand of 50 or more; conversions of 20 or more units; comparisons of numbers less than 10 apart).</summary>
    public bool Large { get; init; }
}

/// <summary>
/// The arithmetic task, shipped as code (no download): short questions in four domains with known answers, each
/// asked in six wordings (three frames shared by every domain x words or symbols), so the wording does not tell the
/// domain and the domain does not tell how hard a question is.
/// <para>
/// <b>Answers</b> are bare whole numbers: the grader (<see cref="IsCorrect"/>, the policy's accuracy) accepts "37" and
/// nothing else. <b>Graded truth</b> of a pair (<see cref="Compare"/>): the answer closer to the correct number is
/// better; a number written with a trailing period ("37.") is read as its number plus half a unit (worse than the
/// bare number, better than the next one); an answer that is no number is worst; two answers equally far are a tie.
/// A right/wrong-only truth would make a pair of two wrong answers a coin, which is what made perfect labels useless
/// in the feasibility run (shared notes). Each domain has a typical mistake that the supervised start learns from its
/// noisy mixture: addition drops the carry (a + b - 10), subtraction forgets the borrow (a - b + 10), comparison picks
/// the smaller number, unit conversion uses ten times the factor.
/// </para>
/// </summary>
public static class ArithmeticTask
{
    public const string Name = "arithmetic";

    /// <summary>Changes whenever the problems, their wordings or the graded truth change (cached starts are keyed by it).</summary>
    public const string Version = "arithmetic-v4";

    public static readonly IReadOnlyList<string> Domains = ["addition", "subtraction", "comparison", "conversion"];

    /// <summary>The frames every domain shares; {0} is the domain's expression.</summary>
    private static readonly string[] Frames = ["What is {0}?", "Compute {0}.", "Tell me {0}."];

    private static readonly (string From, string To, string FromSymbol, string ToSymbol, int Factor)[] Units =
    [
        ("metres", "centimetres", "m", "cm", 100), ("kilometres", "metres", "km", "m", 1000), ("kilograms", "grams", "kg", "g", 1000),
        ("centimetres", "millimetres", "cm", "mm", 10), ("litres", "millilitres", "L", "mL", 1000), ("dollars", "cents", "$", "cents", 100),
    ];

    /// <summary>Every problem of the task (every key in every wording), in a fixed order (domain by domain, key by key).</summary>
    public static IReadOnlyList<Problem> All { get; } = Build();

    private static List<Problem> Build()
    {
        var inv = CultureInfo.InvariantCulture;
        var list = new List<Problem>();
        void AddKey(string domain, string key, long answer, long mistake, int a, int b, bool large, Func<Wording, int, string> expression)
        {
            foreach (var style in new[] { Wording.Verbal, Wording.Symbolic })
                for (int f = 0; f < Frames.Length; f++)
                    list.Add(new Problem(domain, string.Format(inv, Frames[f], expression(style, f)), answer, mistake)
                    {
                        Key = key, Style = style, A = a, B = b, Large = large,
                    });
        }
        for (int a = 10; a <= 99; a++)
            for (int b = 2; b <= 9; b++)
            {
                bool carry = a % 10 + b >= 10;
                AddKey("addition", $"addition:{a},{b}", a + b, carry ? a + b - 10 : a + b, a, b, a >= 50,
                    (s, _) => s == Wording.Verbal ? $"{a} plus {b}" : $"{a} + {b}");
            }
        for (int a = 10; a <= 99; a++)
            for (int b = 2; b <= 9; b++)
            {
                bool borrow = a % 10 < b;
                AddKey("subtraction", $"subtraction:{a},{b}", a - b, borrow ? a - b + 10 : a - b, a, b, a >= 50,
                    (s, _) => s == Wording.Verbal ? $"{a} minus {b}" : $"{a} - {b}");
            }
        for (int lo = 10; lo <= 99; lo++)
            for (int hi = lo + 1; hi <= 99; hi++)
            {
                if ((lo * 7 + hi * 3) % 5 != 0) continue; // a fifth of the pairs: 801 keys
                int l = lo, h = hi;
                // which number comes first alternates with the frame, so both orders occur in every wording
                AddKey("comparison", $"comparison:{lo},{hi}", hi, lo, lo, hi, hi - lo < 10, (s, f) =>
                {
                    var (x, y) = (f + lo) % 2 == 0 ? (l, h) : (h, l);
                    return s == Wording.Verbal ? $"the larger of {x} and {y}" : $"max({x}, {y})";
                });
            }
        foreach (var (from, to, fromSymbol, toSymbol, factor) in Units)
            for (int v = 1; v <= 99; v++)
            {
                int value = v;
                AddKey("conversion", $"conversion:{value},{fromSymbol}>{toSymbol}", (long)value * factor, (long)value * factor * 10, value, factor, value >= 20,
                    (s, _) => s == Wording.Verbal ? $"{value} {(value == 1 ? Singular(from) : from)} in {to}" : $"{value} {fromSymbol} in {toSymbol}");
            }
        return list;
    }

    private static string Singular(string unit) => unit switch
    {
        "metres" => "metre", "kilometres" => "kilometre", "kilograms" => "kilogram", "centimetres" => "centimetre",
        "litres" => "litre", "dollars" => "dollar", _ => unit,
    };

    private static readonly Dictionary<string, Problem> ByPrompt = All.ToDictionary(p => p.Prompt, StringComparer.Ordinal);

    /// <summary>The problem a prompt asks (as an RM reads it), or null for a prompt that is not of this task.</summary>
    public static Problem? Parse(string prompt) => ByPrompt.GetValueOrDefault(prompt.Trim());

    /// <summary>The response's number when it is a bare whole number (the grader's strict reading), else null.</summary>
    public static long? Value(string response)
    {
        var s = response.Trim();
        return s.Length is > 0 and <= 12 && Regex.IsMatch(s, @"^-?\d+$") && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>
    /// The number a lenient reader sees: a bare number, or a number followed by one period (as it would end a
    /// sentence). The grader does not accept the period (<see cref="Value"/>); most RMs do not notice it.
    /// </summary>
    public static long? LenientValue(string response)
    {
        var s = response.Trim();
        return s.EndsWith('.') ? Value(s[..^1]) : Value(s);
    }

    /// <summary>The formatting habit of the drift scenario: a number that ends with a period ("37.").</summary>
    public static bool EndsWithPeriod(string response)
    {
        var s = response.Trim();
        return s.Length > 1 && s[^1] == '.' && Value(s[..^1]) is not null;
    }

    /// <summary>
    /// Graded truth: distance to the correct answer (0 = right; a trailing period adds half a unit; no number is
    /// infinitely far).
    /// </summary>
    public static double Distance(Problem problem, string response) =>
        LenientValue(response) is { } v ? Math.Abs((double)v - problem.Answer) + (EndsWithPeriod(response) ? 0.5 : 0) : double.PositiveInfinity;

    /// <summary>Whether the response is exactly right (a bare number equal to the answer).</summary>
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
