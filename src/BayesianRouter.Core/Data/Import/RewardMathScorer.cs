using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>How a RewardMATH scorer file records its scorer's behaviour.</summary>
public enum RewardMathScorerKind
{
    /// <summary>Classifier RM: one float per solution.</summary>
    Classifier,

    /// <summary>Process RM: a list of step scores per solution, aggregated with min.</summary>
    Process,

    /// <summary>Direct LLM judge: an integer 1-10 per solution (ties are frequent).</summary>
    DirectJudge,

    /// <summary>Pairwise LLM judge: a verdict "A"/"B" per incorrect solution, right when it equals chosen_position.</summary>
    PairwiseJudge,
}

/// <summary>
/// One <c>results/RewardMATH/&lt;stem&gt;_reward.json</c> file: a scorer's recorded behaviour on the 9 pairs
/// (correct solution 0 versus incorrect solution j = 1..9) of every problem. The RM name is the file stem
/// without <c>_reward</c> (<c>internlm2_20b</c>, <c>gpt4o</c>, <c>gpt4o_pairwise</c>).
/// </summary>
public sealed class RewardMathScorer
{
    public const int Solutions = 10;
    public const string FileSuffix = "_reward.json";

    private RewardMathScorer(string name, string file, RewardMathScorerKind kind, IReadOnlyList<RewardMathProblem> problems, int duplicates)
    {
        Name = name;
        File = file;
        Kind = kind;
        Problems = problems;
        Duplicates = duplicates;
        ByText = problems.ToDictionary(p => p.Text, StringComparer.Ordinal);
    }

    public string Name { get; }
    public string File { get; }
    public RewardMathScorerKind Kind { get; }

    /// <summary>The problems in file order; a problem listed twice is kept once (the first).</summary>
    public IReadOnlyList<RewardMathProblem> Problems { get; }

    public IReadOnlyDictionary<string, RewardMathProblem> ByText { get; }

    /// <summary>Entries dropped because their problem was listed before.</summary>
    public int Duplicates { get; }

    /// <summary>Failed judgments (a pairwise verdict of null): left out of the pair file.</summary>
    public int Failed => Problems.Sum(p => p.ChosenFirst.Count(j => j is null));

    public static string NameOf(string path)
    {
        var file = Path.GetFileName(path);
        return file.EndsWith(FileSuffix, StringComparison.Ordinal) ? file[..^FileSuffix.Length] : Path.GetFileNameWithoutExtension(file);
    }

