using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Imports the <c>results/Rewardbench</c> part of the RewardMATH folder: the 447 math pairs of RewardBench
/// (<c>math-prm</c>) with their full response texts, scored by the same RMs as RewardMATH. The texts come from the
/// process-RM files (<c>rewardbench_&lt;process RM&gt;.json</c>: one row per solution with <c>eval_solution</c> as a
/// list of steps, joined with newlines, <c>solution_type</c> chosen/rejected and <c>subject</c>); every scorer file is
/// joined to them on the problem text. Classifier RMs give <c>score = [chosen, rejected]</c>; process RMs the minimum
/// of a solution's <c>output.step_scores</c>. RM names are RewardMATH's (<see cref="RmNames"/>), so a router trained
/// on RewardMATH routes these pairs. One pair per problem: id and group <c>rewardbench-math/&lt;problem_id&gt;</c>,
/// domain = the subject, the chosen response placed on a or b by the seeded coin.
/// </summary>
public sealed class RewardBenchMathImporter(int seed, string scorers = RewardMathImporter.DefaultScorers) : IPairImporter
{
    public const string FilePrefix = "rewardbench_";

    /// <summary>RewardBench file stems whose RM has another name in RewardMATH's files; the others are the same.</summary>
    public static IReadOnlyDictionary<string, string> RmNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GRM-Llama3-8B"] = "grm_llama3",
        ["GRM_Gemma_2B"] = "grm_gemma",
        ["Skywork-Llama-3.1-8B"] = "skywork_llama3",
        ["internlm2-20b"] = "internlm2_20b",
    };

    public string Format => "rewardmath --part rewardbench";

    /// <summary>The folder holding the rewardbench_*.json files: SOURCE/results/Rewardbench, or SOURCE itself.</summary>
    public static string ResultsFolder(string source)
    {
        if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"{source}: no such folder (give the RewardMATH folder, e.g. ../shared/datasets/rewardmath)");
        var nested = Path.Combine(source, "results", "Rewardbench");
        if (Directory.Exists(nested)) return nested;
        if (Directory.EnumerateFiles(source, FilePrefix + "*.json").Any()) return source;
        throw new DirectoryNotFoundException($"{source}: found neither results/Rewardbench/ nor {FilePrefix}*.json files in it");
    }

    /// <summary>Every scorer file of the folder (name order), with its RM name and kind (classifier or process).</summary>
    public static IReadOnlyList<RewardMathScorerFile> ListScorers(string folder) =>
        Directory.EnumerateFiles(folder, FilePrefix + "*.json")
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                var stem = Path.GetFileNameWithoutExtension(f)[FilePrefix.Length..];
                return new RewardMathScorerFile(RmNames.GetValueOrDefault(stem, stem), f, DetectKind(f));
            })
            .ToList();

    private static RewardMathScorerKind DetectKind(string file)
    {
        var first = JsonRecords.Read(file).FirstOrDefault();
        if (first.File is null) throw new PairFileException(file, 0, "no rows in the file");
        if (first.Has("eval_solution")) return RewardMathScorerKind.Process;
        if (first.Has("score")) return RewardMathScorerKind.Classifier;
        throw first.Error("a row needs \"score\" (classifier RMs) or \"eval_solution\" (process RMs)");
    }

    public IEnumerable<PreferencePair> Import(string source, ImportReport report)
    {
        var folder = ResultsFolder(source);
        var available = ListScorers(folder);
        var processFiles = available.Where(s => s.Kind == RewardMathScorerKind.Process).ToList();
        if (processFiles.Count == 0) throw new InvalidDataException($"{folder}: no process-RM file (rows with eval_solution): the response texts are in those");
        var selected = RewardMathImporter.Select(available, scorers);

        // The texts: from the first process-RM file; every other process file must hold the same.
        var problems = ReadProcessRows(processFiles[0].File, out _);
        var scores = new Dictionary<string, Dictionary<string, (double Chosen, double Rejected)>>(StringComparer.Ordinal);
        foreach (var s in selected)
        {
            Dictionary<string, (double, double)> byProblem;
            if (s.Kind == RewardMathScorerKind.Process)
            {
                var rows = ReadProcessRows(s.File, out byProblem);
                foreach (var p in problems)
                    if (!rows.Any(r => r.Problem == p.Problem && r.Chosen == p.Chosen && r.Rejected == p.Rejected))
                        throw new InvalidDataException($"{s.File}: the solutions of \"{Cut(p.Problem)}\" differ from {processFiles[0].File}");
            }
            else byProblem = ReadClassifierRows(s.File, report);
            scores[s.Name] = byProblem;
        }

        int joined = problems.Count(p => selected.All(s => scores[s.Name].ContainsKey(p.Problem)));
        report.Note($"scorers ({selected.Count}): {string.Join(", ", selected.Select(s => $"{s.Name} [{RewardMathImporter.KindWord(s.Kind)}]"))}");
        report.Note($"joined {joined} of {problems.Count} problems of {Path.GetFileName(processFiles[0].File)} (response texts) with every selected scorer on the problem text");
        foreach (var s in selected)
        {
            int extra = scores[s.Name].Keys.Count(k => !problems.Any(p => p.Problem == k));
            report.Skip($"problems of {Path.GetFileName(s.File)} without response texts", extra);
        }
        return Pairs(problems, selected, scores, report);
    }

    private IEnumerable<PreferencePair> Pairs(List<ProcessProblem> problems, List<RewardMathScorerFile> selected,
        Dictionary<string, Dictionary<string, (double Chosen, double Rejected)>> scores, ImportReport report)
    {
        var placement = new PairPlacement(seed);
        foreach (var p in problems)
        {
            var chosenFirst = new List<KeyValuePair<string, Judgment>>(selected.Count);
            foreach (var s in selected)
            {
                if (scores[s.Name].TryGetValue(p.Problem, out var sc)) chosenFirst.Add(new(s.Name, Judgment.FromScores(sc.Chosen, sc.Rejected)));
                else report.Skip($"judgments missing from {Path.GetFileName(s.File)} (its problem is not there)");
            }
            var id = $"rewardbench-math/{p.Id}";
            yield return placement.Place(id, id, p.Problem, p.Chosen, p.Rejected, p.Subject, chosenFirst);
        }
    }

    private sealed record ProcessProblem(int Id, string Problem, string Chosen, string Rejected, string? Subject);

    /// <summary>The problems of a process-RM file in problem_id order, and its score (min of steps) of each solution.</summary>
    private static List<ProcessProblem> ReadProcessRows(string file, out Dictionary<string, (double Chosen, double Rejected)> scores)
    {
        var rows = new Dictionary<int, (JsonRecord? Chosen, JsonRecord? Rejected)>();
        foreach (var r in JsonRecords.Read(file))
        {
            var idElement = r.Field("problem_id");
            if (idElement.ValueKind != JsonValueKind.Number || !idElement.TryGetInt32(out var id)) throw r.Error($"\"problem_id\" must be an integer, got {JsonRecord.Short(idElement)}");
            var type = r.String("solution_type");
            var slot = rows.GetValueOrDefault(id);
            if (type == "chosen")
            {
                if (slot.Chosen is not null) throw r.Error($"problem_id {id} has two chosen solutions");
                slot.Chosen = r;
            }
            else if (type == "rejected")
            {
                if (slot.Rejected is not null) throw r.Error($"problem_id {id} has two rejected solutions");
                slot.Rejected = r;
            }
            else throw r.Error($"\"solution_type\" must be \"chosen\" or \"rejected\", got \"{type}\"");
            rows[id] = slot;
        }
        var problems = new List<ProcessProblem>();
        scores = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (var (id, (chosen, rejected)) in rows.OrderBy(kv => kv.Key))
        {
            if (chosen is not { } c || rejected is not { } rj)
                throw new PairFileException(file, 0, $"problem_id {id} lacks its {(chosen is null ? "chosen" : "rejected")} solution");
            var problem = c.String("problem");
            if (rj.String("problem") != problem) throw rj.Error($"problem_id {id}: the rejected row's problem differs from the chosen row's");
            if (!scores.TryAdd(problem, (MinStep(c), MinStep(rj)))) throw c.Error($"the problem of problem_id {id} is listed under another problem_id too");
            problems.Add(new ProcessProblem(id, problem, Steps(c), Steps(rj), c.OptionalString("subject")));
        }
        return problems;
    }

    private static string Steps(JsonRecord r)
    {
        var steps = r.Field("eval_solution");
        if (steps.ValueKind != JsonValueKind.Array || steps.GetArrayLength() == 0 || steps.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
            throw r.Error("\"eval_solution\" must be a non-empty list of step texts");
        return string.Join("\n", steps.EnumerateArray().Select(s => s.GetString()));
    }

    private static double MinStep(JsonRecord r)
    {
        var output = r.Field("output");
        if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("step_scores", out var steps)
            || steps.ValueKind != JsonValueKind.Array || steps.GetArrayLength() == 0)
            throw r.Error("\"output.step_scores\" must be a non-empty list of numbers");
        double min = double.PositiveInfinity;
        int k = 0;
        foreach (var s in steps.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out var x) || !double.IsFinite(x))
                throw r.Error($"output.step_scores[{k}] must be a finite number, got {JsonRecord.Short(s)}");
            min = Math.Min(min, x);
            k++;
        }
        return min;
    }

    private static Dictionary<string, (double Chosen, double Rejected)> ReadClassifierRows(string file, ImportReport report)
    {
        var scores = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        int duplicates = 0;
        foreach (var r in JsonRecords.Read(file))
        {
            var problem = r.String("problem");
            var score = r.Field("score");
            if (score.ValueKind != JsonValueKind.Array || score.GetArrayLength() != 2)
                throw r.Error("\"score\" must be a list of 2 numbers [chosen, rejected]");
            var pair = new double[2];
            for (int i = 0; i < 2; i++)
                if (score[i].ValueKind != JsonValueKind.Number || !score[i].TryGetDouble(out pair[i]) || !double.IsFinite(pair[i]))
                    throw r.Error($"score[{i}] must be a finite number, got {JsonRecord.Short(score[i])}");
            if (!scores.TryAdd(problem, (pair[0], pair[1]))) duplicates++;
        }
        report.Skip($"repeated problem entries in {Path.GetFileName(file)} (kept the first)", duplicates);
        return scores;
    }

    private static string Cut(string text) => text.Length <= 50 ? text : text[..47] + "...";
}
