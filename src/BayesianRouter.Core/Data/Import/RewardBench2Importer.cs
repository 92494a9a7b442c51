using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Imports the public RewardBench 2 export (JSON array or JSON Lines; rows with <c>id</c>, <c>prompt</c>,
/// <c>chosen</c> list, <c>rejected</c> list, <c>subset</c>): every chosen x rejected combination of a row becomes
/// one pair, id <c>rewardbench2/&lt;row id&gt;/&lt;c&gt;-&lt;r&gt;</c>, group <c>rewardbench2/&lt;row id&gt;</c>,
/// domain = subset. The Ties subset (several correct answers, scored differently by the benchmark) is left out.
/// </summary>
public sealed class RewardBench2Importer(int seed) : IPairImporter
{
    public const string TiesSubset = "Ties";

    public string Format => "rewardbench2";

    public IEnumerable<PreferencePair> Import(string source, ImportReport report)
    {
        var placement = new PairPlacement(seed);
        var rowIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in JsonRecords.Read(source))
        {
            var subset = r.String("subset");
            var rowId = RowId(r);
            if (!rowIds.Add(rowId)) throw r.Error($"duplicate row id \"{rowId}\"");
            if (subset == TiesSubset)
            {
                report.Skip("rows of the Ties subset");
                continue;
            }
            var prompt = ChatText.Render(r, "prompt", r.Field("prompt"));
            var chosen = Responses(r, "chosen");
            var rejected = Responses(r, "rejected");
            for (int c = 0; c < chosen.Count; c++)
                for (int k = 0; k < rejected.Count; k++)
                    yield return placement.Place($"{Format}/{rowId}/{c}-{k}", $"{Format}/{rowId}", prompt, chosen[c], rejected[k], subset);
        }
    }

    /// <summary>The row's <c>id</c> (string or number), or its position in the file when it has none.</summary>
    internal static string RowId(JsonRecord r)
    {
        if (!r.Has("id")) return r.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var id = r.Value.GetProperty("id");
        return id.ValueKind switch
        {
            JsonValueKind.String when id.GetString()!.Length > 0 => id.GetString()!,
            JsonValueKind.Number => id.GetRawText(),
            _ => throw r.Error($"field \"id\" must be a non-empty string or a number, got {JsonRecord.Short(id)}"),
        };
    }

    private static List<string> Responses(JsonRecord r, string field)
    {
        var e = r.Field(field);
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
            throw r.Error($"field \"{field}\" must be a non-empty list of responses");
        var list = new List<string>();
        int i = 0;
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.String) throw r.Error($"{field}[{i}] must be a string, got {JsonRecord.Short(x)}");
            list.Add(x.GetString()!);
            i++;
        }
        return list;
    }
}
