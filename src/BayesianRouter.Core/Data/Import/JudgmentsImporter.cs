using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Merges per-RM result files into an existing pair file, so a user who ran their own RMs can bring their outputs.
/// A result file (JSON Lines or a JSON array) holds one record per pair: <c>{"id", "score_a", "score_b"}</c> or
/// <c>{"id", "verdict": "a"|"b"|"tie"}</c>, where a and b are the pair file's responses; other fields are ignored.
/// The RM's name is given, or is the result file's name without extension. An id the pair file does not have, an id
/// listed twice, a non-finite score or a bad verdict stops the merge with <c>FILE:LINE</c>; a pair that already has
/// a judgment by that RM is an error unless <paramref name="replace"/>.
/// </summary>
public sealed class JudgmentsImporter(string pairFile, string? rm = null, bool replace = false) : IPairImporter
{
    public string Format => "judgments";

    /// <summary>Merges one result file (source) into the pair file.</summary>
    public IEnumerable<PreferencePair> Import(string source, ImportReport report) =>
        Merge([(source, rm ?? RmNameOf(source))], report);

    /// <summary>The RM name taken from a result file's name: its name without extension.</summary>
    public static string RmNameOf(string resultFile) => Path.GetFileNameWithoutExtension(resultFile);

    /// <summary>Merges several result files, each with its RM name, into the pair file (streamed, in pair-file order).</summary>
    public IEnumerable<PreferencePair> Merge(IReadOnlyList<(string File, string Rm)> results, ImportReport report)
    {
        if (results.Count == 0) throw new ArgumentException("no result file to merge");
        var names = results.Select(x => x.Rm).ToList();
        foreach (var name in names)
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("an RM name is empty");
        var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new ArgumentException($"RM \"{twice.Key}\" is given by two result files; merge them one RM per file");

        var loaded = results.Select(x => (x.Rm, Records: Load(x.File))).ToList();
        return Stream(loaded, report);
    }

    private IEnumerable<PreferencePair> Stream(List<(string Rm, Dictionary<string, (Judgment Judgment, JsonRecord Where)> Records)> loaded, ImportReport report)
    {
        var used = loaded.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        int[] without = new int[loaded.Count];
        foreach (var pair in PairFile.Read(pairFile))
        {
            Dictionary<string, Judgment>? judgments = null;
            for (int k = 0; k < loaded.Count; k++)
            {
                var (name, records) = loaded[k];
                if (!records.TryGetValue(pair.Id, out var found)) { without[k]++; continue; }
                if (!replace && pair.Judgments.ContainsKey(name))
                    throw found.Where.Error($"pair \"{pair.Id}\" already has a judgment by RM \"{name}\" in {pairFile} (choose another RM name, or replace)");
                judgments ??= new Dictionary<string, Judgment>(pair.Judgments, StringComparer.Ordinal);
                judgments[name] = found.Judgment;
                used[k].Add(pair.Id);
            }
            yield return judgments == null ? pair : pair with { Judgments = judgments };
        }

        for (int k = 0; k < loaded.Count; k++)
        {
            var unknown = loaded[k].Records.Where(kv => !used[k].Contains(kv.Key)).OrderBy(kv => kv.Value.Where.Line).ThenBy(kv => kv.Value.Where.Index).FirstOrDefault();
            if (unknown.Key != null)
                throw unknown.Value.Where.Error($"id \"{unknown.Key}\" is not in {pairFile}");
            report.Skip($"pairs without a judgment by {loaded[k].Rm} (no record in its result file)", without[k]);
            report.Note($"{loaded[k].Rm}: {loaded[k].Records.Count} judgments merged");
        }
    }

    /// <summary>Reads a result file: id -> judgment, with where each record stands.</summary>
    private static Dictionary<string, (Judgment, JsonRecord)> Load(string file)
    {
        var records = new Dictionary<string, (Judgment, JsonRecord)>(StringComparer.Ordinal);
        foreach (var r in JsonRecords.Read(file))
        {
            var id = r.String("id");
            if (!records.TryAdd(id, (ParseJudgment(r), r))) throw r.Error($"duplicate id \"{id}\"");
        }
        if (records.Count == 0) throw new PairFileException(file, 0, "no records");
        return records;
    }

    private static Judgment ParseJudgment(JsonRecord r)
    {
        bool hasVerdict = r.Has("verdict"), hasA = r.Has("score_a"), hasB = r.Has("score_b");
        if (hasVerdict && (hasA || hasB)) throw r.Error("has both a verdict and scores");
        if (hasVerdict)
        {
            var v = r.Value.GetProperty("verdict");
            if (v.ValueKind != JsonValueKind.String || !PreferenceText.TryParse(v.GetString(), out var p))
                throw r.Error($"\"verdict\" must be \"a\", \"b\" or \"tie\", got {JsonRecord.Short(v)}");
            return Judgment.FromVerdict(p);
        }
        if (!hasA || !hasB) throw r.Error("needs \"score_a\" and \"score_b\", or \"verdict\"");
        return Judgment.FromScores(Score(r, "score_a"), Score(r, "score_b"));
    }

    private static double Score(JsonRecord r, string field)
    {
        var e = r.Value.GetProperty(field);
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var x) || !double.IsFinite(x))
            throw r.Error($"\"{field}\" must be a finite number, got {JsonRecord.Short(e)}");
        return x;
    }
}
