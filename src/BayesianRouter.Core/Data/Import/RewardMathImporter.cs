namespace BayesianRouter.Data.Import;

/// <summary>
/// Imports the RewardMATH result folder (Kim et al. 2024; <c>../shared/datasets/rewardmath</c>): for every problem
/// p and incorrect solution j = 1..9 one pair (correct solution 0 versus solution j), id <c>rewardmath/p/j</c>,
/// group <c>rewardmath/p</c> (p = the problem's 0-based position in the first selected scorer file), prompt = the
/// problem text, empty response texts (the solutions are not in the data), the subject as domain where the MATH
/// test set or the RewardBench process-RM rows name one, and the judgments of the selected scorers.
/// </summary>
public sealed class RewardMathImporter(int seed, string scorers = RewardMathImporter.DefaultScorers) : IPairImporter
{
    public const string DefaultScorers = "classifier";

    /// <summary>Words that stand for a group of scorers in <c>--scorers</c>.</summary>
    public static readonly IReadOnlyDictionary<string, RewardMathScorerKind[]> Groups = new Dictionary<string, RewardMathScorerKind[]>(StringComparer.Ordinal)
    {
        ["all"] = [RewardMathScorerKind.Classifier, RewardMathScorerKind.Process, RewardMathScorerKind.DirectJudge, RewardMathScorerKind.PairwiseJudge],
        ["classifier"] = [RewardMathScorerKind.Classifier],
        ["process"] = [RewardMathScorerKind.Process],
        ["judges"] = [RewardMathScorerKind.DirectJudge, RewardMathScorerKind.PairwiseJudge],
        ["direct"] = [RewardMathScorerKind.DirectJudge],
        ["pairwise"] = [RewardMathScorerKind.PairwiseJudge],
    };

    public string Format => "rewardmath";

    /// <summary>The folder holding the scorer files: SOURCE/results/RewardMATH, or SOURCE itself.</summary>
    public static string ResultsFolder(string source)
    {
        if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"{source}: no such folder (give the RewardMATH folder, e.g. ../shared/datasets/rewardmath)");
        var nested = Path.Combine(source, "results", "RewardMATH");
        if (Directory.Exists(nested)) return nested;
        if (Directory.EnumerateFiles(source, "*" + RewardMathScorer.FileSuffix).Any()) return source;
        throw new DirectoryNotFoundException($"{source}: found neither results/RewardMATH/ nor *{RewardMathScorer.FileSuffix} files in it");
    }

    /// <summary>Every scorer file of the folder with its kind (file-name order); the files are read in full only once selected.</summary>
    public static IReadOnlyList<RewardMathScorerFile> ListScorers(string resultsFolder) =>
        Directory.EnumerateFiles(resultsFolder, "*" + RewardMathScorer.FileSuffix)
            .Order(StringComparer.Ordinal)
            .Select(RewardMathScorerFile.Of)
            .ToList();

    /// <summary>
    /// Resolves a <c>--scorers</c> value: a comma list of RM names and group words (<see cref="Groups"/>), in the
    /// order given (a group's members in name order), each RM once.
    /// </summary>
    public static List<RewardMathScorerFile> Select(IReadOnlyList<RewardMathScorerFile> available, string scorers)
    {
        var chosen = new List<RewardMathScorerFile>();
        var tokens = scorers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new ArgumentException("--scorers is empty");
        foreach (var token in tokens)
        {
            IEnumerable<RewardMathScorerFile> add;
            if (Groups.TryGetValue(token, out var kinds)) add = available.Where(s => kinds.Contains(s.Kind));
            else
            {
                var one = available.FirstOrDefault(s => s.Name == token)
                    ?? throw new ArgumentException($"--scorers: unknown scorer \"{token}\"; the folder has {string.Join(", ", available.Select(s => s.Name))} (or use {string.Join(", ", Groups.Keys)})");
                add = [one];
            }
            foreach (var s in add)
                if (!chosen.Contains(s)) chosen.Add(s);
        }
        if (chosen.Count == 0) throw new ArgumentException($"--scorers \"{scorers}\" selects no scorer file");
        return chosen;
    }

    public IEnumerable<PreferencePair> Import(string source, ImportReport report)
    {
        var folder = ResultsFolder(source);
        var selected = Select(ListScorers(folder), scorers).Select(f => f.Load()).ToList();
        var reference = selected[0];
        foreach (var s in selected) CheckAligned(reference, s);
        var subjects = RewardMathSubjects.Load(source, folder, report);

        report.Note($"scorers ({selected.Count}): {string.Join(", ", selected.Select(s => $"{s.Name} [{KindWord(s.Kind)}]"))}");
        foreach (var s in selected)
        {
            report.Skip($"repeated problem entries in {Path.GetFileName(s.File)} (kept the first)", s.Duplicates);
            report.Skip($"failed verdicts (null) of {s.Name}: left without a judgment", s.Failed);
        }
        int withSubject = reference.Problems.Count(p => subjects.ContainsKey(p.Text));
        report.Note($"subject (domain) found for {withSubject} of {reference.Problems.Count} problems");
        return Pairs(reference, selected, subjects);
    }

    private IEnumerable<PreferencePair> Pairs(RewardMathScorer reference, List<RewardMathScorer> selected, IReadOnlyDictionary<string, string> subjects)
    {
        var placement = new PairPlacement(seed);
        for (int p = 0; p < reference.Problems.Count; p++)
        {
            var text = reference.Problems[p].Text;
            var rows = selected.Select(s => s.ByText[text]).ToArray();
            for (int j = 1; j < RewardMathScorer.Solutions; j++)
            {
                var chosenFirst = new List<KeyValuePair<string, Judgment>>(selected.Count);
                for (int k = 0; k < selected.Count; k++)
                    if (rows[k].ChosenFirst[j - 1] is { } judgment) chosenFirst.Add(new(selected[k].Name, judgment));
                yield return placement.Place($"rewardmath/{p}/{j}", $"rewardmath/{p}", text, "", "",
                    subjects.GetValueOrDefault(text), chosenFirst);
            }
        }
    }

    /// <summary>Every selected file must hold the same problems with the same incorrect solutions (keyed by (problem, j)).</summary>
    private static void CheckAligned(RewardMathScorer reference, RewardMathScorer other)
    {
        if (other.Problems.Count != reference.Problems.Count)
            throw new InvalidDataException($"{other.File}: {other.Problems.Count} problems, but {reference.File} has {reference.Problems.Count}");
        foreach (var p in reference.Problems)
        {
            if (!other.ByText.TryGetValue(p.Text, out var q))
                throw new InvalidDataException($"{other.File}: has no entry for the problem \"{Cut(p.Text)}\" of {reference.File}");
            if (!Incorrect(p, reference.Kind).SequenceEqual(Incorrect(q, other.Kind), StringComparer.Ordinal))
                throw new InvalidDataException($"{other.File}: the solutions of problem \"{Cut(p.Text)}\" (solution_reference) differ from {reference.File}");
        }
    }

    private static IEnumerable<string> Incorrect(RewardMathProblem p, RewardMathScorerKind kind) =>
        kind == RewardMathScorerKind.PairwiseJudge ? p.Tags : p.Tags.Skip(1);

    private static string Cut(string text) => text.Length <= 50 ? text : text[..47] + "...";

    public static string KindWord(RewardMathScorerKind kind) => kind switch
    {
        RewardMathScorerKind.Classifier => "classifier",
        RewardMathScorerKind.Process => "process",
        RewardMathScorerKind.DirectJudge => "direct",
        _ => "pairwise",
    };
}
