using System.Text.Json;
using BayesianRouter.Data;

namespace BayesianRouter.Service.Rewards;

/// <summary>
/// A reward request in OpenRLHF's shape: <c>{"query": [str], "prompts": [str], "labels"?: [any], "group_ids"?: [str]}</c>,
/// one entry per query. Each query is the prompt as the model saw it followed by the response; the response is the text
/// after the prompt (the query must start with the prompt, or contain it). The queries of one group share a group key:
/// <c>group_ids[i]</c> when given, else a hash of <c>prompts[i]</c> (as in a pair file). <c>labels</c> (OpenRLHF sends
/// the dataset's answers) are accepted and not read.
/// </summary>
internal sealed record RewardRequest(IReadOnlyList<string> Prompts, IReadOnlyList<string> Responses, IReadOnlyList<string> GroupKeys)
{
    private static readonly string[] Fields = ["query", "prompts", "labels", "group_ids"];

    public int Count => Responses.Count;

    /// <summary>Parses a request strictly; a bad field is a <see cref="RequestFieldException"/> naming it.</summary>
    public static RewardRequest Parse(JsonElement root, int maxQueries)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new RequestFieldException("$", $"must be an object {{\"query\", \"prompts\"}}, got {root.ValueKind.ToString().ToLowerInvariant()}");
        foreach (var p in root.EnumerateObject())
            if (!Fields.Contains(p.Name, StringComparer.Ordinal)) throw new RequestFieldException(p.Name, $"unknown field (known: {string.Join(", ", Fields)})");
        var queries = Strings(root, "query", maxQueries, required: true)!;
        var prompts = Strings(root, "prompts", maxQueries, required: true,
            missing: "is missing: the endpoint needs the prompt of each query (to group the queries and to split off the response)")!;
        if (prompts.Count != queries.Count) throw new RequestFieldException("prompts", $"has {prompts.Count} entries for {queries.Count} queries");
        var groupIds = Strings(root, "group_ids", maxQueries, required: false);
        if (groupIds != null && groupIds.Count != queries.Count) throw new RequestFieldException("group_ids", $"has {groupIds.Count} entries for {queries.Count} queries");
        if (root.TryGetProperty("labels", out var labels) && labels.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
            throw new RequestFieldException("labels", "must be a list (one label per query) or null");
        var responses = new string[queries.Count];
        var keys = new string[queries.Count];
        for (int i = 0; i < queries.Count; i++)
        {
            string q = queries[i], prompt = prompts[i];
            if (prompt.Length == 0) throw new RequestFieldException($"prompts[{i}]", "is empty");
            if (q.StartsWith(prompt, StringComparison.Ordinal)) responses[i] = q[prompt.Length..];
            else if (q.LastIndexOf(prompt, StringComparison.Ordinal) is var at and >= 0) responses[i] = q[(at + prompt.Length)..];
            else throw new RequestFieldException($"query[{i}]", "does not contain prompts[" + i + "]: a query is the prompt as the model saw it followed by the response");
            if (groupIds != null && groupIds[i].Length == 0) throw new RequestFieldException($"group_ids[{i}]", "is empty");
            keys[i] = groupIds?[i] ?? PreferencePair.GroupOf(prompt);
        }
        return new RewardRequest(prompts, responses, keys);
    }

    private static List<string>? Strings(JsonElement root, string name, int max, bool required, string? missing = null)
    {
        if (!root.TryGetProperty(name, out var a) || a.ValueKind == JsonValueKind.Null)
            return required ? throw new RequestFieldException(name, missing ?? "is missing") : null;
        if (a.ValueKind != JsonValueKind.Array) throw new RequestFieldException(name, $"must be a list of strings, got {a.ValueKind.ToString().ToLowerInvariant()}");
        int n = a.GetArrayLength();
        if (n > max) throw new BatchTooLargeException(name, n, max);
        if (required && n == 0) throw new RequestFieldException(name, "is empty");
        var list = new List<string>(n);
        int i = 0;
        foreach (var e in a.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw new RequestFieldException($"{name}[{i}]", $"must be a string, got {e.ValueKind.ToString().ToLowerInvariant()}");
            list.Add(e.GetString()!);
            i++;
        }
        return list;
    }
}
