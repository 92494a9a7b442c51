using System.Text;
using System.Text.Json;

namespace BayesianRouter.Evaluation;

/// <summary>
/// A <see cref="PairStatisticsReport"/> as one line of JSON (docs/pair-file.md, "data stats"): at least
/// <c>{"pairs", "groups", "rms": {rm: {"accuracy", "ties"}}, "pool": {"names", "best_single": {"name", "accuracy"},
/// "majority", "oracle"}}</c>; shares in [0, 1], null where no pair has a ground truth. "ties" is the tie rate.
/// </summary>
public static class PairStatisticsJson
{
    public static string Format(PairStatisticsReport s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("pairs", s.Pairs);
            w.WriteNumber("groups", s.Groups);
            w.WriteNumber("labelled", s.Labelled);
            w.WriteNumber("preferred_b", s.PreferredB);
            w.WriteNumber("domains", s.Domains);

            w.WriteStartObject("rms");
            foreach (var rm in s.Rms)
            {
                w.WriteStartObject(rm.Name);
                Number(w, "accuracy", rm.Accuracy);
                Number(w, "ties", rm.TieRate);
                w.WriteNumber("right", rm.Right);
                w.WriteNumber("tie_count", rm.Ties);
                w.WriteNumber("judged", rm.Judged);
                w.WriteNumber("missing", rm.Missing);
                w.WriteEndObject();
            }
            w.WriteEndObject();

            var p = s.Pool;
            w.WriteStartObject("pool");
            w.WriteStartArray("names");
            foreach (var n in p.Names) w.WriteStringValue(n);
            w.WriteEndArray();
            w.WriteStartObject("best_single");
            w.WriteString("name", p.BestSingle);
            Number(w, "accuracy", p.BestSingleAccuracy);
            w.WriteEndObject();
            Number(w, "majority", p.Majority);
            Number(w, "majority_abstain", p.MajorityAbstain);
            Number(w, "oracle", p.Oracle);
            Number(w, "best_per_domain", p.BestPerDomain);
            Number(w, "best_per_group", p.BestPerGroup);
            w.WriteStartObject("disagreement");
            for (int a = 0; a < p.Names.Count; a++)
            {
                w.WriteStartObject(p.Names[a]);
                for (int b = 0; b < p.Names.Count; b++)
                    if (a != b) w.WriteNumber(p.Names[b], p.Disagreement[a][b]);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("by_domain");
            foreach (var d in s.ByDomain)
            {
                w.WriteStartObject(d.Domain);
                w.WriteNumber("pairs", d.Pairs);
                w.WriteStartObject("accuracy");
                foreach (var (rm, a) in d.Accuracy) w.WriteNumber(rm, a);
                w.WriteEndObject();
                w.WriteNumber("majority", d.Majority);
                w.WriteNumber("oracle", d.Oracle);
                w.WriteStartObject("best");
                w.WriteString("name", d.Best);
                w.WriteNumber("accuracy", d.BestAccuracy);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