    /// <summary>
    /// A scorer file's kind, read from its first entry only (cheap): pairwise files carry <c>chosen_position</c>,
    /// process RMs give a list of step scores per solution, direct judges write integers (10) where classifiers
    /// write floats (0.18...).
    /// </summary>
    public static RewardMathScorerKind DetectKind(string path)
    {
        ReadOnlySpan<byte> bytes = System.IO.File.ReadAllBytes(path);
        if (bytes.StartsWith(System.Text.Encoding.UTF8.Preamble)) bytes = bytes[System.Text.Encoding.UTF8.Preamble.Length..];
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        JsonElement first;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new PairFileException(path, 1, "expected a JSON array of problem entries");
            using var doc = JsonDocument.ParseValue(ref reader);
            first = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new PairFileException(path, (e.LineNumber ?? -1) + 1, $"not valid JSON: {JsonErrorText.Describe(bytes, e, withLine: false)}", e);
        }
        if (first.TryGetProperty("chosen_position", out _)) return RewardMathScorerKind.PairwiseJudge;
        if (!first.TryGetProperty("score", out var score) || score.ValueKind != JsonValueKind.Array || score.GetArrayLength() == 0)
            throw new PairFileException(path, 0, "item 0: \"score\" must be a non-empty list");
        if (score[0].ValueKind == JsonValueKind.Array) return RewardMathScorerKind.Process;
        return score.EnumerateArray().All(IsIntegerToken) ? RewardMathScorerKind.DirectJudge : RewardMathScorerKind.Classifier;
    }

    /// <summary>Reads and checks one scorer file of the given kind (see <see cref="DetectKind"/>).</summary>
    public static RewardMathScorer Load(string path, RewardMathScorerKind kind)
    {
        var records = JsonRecords.Read(path).ToList();
        if (records.Count == 0) throw new PairFileException(path, 0, "no problems in the file");
        var problems = new List<RewardMathProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int duplicates = 0;
        foreach (var r in records)
        {
            var text = r.String("problem");
            if (!seen.Add(text)) { duplicates++; continue; }
            problems.Add(kind == RewardMathScorerKind.PairwiseJudge ? ReadPairwise(r, text) : ReadScored(r, text, kind));
        }
        return new RewardMathScorer(NameOf(path), path, kind, problems, duplicates);
    }

    private static bool IsIntegerToken(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.GetRawText().All(c => char.IsAsciiDigit(c) || c == '-');

    private static List<string> Tags(JsonRecord r, int expected)
    {
        var refs = r.Field("solution_reference");
        if (refs.ValueKind != JsonValueKind.Array || refs.GetArrayLength() != expected || refs.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
            throw r.Error($"\"solution_reference\" must be a list of {expected} strings");
        return refs.EnumerateArray().Select(t => t.GetString()!).ToList();
    }

    private static RewardMathProblem ReadScored(JsonRecord r, string text, RewardMathScorerKind kind)
    {
        var tags = Tags(r, Solutions);
        var score = r.Field("score");
        if (score.ValueKind != JsonValueKind.Array || score.GetArrayLength() != Solutions)
            throw r.Error($"\"score\" must be a list of {Solutions} values (solution 0 correct, 1..9 incorrect)");
        var values = new double[Solutions];
        int i = 0;
        foreach (var s in score.EnumerateArray())
        {
            values[i] = kind == RewardMathScorerKind.Process ? MinStep(r, i, s) : Finite(r, $"score[{i}]", s);
            i++;
        }
        var chosenFirst = new Judgment?[Solutions - 1];
        for (int j = 1; j < Solutions; j++) chosenFirst[j - 1] = Judgment.FromScores(values[0], values[j]);
        return new RewardMathProblem(text, tags, chosenFirst);
    }

    /// <summary>A process RM's score of a solution: the minimum of its step scores (README of the data).</summary>
    private static double MinStep(JsonRecord r, int i, JsonElement steps)
    {
        if (steps.ValueKind != JsonValueKind.Array || steps.GetArrayLength() == 0)
            throw r.Error($"score[{i}] must be a non-empty list of step scores");
        double min = double.PositiveInfinity;
        int k = 0;
        foreach (var s in steps.EnumerateArray()) min = Math.Min(min, Finite(r, $"score[{i}][{k++}]", s));
        return min;
    }

    private static double Finite(JsonRecord r, string where, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var x) || !double.IsFinite(x))
            throw r.Error($"{where} must be a finite number, got {JsonRecord.Short(e)}");
        return x;
    }

    private static RewardMathProblem ReadPairwise(JsonRecord r, string text)
    {
        var tags = Tags(r, Solutions - 1);
        var score = r.Field("score");
        var chosen = r.Field("chosen_position");
        if (score.ValueKind != JsonValueKind.Array || score.GetArrayLength() != Solutions - 1)
            throw r.Error($"\"score\" must be a list of {Solutions - 1} verdicts");
        if (chosen.ValueKind != JsonValueKind.Array || chosen.GetArrayLength() != Solutions - 1)
            throw r.Error($"\"chosen_position\" must be a list of {Solutions - 1} positions");
        var chosenFirst = new Judgment?[Solutions - 1];
        for (int j = 0; j < Solutions - 1; j++)
        {
            var where = chosen[j].ValueKind == JsonValueKind.String ? chosen[j].GetString() : null;
            if (where is not ("A" or "B")) throw r.Error($"chosen_position[{j}] must be \"A\" or \"B\", got {JsonRecord.Short(chosen[j])}");
            var verdict = score[j];
            if (verdict.ValueKind == JsonValueKind.Null) continue; // the judge gave no usable answer: a failed judgment
            var v = verdict.ValueKind == JsonValueKind.String ? verdict.GetString() : null;
            if (v is not ("A" or "B")) throw r.Error($"score[{j}] must be \"A\", \"B\" or null, got {JsonRecord.Short(verdict)}");
            // Chosen-first: verdict a when the judge picked the position the correct solution was shown in.
            chosenFirst[j] = Judgment.FromVerdict(v == where ? Preference.A : Preference.B);
        }
        return new RewardMathProblem(text, tags, chosenFirst);
    }
}

/// <summary>A scorer file found in the folder, before it is read in full.</summary>
public sealed record RewardMathScorerFile(string Name, string File, RewardMathScorerKind Kind)
{
    public static RewardMathScorerFile Of(string path) => new(RewardMathScorer.NameOf(path), path, RewardMathScorer.DetectKind(path));

    public RewardMathScorer Load() => RewardMathScorer.Load(File, Kind);
}

/// <summary>
/// One problem of a scorer file: its text, the generator tags of solutions 0..9 (1..9 for pairwise files) and, for
/// j = 1..9, the scorer's judgment of (correct solution, incorrect solution j) written chosen-first (null: failed).
/// </summary>
public sealed record RewardMathProblem(string Text, IReadOnlyList<string> Tags, IReadOnlyList<Judgment?> ChosenFirst);
