using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using BayesianRouter.IO;
using Microsoft.Data.Sqlite;
using Parquet.Serialization;

namespace BayesianRouter.Service.Export;

/// <summary>
/// One decision of a decision log as <c>bayesrouter export decisions</c> writes it (docs/integrations.md, "Decision
/// export"): what was decided for which pair or group, with what probability, at what cost, the feedback it got, and when.
/// </summary>
public sealed class ExportedDecision
{
    /// <summary>The decision's id (<c>{instance}-{sequence}</c>), what feedback names.</summary>
    [JsonPropertyName("decision_id")]
    public string DecisionId { get; set; } = "";
    [JsonPropertyName("sequence")]
    public long Sequence { get; set; }
    /// <summary>The caller's pair id; a group decision's is its group.</summary>
    [JsonPropertyName("pair_id")]
    public string PairId { get; set; } = "";
    [JsonPropertyName("group")]
    public string? Group { get; set; }
    [JsonPropertyName("domain")]
    public string? Domain { get; set; }
    /// <summary>The RM the router chose.</summary>
    [JsonPropertyName("rm")]
    public string Rm { get; set; } = "";
    /// <summary>The RM that labelled the pair or scored the group (a fallback after a failure); null when none could.</summary>
    [JsonPropertyName("labelled_by")]
    public string? LabelledBy { get; set; }
    /// <summary>The probability the router had of choosing <see cref="Rm"/> (for off-policy evaluation).</summary>
    [JsonPropertyName("propensity")]
    public double Propensity { get; set; }
    /// <summary>The cost of the RMs called for the decision: the labelling RM and every RM that failed before it, at the pool file's cost per call (1 without <c>--pool</c>).</summary>
    [JsonPropertyName("cost")]
    public double Cost { get; set; }
    /// <summary>The RMs that failed before the labelling one, comma-separated.</summary>
    [JsonPropertyName("fallback_from")]
    public string? FallbackFrom { get; set; }
    [JsonPropertyName("error")]
    public string? Error { get; set; }
    /// <summary>The label: a, b or tie (a group decision's: its first pair's).</summary>
    [JsonPropertyName("label")]
    public string? Label { get; set; }
    [JsonPropertyName("score_a")]
    public double? ScoreA { get; set; }
    [JsonPropertyName("score_b")]
    public double? ScoreB { get; set; }
    /// <summary>When the decision was committed (UTC, ISO 8601 with milliseconds).</summary>
    [JsonPropertyName("decided_at")]
    public string DecidedAt { get; set; } = "";
    /// <summary>loss or reward; null without feedback.</summary>
    [JsonPropertyName("feedback_kind")]
    public string? FeedbackKind { get; set; }
    /// <summary>What the caller sent (a DPO loss or a reward; an audit's rank agreement).</summary>
    [JsonPropertyName("feedback_value")]
    public double? FeedbackValue { get; set; }
    /// <summary>The shaped reward the router learned from.</summary>
    [JsonPropertyName("feedback_reward")]
    public double? FeedbackReward { get; set; }
    [JsonPropertyName("feedback_batch")]
    public long? FeedbackBatch { get; set; }
    [JsonPropertyName("feedback_at")]
    public string? FeedbackAt { get; set; }
}

/// <summary>
/// Reads every decision of a <c>--state</c> folder's log (read-only, in sequence order) and writes them as JSON Lines
/// or Parquet (Parquet.Net), atomically: a temporary file renamed into place, so a reader never sees half a file.
/// </summary>
public static class DecisionExport
{
    /// <summary>The output formats.</summary>
    public enum Format
    {
        JsonLines,
        Parquet,
    }

    /// <summary>The format a file name asks for: <c>.parquet</c> is Parquet, anything else JSON Lines.</summary>
    public static Format FormatOf(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? Format.Parquet : Format.JsonLines;

    /// <summary>
    /// Every decision of the log under <paramref name="stateDirectory"/>, in sequence order. <paramref name="costs"/>:
    /// the cost of one call per RM name (null: 1 each).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no decision log.</exception>
    public static IReadOnlyList<ExportedDecision> Read(string stateDirectory, IReadOnlyDictionary<string, double>? costs = null)
    {
        using var store = SqliteDecisionStore.OpenExisting(stateDirectory);
        var pool = store.Pool;
        string instance = store.InstanceId;
        var list = new List<ExportedDecision>();
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.Path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            SELECT d.seq, d.pair_id, d.grp, d.domain, d.chosen, d.probability, d.label_arm, d.label, d.score_a, d.score_b,
                   d.fallback_from, d.error, d.created_ms, f.kind, f.value, f.reward, f.batch, f.created_ms
            FROM decisions d LEFT JOIN feedback f ON f.seq = d.seq ORDER BY d.seq
            """;
        using var r = cmd.ExecuteReader();
        double Cost(string rm) => costs is null ? 1 : costs.TryGetValue(rm, out var c) ? c : 1;
        while (r.Read())
        {
            long seq = r.GetInt64(0);
            string? labelledBy = r.IsDBNull(6) ? null : pool[r.GetInt32(6)];
            var failed = r.IsDBNull(10) ? [] : JsonSerializer.Deserialize<string[][]>(r.GetString(10))!.Select(f => f[0]).ToArray();
            list.Add(new ExportedDecision
            {
                DecisionId = $"{instance}-{seq}",
                Sequence = seq,
                PairId = r.GetString(1),
                Group = r.IsDBNull(2) ? null : r.GetString(2),
                Domain = r.IsDBNull(3) ? null : r.GetString(3),
                Rm = pool[r.GetInt32(4)],
                LabelledBy = labelledBy,
                Propensity = r.GetDouble(5),
                Cost = failed.Sum(Cost) + (labelledBy is null ? 0 : Cost(labelledBy)),
                FallbackFrom = failed.Length == 0 ? null : string.Join(",", failed),
                Error = r.IsDBNull(11) ? null : r.GetString(11),
                Label = r.IsDBNull(7) ? null : r.GetString(7),
                ScoreA = r.IsDBNull(8) ? null : r.GetDouble(8),
                ScoreB = r.IsDBNull(9) ? null : r.GetDouble(9),
                DecidedAt = Time(r.GetInt64(12)),
                FeedbackKind = r.IsDBNull(13) ? null : r.GetString(13),
                FeedbackValue = r.IsDBNull(14) ? null : r.GetDouble(14),
                FeedbackReward = r.IsDBNull(15) ? null : r.GetDouble(15),
                FeedbackBatch = r.IsDBNull(16) ? null : r.GetInt64(16),
                FeedbackAt = r.IsDBNull(17) ? null : Time(r.GetInt64(17)),
            });
        }
        return list;
    }

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="decisions"/> to <paramref name="path"/> atomically in <paramref name="format"/>.</summary>
    public static void Write(IReadOnlyList<ExportedDecision> decisions, string path, Format format)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        if (format == Format.Parquet)
        {
            AtomicFile.Write(path, s => ParquetSerializer.SerializeAsync(decisions, s).GetAwaiter().GetResult());
            return;
        }
        var options = new JsonSerializerOptions();
        AtomicFile.WriteText(path, w =>
        {
            foreach (var d in decisions) w.WriteLine(JsonSerializer.Serialize(d, options));
        });
    }
}
