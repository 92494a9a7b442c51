using System.Text.Json;

namespace BayesianRouter.Data.Import;

/// <summary>
/// Imports generic Hugging Face preference rows (JSON array or JSON Lines) with <c>chosen</c> and <c>rejected</c>
/// as plain strings or chat-message lists, and <c>prompt</c> as a string or message list. Without a
/// <c>prompt</c>, chosen and rejected must be full conversations: their common leading messages are the prompt and
/// the rest is the response (the "implicit prompt" layout of Anthropic HH and TRL). Id
/// <c>&lt;prefix&gt;/&lt;row id or position&gt;</c> (prefix: the file name without extension unless given),
/// group = hash of the prompt, domain = the given one, else the row's <c>domain</c> or <c>subset</c> field.
/// </summary>
public sealed class HfPreferenceImporter(int seed, string? idPrefix = null, string? domain = null) : IPairImporter
{
    public string Format => "hf-preference";

    public IEnumerable<PreferencePair> Import(string source, ImportReport report)
    {
        var placement = new PairPlacement(seed);
        var prefix = idPrefix ?? Path.GetFileNameWithoutExtension(source);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in JsonRecords.Read(source))
        {
            var (prompt, chosen, rejected) = Split(r);
            var id = $"{prefix}/{RewardBench2Importer.RowId(r)}";
            if (!ids.Add(id)) throw r.Error($"duplicate row id \"{id}\"");
            var rowDomain = domain ?? r.OptionalString("domain") ?? r.OptionalString("subset");
            yield return placement.Place(id, PreferencePair.GroupOf(prompt), prompt, chosen, rejected, rowDomain);
        }
    }

    private static (string Prompt, string Chosen, string Rejected) Split(JsonRecord r)
    {
        var c = r.Field("chosen");
        var k = r.Field("rejected");
        if (c.ValueKind == JsonValueKind.Array && k.ValueKind == JsonValueKind.Array)
        {
            // Conversations: the leading messages both share are the prompt (UltraFeedback, HH); what follows is
            // the response. With a "prompt" field the shared messages repeat it and are dropped from the responses.
            var chosen = ChatText.Messages(r, "chosen", c);
            var rejected = ChatText.Messages(r, "rejected", k);
            int shared = 0;
            while (shared < chosen.Count - 1 && shared < rejected.Count - 1 && chosen[shared] == rejected[shared]) shared++;
            string prompt;
            if (r.Has("prompt")) prompt = ChatText.Render(r, "prompt", r.Field("prompt"));
            else if (shared > 0) prompt = ChatText.Render(r, "prompt", chosen[..shared]);
            else throw r.Error("missing field \"prompt\", and \"chosen\" and \"rejected\" share no leading prompt message");
            return (prompt, ChatText.Render(r, "chosen", chosen[shared..]), ChatText.Render(r, "rejected", rejected[shared..]));
        }
        if (!r.Has("prompt"))
            throw r.Error("missing field \"prompt\" (without it, \"chosen\" and \"rejected\" must be full conversations as message lists)");
        return (ChatText.Render(r, "prompt", r.Field("prompt")), ChatText.Render(r, "chosen", c), ChatText.Render(r, "rejected", k));
    }
}
