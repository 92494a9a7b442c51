using BayesianRouter.Data;

namespace BayesianRouter.Core.Tests.Offline;

/// <summary>Builds small labelled pairs for the offline-router and routing-accuracy tests.</summary>
internal static class PairFactory
{
    /// <summary>
    /// A pair whose ground truth is A; <paramref name="verdicts"/> maps each RM to 'a' (right), 'b' (wrong) or
    /// 't' (tie), as scores.
    /// </summary>
    public static PreferencePair Pair(string id, string group, string? domain, params (string Rm, char Verdict)[] verdicts)
    {
        var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
        foreach (var (rm, v) in verdicts)
            judgments[rm] = v switch
            {
                'a' => Judgment.FromScores(1, 0),
                'b' => Judgment.FromScores(0, 1),
                _ => Judgment.FromScores(0.5, 0.5),
            };
        return new PreferencePair
        {
            Id = id, Group = group, Prompt = "prompt of " + group, Preferred = Preference.A, Domain = domain, Judgments = judgments,
        };
    }

    /// <summary><paramref name="groups"/> groups of <paramref name="perGroup"/> pairs, domains cycling through <paramref name="domains"/>.</summary>
    public static List<PreferencePair> Groups(int groups, int perGroup, params string?[] domains)
    {
        var list = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
            for (int j = 0; j < perGroup; j++)
                list.Add(Pair($"p{g}-{j}", $"g{g}", domains.Length == 0 ? null : domains[g % domains.Length], ("x", 'a')));
        return list;
    }
}
