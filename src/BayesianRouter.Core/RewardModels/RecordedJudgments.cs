using BayesianRouter.Data;

namespace BayesianRouter.RewardModels;

/// <summary>
/// One RM's recorded judgments from a pair file, looked up by text: verdicts and score pairs by (prompt, a, b), also
/// when a and b come swapped; scores by (prompt, response). What <see cref="RecordedRewardModel"/>,
/// <see cref="RecordedRewardScorer"/> and <c>bayesrouter rm-serve</c> answer from.
/// <para>
/// Conflicts: the same (prompt, response) can carry different scores in different pairs (the RM scored it twice, or
/// the pair file has no response texts, so every response is ""), and the same (prompt, a, b) can appear in two pairs
/// with different judgments. The first recorded value (file order) wins, and the conflicts are counted
/// (<see cref="ConflictingScores"/>, <see cref="ConflictingPairs"/>). A pair is always judged from its own recorded
/// judgment first, so the labels of recorded pairs equal what was recorded even when some response scores conflict;
/// only a scalar-score lookup (a scorer protocol, or a pair that was never recorded) sees the first score.
/// </para>
/// </summary>
public sealed class RecordedJudgments
{
    private readonly Dictionary<(string Prompt, string A, string B), Judgment> _pairs = new();
    private readonly Dictionary<(string Prompt, string Response), double> _scores = new();
    private readonly HashSet<string> _prompts = new(StringComparer.Ordinal);
    private readonly List<(string Prompt, string A, string B, Judgment Judgment)> _recorded = [];

    private RecordedJudgments(string rm) => Rm = rm;

    /// <summary>The RM whose judgments these are.</summary>
    public string Rm { get; }

    /// <summary>Pairs with a judgment of the RM.</summary>
    public int PairCount => _recorded.Count;

    /// <summary>Distinct (prompt, response) keys with a score.</summary>
    public int ScoredResponses => _scores.Count;

    /// <summary>True when every judgment of the RM is a pair of scores (a scalar RM): it can then answer scorer protocols.</summary>
    public bool AllScored { get; private set; } = true;

    /// <summary>(prompt, response) keys that were recorded with more than one score (the first is answered).</summary>
    public int ConflictingScores { get; private set; }

    /// <summary>(prompt, a, b) keys recorded twice with different judgments (the first is answered).</summary>
    public int ConflictingPairs { get; private set; }

    /// <summary>The recorded pairs, in file order, with their judgments (a and b as recorded).</summary>
    public IReadOnlyList<(string Prompt, string A, string B, Judgment Judgment)> Pairs => _recorded;

    /// <summary>Every scored (prompt, response) key.</summary>
    public IEnumerable<(string Prompt, string Response)> Responses => _scores.Keys;

