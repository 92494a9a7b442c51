using BayesianRouter.Data;

namespace BayesianRouter.TestSupport;

/// <summary>
/// (Shared by the service and CLI tests.) GRPO-style rollout groups with recorded RM behaviour, for the reward
/// endpoints: <c>groups</c> prompts with <c>size</c> responses each, written as every pair (r_i, r_j), i &lt; j, of every
/// prompt, so the recorded-RM server knows every response's score for the scalar RMs of <see cref="RecordedRmFarm"/>
/// ("armo", "sky", "intern") and the judge's verdict on any two responses (it prefers the higher of a hidden quality).
/// </summary>
internal static class RolloutGroups
{
    public sealed record Group(string Prompt, string[] Responses, Dictionary<string, double[]> Scores, double[] JudgeQuality);

    public static (List<Group> Groups, List<PreferencePair> Pairs) Make(int groups, int size, int seed = 5)
    {
        var rng = new Random(seed);
        var list = new List<Group>();
        var pairs = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
        {
            var prompt = $"<|user|>\nProblem {g}: what is {g} + {g * 3}?\n<|assistant|>\n";
            var responses = Enumerable.Range(0, size).Select(i => $"Rollout {i} of problem {g}: the answer is {g * 4 + (i % 3) - 1}.").ToArray();
            var scores = new Dictionary<string, double[]>(StringComparer.Ordinal);
            foreach (var rm in (string[])["armo", "sky", "intern"])
                scores[rm] = Enumerable.Range(0, size).Select(_ => Math.Round(rng.NextDouble() * 6 - 3, 4)).ToArray();
            // the judge prefers the response of higher hidden quality (never a tie)
            var quality = Enumerable.Range(0, size).Select(i => rng.NextDouble() + i * 1e-9).ToArray();
            list.Add(new Group(prompt, responses, scores, quality));
            for (int i = 0; i < size; i++)
                for (int j = i + 1; j < size; j++)
                {
                    var judgments = new Dictionary<string, Judgment>(StringComparer.Ordinal);
                    foreach (var (rm, s) in scores) judgments[rm] = Judgment.FromScores(s[i], s[j]);
                    judgments["judge"] = Judgment.FromVerdict(quality[i] > quality[j] ? Preference.A : Preference.B);
                    pairs.Add(new PreferencePair
                    {
                        Id = $"g{g}-{i}-{j}", Group = $"g{g}", Prompt = prompt, ResponseA = responses[i], ResponseB = responses[j],
                        Preferred = Preference.A, Judgments = judgments,
                    });
                }
        }
        return (list, pairs);
    }

    /// <summary>What the scoring RM should have answered for response <paramref name="i"/> of <paramref name="group"/>
    /// (a judge: against the anchor response <paramref name="anchor"/>).</summary>
    public static double Expected(Group group, string rm, int i, int anchor = 0) =>
        rm == "judge" ? (i == anchor ? 0.5 : group.JudgeQuality[i] > group.JudgeQuality[anchor] ? 1 : 0) : group.Scores[rm][i];
}
