using System.Text;
using System.Text.Json;

namespace BayesianRouter.Evaluation;

/// <summary>
/// The machine-readable form of a <see cref="RoutingReport"/>, one JSON object on one line:
/// <c>{"filtered": {"router": a, ..., "majority": a, "random": a, "oracle": a, "single": {"&lt;rm&gt;": a}, "pairs": n,
/// "domains": {...}}, "unfiltered": {...}, "pairs_filtered": n, "pairs": n}</c>. Router names are keys beside
/// "majority"; an accuracy with no pairs behind it is null.
/// </summary>
public static class RoutingReportJson
{
    public static string Format(RoutingReport report, IReadOnlyDictionary<string, string>? extra = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WritePropertyName("filtered");
            WriteTable(w, report.Filtered);
            w.WritePropertyName("unfiltered");
            WriteTable(w, report.Unfiltered);
            w.WriteNumber("pairs_filtered", report.PairsFiltered);
            w.WriteNumber("pairs", report.Pairs);
            w.WriteStartArray("pool");
            foreach (var rm in report.Pool) w.WriteStringValue(rm);
            w.WriteEndArray();
            if (extra != null)
                foreach (var (k, v) in extra) w.WriteString(k, v);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteTable(Utf8JsonWriter w, RoutingTable t)
    {
        w.WriteStartObject();
        WriteScoresBody(w, t.All);
        w.WriteStartObject("domains");
        foreach (var (domain, s) in t.ByDomain)
        {
            w.WriteStartObject(domain);
            WriteScoresBody(w, s);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteScoresBody(Utf8JsonWriter w, RoutingScores s)
    {
        foreach (var (name, a) in s.Routers) Number(w, name, a);
        Number(w, "majority", s.Majority);
        Number(w, "random", s.Random);
        Number(w, "oracle", s.Oracle);
        w.WriteStartObject("single");
        foreach (var (rm, a) in s.Single) Number(w, rm, a);
        w.WriteEndObject();
        w.WriteNumber("pairs", s.Pairs);
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 6));
        else w.WriteNull(name);
    }
}
