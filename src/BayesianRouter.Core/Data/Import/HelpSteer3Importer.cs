using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Imports HelpSteer3-Preference rows (JSON array or JSON Lines: <c>context</c> as chat turns, <c>response1</c>,
/// <c>response2</c>, <c>overall_preference</c> in -3..3, optional <c>domain</c>). A negative preference means
/// response1 is better, a positive one response2; 0 (no preference) rows are left out. Id
/// <c>helpsteer3/&lt;row&gt;</c> (the row's position in the file), group = hash of the rendered context.
/// </summary>
public sealed class HelpSteer3Importer(int seed) : IPairImporter
{
    public string Format => "helpsteer3";

    public IEnumerable<PreferencePair> Import(string source, ImportReport report)
    {
        var placement = new PairPlacement(seed);
        foreach (var r in JsonRecords.Read(source))
        {
            var pref = r.Field("overall_preference");
            if (pref.ValueKind != JsonValueKind.Number || !pref.TryGetInt32(out int overall) || overall is < -3 or > 3)
                throw r.Error($"\"overall_preference\" must be an integer from -3 to 3, got {JsonRecord.Short(pref)}");
            var prompt = ChatText.Render(r, "context", r.Field("context"));
            var response1 = r.String("response1");
            var response2 = r.String("response2");
            var domain = r.OptionalString("domain");
            if (overall == 0)
            {
                report.Skip("rows with overall_preference 0 (no preference)");
                continue;
            }
            var (chosen, rejected) = overall < 0 ? (response1, response2) : (response2, response1);
            yield return placement.Place($"{Format}/{r.Index}", PreferencePair.GroupOf(prompt), prompt, chosen, rejected, domain);
        }
    }
}
