namespace BayesianRouter.RewardModels;

/// <summary>
/// A text template with named placeholders (<c>{prompt}</c>, <c>{response}</c>, <c>{response_0}</c>,
/// <c>{response_1}</c>), filled in one pass: a prompt that itself contains "{response}" is never filled again, and
/// braces that are not one of the template's placeholders (LaTeX, JSON) stay as they are.
/// </summary>
public sealed class RmTemplate
{
    /// <summary>The OpenRLHF query: the prompt followed by the response (OpenRLHF sends prompt + generation as one text).</summary>
    public const string DefaultQuery = "{prompt}{response}";

    /// <summary>The pairwise judge's user message: the prompt and two responses, answered with "0" or "1".</summary>
    public const string DefaultJudge =
        "You are comparing two responses to the same prompt. Decide which response is better: more correct, more " +
        "helpful and better reasoned.\n\n" +
        "[Prompt]\n{prompt}\n\n" +
        "[Response 0]\n{response_0}\n\n" +
        "[Response 1]\n{response_1}\n\n" +
        "Answer with a single character: 0 if Response 0 is better, 1 if Response 1 is better.";

    /// <summary>Placeholders of a query template (scalar RMs).</summary>
    public static IReadOnlyList<string> QueryPlaceholders { get; } = ["prompt", "response"];

    /// <summary>Placeholders of a judge template (pairwise judges): response_0 is shown first and answered by "0".</summary>
    public static IReadOnlyList<string> JudgePlaceholders { get; } = ["prompt", "response_0", "response_1"];

    private readonly string[] _names;

    public RmTemplate(string text, IReadOnlyList<string> placeholders)
    {
        Text = text ?? throw new ArgumentNullException(nameof(text));
        _names = placeholders.ToArray();
        var missing = Missing(text, placeholders);
        if (missing.Count > 0)
            throw new ArgumentException($"the template lacks {string.Join(", ", missing.Select(m => "{" + m + "}"))}");
    }

    public string Text { get; }

    public static RmTemplate Query(string? text = null) => new(text ?? DefaultQuery, QueryPlaceholders);

    public static RmTemplate Judge(string? text = null) => new(text ?? DefaultJudge, JudgePlaceholders);

    /// <summary>The placeholders of <paramref name="required"/> that <paramref name="text"/> does not contain.</summary>
    public static List<string> Missing(string text, IReadOnlyList<string> required) =>
        required.Where(p => !text.Contains("{" + p + "}", StringComparison.Ordinal)).ToList();

    /// <summary>Fills the placeholders with <paramref name="values"/> (in the order the template was built with).</summary>
    public string Render(params string[] values)
    {
        if (values.Length != _names.Length) throw new ArgumentException($"the template takes {_names.Length} values, got {values.Length}");
        var text = Text;
        var sb = new System.Text.StringBuilder(text.Length + values.Sum(v => v.Length));
        int i = 0;
        while (i < text.Length)
        {
            int open = text.IndexOf('{', i);
            if (open < 0) { sb.Append(text, i, text.Length - i); break; }
            sb.Append(text, i, open - i);
            int k = Array.FindIndex(_names, n => string.CompareOrdinal(text, open + 1, n, 0, n.Length) == 0
                && open + 1 + n.Length < text.Length && text[open + 1 + n.Length] == '}');
            if (k < 0) { sb.Append('{'); i = open + 1; continue; }
            sb.Append(values[k]);
            i = open + _names[k].Length + 2;
        }
        return sb.ToString();
    }
}
