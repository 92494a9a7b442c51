using BayesianRouter.Data;

namespace BayesianRouter.Core.Tests.Data;

/// <summary>Small pairs and files built by the tests.</summary>
internal static class TestPairs
{
    /// <summary>A pair whose judgments are given as (rm, score_a, score_b).</summary>
    public static PreferencePair Scored(string id, Preference? preferred, params (string Rm, double A, double B)[] scores) => new()
    {
        Id = id,
        Group = "g-" + id,
        Prompt = "prompt " + id,
        ResponseA = "a",
        ResponseB = "b",
        Preferred = preferred,
        Judgments = scores.ToDictionary(s => s.Rm, s => Judgment.FromScores(s.A, s.B), StringComparer.Ordinal),
    };

    /// <summary>A pair whose judgments are verdicts; "right", "wrong", "tie" relative to the ground truth A.</summary>
    public static PreferencePair Says(string id, string? group, string? domain, params (string Rm, string What)[] says) => new()
    {
        Id = id,
        Group = group ?? "g-" + id,
        Prompt = "p",
        Preferred = Preference.A,
        Domain = domain,
        Judgments = says.ToDictionary(s => s.Rm, s => Judgment.FromVerdict(s.What switch
        {
            "right" => Preference.A,
            "wrong" => Preference.B,
            "tie" => Preference.Tie,
            _ => throw new ArgumentException(s.What),
        }), StringComparer.Ordinal),
    };

    public static string WriteFile(string folder, string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
