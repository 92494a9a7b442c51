using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// The MATH subject of RewardMATH problems, joined on the problem text: first
/// <c>dataset/math_test/experiments_test_filtered.json</c> (<c>feature.subject</c>), then the RewardBench
/// process-RM rows of <c>results/Rewardbench/*.json</c> (<c>subject</c>). The first source that names a subject wins.
/// </summary>
public static class RewardMathSubjects
{
    public static IReadOnlyDictionary<string, string> Load(string source, string resultsFolder, ImportReport report)
    {
        // SOURCE/results/RewardMATH -> SOURCE; when SOURCE is the results folder itself, look two levels up.
        var root = Path.GetFullPath(Path.Combine(resultsFolder, "..", ".."));
        var subjects = new Dictionary<string, string>(StringComparer.Ordinal);
        int conflicts = 0;
        void Add(string problem, string subject)
        {
            if (!subjects.TryAdd(problem, subject) && subjects[problem] != subject) conflicts++;
        }

        var mathTest = Path.Combine(root, "dataset", "math_test", "experiments_test_filtered.json");
        if (File.Exists(mathTest))
        {
            foreach (var r in JsonRecords.Read(mathTest))
                if (r.OptionalString("problem") is { } problem && r.Value.TryGetProperty("feature", out var f)
                    && f.ValueKind == JsonValueKind.Object && f.TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.String)
                    Add(problem, s.GetString()!);
        }
        else report.Note($"no {mathTest}: subjects from RewardBench rows only");

        var rewardBench = Path.Combine(root, "results", "Rewardbench");
        if (Directory.Exists(rewardBench))
        {
            foreach (var file in Directory.EnumerateFiles(rewardBench, "*.json").Order(StringComparer.Ordinal))
                foreach (var r in JsonRecords.Read(file))
                    if (r.OptionalString("problem") is { } problem && r.Has("subject")
                        && r.Value.GetProperty("subject").ValueKind == JsonValueKind.String)
                        Add(problem, r.String("subject"));
        }
        if (conflicts > 0) report.Note($"{conflicts} subject conflicts between the subject sources: kept the first");
        return subjects;
    }
}