    /// <summary>Indexes RM <paramref name="rm"/>'s judgments of <paramref name="pairs"/>; an RM without any judgment is an error.</summary>
    public static RecordedJudgments From(IEnumerable<PreferencePair> pairs, string rm, string source = "the pair file")
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var index = new RecordedJudgments(rm);
        var others = new SortedSet<string>(StringComparer.Ordinal);
        var conflicted = new HashSet<(string, string)>();
        foreach (var p in pairs)
        {
            if (!p.Judgments.TryGetValue(rm, out var j))
            {
                others.UnionWith(p.Judgments.Keys);
                continue;
            }
            index._recorded.Add((p.Prompt, p.ResponseA, p.ResponseB, j));
            index._prompts.Add(p.Prompt);
            var key = (p.Prompt, p.ResponseA, p.ResponseB);
            if (index._pairs.TryGetValue(key, out var before))
            {
                if (!SameJudgment(before, j)) index.ConflictingPairs++;
            }
            else if (index._pairs.TryGetValue((p.Prompt, p.ResponseB, p.ResponseA), out var swapped))
            {
                if (!SameJudgment(swapped.Swapped(), j)) index.ConflictingPairs++;
            }
            else index._pairs[key] = j;

            if (j.IsScored)
            {
                index.AddScore(p.Prompt, p.ResponseA, j.ScoreA!.Value, conflicted);
                index.AddScore(p.Prompt, p.ResponseB, j.ScoreB!.Value, conflicted);
            }
            else index.AllScored = false;
        }
        if (index._recorded.Count == 0)
            throw new ArgumentException($"{source} has no judgment of RM \"{rm}\"" +
                (others.Count > 0 ? $" (its RMs: {string.Join(", ", others)})" : " (it has no judgments at all)"));
        return index;
    }

    private void AddScore(string prompt, string response, double score, HashSet<(string, string)> conflicted)
    {
        var key = (prompt, response);
        if (!_scores.TryGetValue(key, out var first)) _scores[key] = score;
        else if (first != score && conflicted.Add(key)) ConflictingScores++;
    }

    private static bool SameJudgment(Judgment x, Judgment y) =>
        x.Verdict == y.Verdict && x.ScoreA == y.ScoreA && x.ScoreB == y.ScoreB;

    /// <summary>The recorded judgment of (prompt, a, b), swapped back when the pair was recorded as (prompt, b, a).</summary>
    public bool TryGetPair(string prompt, string a, string b, out Judgment judgment)
    {
        if (_pairs.TryGetValue((prompt, a, b), out judgment!)) return true;
        if (_pairs.TryGetValue((prompt, b, a), out var swapped))
        {
            judgment = swapped.Swapped();
            return true;
        }
        return false;
    }

    /// <summary>The recorded score of a response to a prompt (the first, where it was recorded with several).</summary>
    public bool TryGetScore(string prompt, string response, out double score) => _scores.TryGetValue((prompt, response), out score);

    /// <summary>
    /// Judges a pair from the record: its own recorded judgment (either order), else, for a scalar RM, the recorded
    /// scores of its two responses; otherwise a <see cref="RmFailure.NotFound"/> failure naming what is unknown.
    /// </summary>
    public RmJudgment Judge(PairText pair)
    {
        if (TryGetPair(pair.Prompt, pair.ResponseA, pair.ResponseB, out var j)) return RmJudgment.Of(j);
        if (TryGetScore(pair.Prompt, pair.ResponseA, out var a) && TryGetScore(pair.Prompt, pair.ResponseB, out var b))
            return RmJudgment.Of(Judgment.FromScores(a, b));
        return RmFailure.Judgment(RmFailure.NotFound, Missing(pair));
    }

    /// <summary>Why a pair has no recorded judgment, naming the unknown text.</summary>
    public string Missing(PairText pair)
    {
        if (!_prompts.Contains(pair.Prompt)) return $"RM \"{Rm}\" has no recorded judgment for the prompt \"{Cut(pair.Prompt)}\"";
        var unknown = new List<string>();
        if (!_scores.ContainsKey((pair.Prompt, pair.ResponseA))) unknown.Add($"response a \"{Cut(pair.ResponseA)}\"");
        if (!_scores.ContainsKey((pair.Prompt, pair.ResponseB))) unknown.Add($"response b \"{Cut(pair.ResponseB)}\"");
        return unknown.Count > 0 && AllScored
            ? $"RM \"{Rm}\" has no recorded score for {string.Join(" or ", unknown)} of the prompt \"{Cut(pair.Prompt)}\""
            : $"RM \"{Rm}\" has no recorded judgment of these two responses to the prompt \"{Cut(pair.Prompt)}\"";
    }

    /// <summary>Why a (prompt, response) has no recorded score.</summary>
    public string MissingScore(string prompt, string response) => _prompts.Contains(prompt)
        ? $"RM \"{Rm}\" has no recorded score for the response \"{Cut(response)}\" to the prompt \"{Cut(prompt)}\""
        : $"RM \"{Rm}\" has no recorded judgment for the prompt \"{Cut(prompt)}\"";

    /// <summary>Text cut short for messages.</summary>
    public static string Cut(string text)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= 60 ? oneLine : oneLine[..57] + "...";
    }
}
