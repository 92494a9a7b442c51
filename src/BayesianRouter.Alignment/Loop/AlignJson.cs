using System.Text.Json;
using System.Text.Json.Nodes;
using BayesianRouter.Evaluation;
using BayesianRouter.Simulation;

namespace BayesianRouter.Alignment.Loop;

/// <summary>
/// results.json of <c>bayesrouter align</c>, schema <c>bayesrouter.align/1</c>: <c>task</c>, <c>seeds</c>, <c>steps</c>,
/// <c>initial_accuracy</c> and <c>methods</c>, a list of <c>{name, policy_accuracy_mean, policy_accuracy_std,
/// policy_accuracy_per_seed (in the order of seeds, the same seeds for every method), policy_accuracy_per_domain,
/// label_accuracy, rm_calls_per_pair, share}</c>; beside them (additions that readers of the schema may ignore): the
/// scenario, the feedback protocol, the hashes of the evaluation (test) set and of the configuration, the pool and its
/// per-domain statistics on the start's pairs (each RM, majority vote, some RM right), the offline router's routing
/// accuracy on validation pairs per seed, the start's per-domain accuracy, and per method its kind, 95% interval, the
/// paired difference to the bayesian-router with its 95% interval, accuracy over steps (validation), each RM's routing
/// share and true accuracy on the method's own pairs over steps, the share of answers ending with a period over steps,
/// margin accuracy, audited pairs, learning rate and beta.
/// </summary>
public static class AlignJson
{
    public static JsonObject ToJson(AlignResult r)
    {
        var methods = new JsonArray();
        foreach (var m in r.Methods)
        {
            var o = new JsonObject
            {
                ["name"] = m.Name,
                ["policy_accuracy_mean"] = Num(m.Accuracy.Mean),
                ["policy_accuracy_std"] = Num(m.Accuracy.Std),
                ["policy_accuracy_per_seed"] = Array(m.AccuracyPerSeed),
                ["policy_accuracy_per_domain"] = Obj(m.AccuracyPerDomain),
                ["label_accuracy"] = Num(m.LabelAccuracy),
                ["rm_calls_per_pair"] = Num(m.RmCallsPerPair),
                ["share"] = Obj(m.Share),
                ["kind"] = m.Kind.ToString().ToLowerInvariant(),
                ["policy_accuracy_ci95"] = new JsonArray(Num(m.Accuracy.CiLow), Num(m.Accuracy.CiHigh)),
                ["accuracy_over_steps"] = new JsonArray(m.AccuracyOverSteps.Select(x => (JsonNode?)new JsonObject { ["step"] = x.Step, ["accuracy"] = Num(x.Accuracy) }).ToArray()),
                ["share_over_steps"] = Matrix(m.ShareOverSteps),
                ["rm_accuracy_over_steps"] = Matrix(m.RmAccuracyOverSteps),
                ["period_share_over_steps"] = Array(m.PeriodShareOverSteps),
                ["seconds_per_run"] = Num(m.SecondsPerRun),
                ["margin_accuracy"] = Num(m.MarginAccuracy),
                ["audited_pairs"] = m.AuditedPairs,
                ["learning_rate"] = Num(m.LearningRate),
                ["beta"] = Num(m.Beta),
            };
            if (m.PairedToMain is { } p)
                o["paired_difference_to_bayesian_router"] = new JsonObject
                {
                    ["mean"] = Num(p.Difference.Mean),
                    ["std"] = Num(p.Difference.Std),
                    ["ci95"] = new JsonArray(Num(p.Difference.CiLow), Num(p.Difference.CiHigh)),
                    ["higher_in_seeds"] = p.Higher,
                    ["lower_in_seeds"] = p.Lower,
                };
            methods.Add(o);
        }
        return new JsonObject
        {
            ["schema"] = AlignResult.Schema,
            ["task"] = r.Task,
            ["seeds"] = new JsonArray(r.Seeds.Select(s => (JsonNode?)s).ToArray()),
            ["steps"] = r.Steps,
            ["initial_accuracy"] = Num(r.Initial.Accuracy),
            ["methods"] = methods,
            ["scenario"] = r.Scenario,
            ["feedback"] = r.Feedback,
            ["test_set_hash"] = r.EvaluatedOn == "test" ? r.EvaluationHash : null,
            ["evaluation_set_hash"] = r.EvaluationHash,
            ["config_hash"] = r.ConfigHash,
            ["initial_accuracy_per_domain"] = Obj(r.Initial.PerDomain),
            ["initial_validation_accuracy"] = Num(r.InitialMonitor.Accuracy),
            ["evaluated_on"] = r.EvaluatedOn,
            ["evaluation_prompts"] = r.EvaluationPrompts,
            ["pool"] = new JsonArray(r.Pool.Select(p => (JsonNode?)p).ToArray()),
            ["pool_statistics"] = PoolJson(r.PoolStatistics, r.Pool),
            ["pool_accuracy_per_domain"] = new JsonObject(r.Pool.Select(rm => new KeyValuePair<string, JsonNode?>(rm,
                new JsonObject(r.PoolStatistics.ByDomain.Select(d => new KeyValuePair<string, JsonNode?>(d.Domain, Num(d.Accuracy.GetValueOrDefault(rm, double.NaN)))))))),
            ["offline_pairs"] = r.OfflinePairs,
            ["offline_router_validation_routing_accuracy_per_seed"] = Array(r.ValidationRoutingAccuracy),
            ["info"] = Obj(r.Info),
        };
    }

    /// <summary>Per domain: pairs, each RM's accuracy, majority vote, some RM right; and the same over all pairs.</summary>
    private static JsonObject PoolJson(PairStatisticsReport s, IReadOnlyList<string> pool)
    {
        var byDomain = new JsonObject();
        foreach (var d in s.ByDomain)
            byDomain[d.Domain] = new JsonObject
            {
                ["pairs"] = d.Pairs,
                ["rm_accuracy"] = Obj(d.Accuracy),
                ["majority"] = Num(d.Majority),
                ["some_rm_right"] = Num(d.Oracle),
            };
        return new JsonObject
        {
            ["pairs"] = s.Labelled,
            ["rm_accuracy"] = new JsonObject(s.Rms.Where(x => pool.Contains(x.Name)).Select(x => new KeyValuePair<string, JsonNode?>(x.Name, Num(x.Accuracy ?? double.NaN)))),
            ["majority"] = Num(s.Pool.Majority ?? double.NaN),
            ["some_rm_right"] = Num(s.Pool.Oracle ?? double.NaN),
            ["by_domain"] = byDomain,
        };
    }

    public static string Serialize(AlignResult r) => ToJson(r).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;

    private static JsonArray Array(IReadOnlyList<double> values) => new(values.Select(v => (JsonNode?)Num(v)).ToArray());

    private static JsonArray Matrix(IReadOnlyList<IReadOnlyList<double>> rows) => new(rows.Select(w => (JsonNode?)Array(w)).ToArray());

    private static JsonObject Obj(IReadOnlyDictionary<string, double> d) =>
        new(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Num(kv.Value))));

    private static JsonObject Obj(IReadOnlyDictionary<string, string> d) =>
        new(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
}
