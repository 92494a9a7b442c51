using System.Text.Json;
using System.Text.Json.Nodes;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// results.json of <c>bayesrouter align</c>, schema <c>bayesrouter.align/1</c>: <c>task</c>, <c>seeds</c>, <c>steps</c>,
/// <c>initial_accuracy</c> and <c>methods</c>, a list of <c>{name, policy_accuracy_mean, policy_accuracy_std,
/// policy_accuracy_per_seed, policy_accuracy_per_domain, label_accuracy, rm_calls_per_pair, share}</c>; beside them
/// (additions that readers of the schema may ignore): the pool, its per-domain accuracy on the start's pairs, the
/// start's per-domain accuracy, what the policies were scored on, and per method its kind, 95% interval, accuracy
/// over steps, routing share over steps and margin accuracy (how often a pair's DPO loss favoured the right label).
/// </summary>
public static class AlignJson
{
    public static JsonObject ToJson(AlignResult r)
    {
        var methods = new JsonArray();
        foreach (var m in r.Methods)
        {
            methods.Add(new JsonObject
            {
                ["name"] = m.Name,
                ["policy_accuracy_mean"] = Num(m.Accuracy.Mean),
                ["policy_accuracy_std"] = Num(m.Accuracy.Std),
                ["policy_accuracy_per_seed"] = new JsonArray(m.AccuracyPerSeed.Select(v => (JsonNode?)Num(v)).ToArray()),
                ["policy_accuracy_per_domain"] = Obj(m.AccuracyPerDomain),
                ["label_accuracy"] = Num(m.LabelAccuracy),
                ["rm_calls_per_pair"] = Num(m.RmCallsPerPair),
                ["share"] = Obj(m.Share),
                ["kind"] = m.Kind.ToString().ToLowerInvariant(),
                ["policy_accuracy_ci95"] = new JsonArray(Num(m.Accuracy.CiLow), Num(m.Accuracy.CiHigh)),
                ["accuracy_over_steps"] = new JsonArray(m.AccuracyOverSteps.Select(x => (JsonNode?)new JsonObject { ["step"] = x.Step, ["accuracy"] = Num(x.Accuracy) }).ToArray()),
                ["share_over_steps"] = new JsonArray(m.ShareOverSteps.Select(w => (JsonNode?)new JsonArray(w.Select(v => (JsonNode?)Num(v)).ToArray())).ToArray()),
                ["seconds_per_run"] = Num(m.SecondsPerRun),
                ["margin_accuracy"] = Num(m.MarginAccuracy),
            });
        }
        return new JsonObject
        {
            ["schema"] = AlignResult.Schema,
            ["task"] = r.Task,
            ["seeds"] = new JsonArray(r.Seeds.Select(s => (JsonNode?)s).ToArray()),
            ["steps"] = r.Steps,
            ["initial_accuracy"] = Num(r.Initial.Accuracy),
            ["methods"] = methods,
            ["initial_accuracy_per_domain"] = Obj(r.Initial.PerDomain),
            ["evaluated_on"] = r.EvaluatedOn,
            ["evaluation_prompts"] = r.EvaluationPrompts,
            ["pool"] = new JsonArray(r.Pool.Select(p => (JsonNode?)p).ToArray()),
            ["pool_accuracy_per_domain"] = new JsonObject(r.PoolAccuracy.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Obj(kv.Value)))),
            ["offline_pairs"] = r.OfflinePairs,
            ["info"] = Obj(r.Info),
        };
    }

    public static string Serialize(AlignResult r) => ToJson(r).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static JsonObject Obj(IReadOnlyDictionary<string, double> d) =>
        new(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Num(kv.Value))));

    private static JsonObject Obj(IReadOnlyDictionary<string, string> d) =>
        new(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
}
