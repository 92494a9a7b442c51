using System.Text.Json;
using System.Text.Json.Nodes;

namespace BayesianRouter.Simulation;

/// <summary>
/// results.json, schema "bayesrouter.simulation/1" (documented in README, "Simulation outputs"). Field names are
/// stable; new fields may be added, none renamed.
/// </summary>
public static class SimulationJson
{
    public const string Schema = "bayesrouter.simulation/1";

    public static JsonObject ToJson(SimulationResult r)
    {
        var methods = new JsonArray();
        foreach (var m in r.Methods)
        {
            methods.Add(new JsonObject
            {
                ["name"] = m.Name,
                ["kind"] = m.Kind.ToString().ToLowerInvariant(),
                ["accuracy_mean"] = Round(m.Accuracy.Mean),
                ["accuracy_std"] = Round(m.Accuracy.Std),
                ["accuracy_ci95"] = m.Accuracy.HasInterval ? new JsonArray(Round(m.Accuracy.CiLow), Round(m.Accuracy.CiHigh)) : null,
                ["accuracy_per_seed"] = new JsonArray(m.AccuracyPerSeed.Select(a => (JsonNode?)Round(a)).ToArray()),
                ["weighted_accuracy"] = Round(m.WeightedAccuracy),
                ["rm_calls_per_pair"] = Round(m.RmCallsPerPair),
                ["cost_per_pair"] = Round(m.CostPerPair),
                ["share"] = Object(m.Share),
                ["stream_accuracy"] = new JsonArray(m.StreamAccuracy.Select(a => (JsonNode?)Round(a)).ToArray()),
                ["stream_share"] = new JsonArray(m.StreamShare.Select(w => (JsonNode?)new JsonArray(w.Select(s => (JsonNode?)Round(s)).ToArray())).ToArray()),
                ["domains"] = new JsonObject(m.Domains.Select(d => KeyValuePair.Create(d.Key,
                    (JsonNode?)new JsonObject { ["accuracy"] = Round(d.Value.Accuracy), ["pairs"] = d.Value.Pairs }))),
                ["paired_differences"] = new JsonObject(m.Differences.Select(d => KeyValuePair.Create(d.Reference, (JsonNode?)Difference(d)))),
            });
        }
        var best = r.BestSingle;
        return new JsonObject
        {
            ["schema"] = Schema,
            ["pool"] = new JsonArray(r.Pool.Select(p => (JsonNode)p).ToArray()),
            ["seeds"] = new JsonArray(r.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["feedback"] = r.Feedback,
            ["feedback_is_oracle"] = SimulationReport.IsOracleFeedback(r),
            ["split"] = r.Split,
            ["batch_size"] = r.BatchSize,
            ["batches"] = r.Batches,
            ["epochs_online"] = r.EpochsOnline,
            ["baseline_features"] = r.BaselineFeatures,
            ["online_model"] = r.OnlineModel,
            ["offline_router"] = new JsonObject(r.OfflineRouterInfo.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["offline_fraction"] = r.SeparateOfflinePairs ? null : r.OfflineFraction,
            ["pairs_online"] = r.PairsOnline,
            ["pairs_online_per_seed"] = new JsonArray(r.PairsOnlinePerSeed.Select(s => (JsonNode)s).ToArray()),
            ["pairs_offline_per_seed"] = new JsonArray(r.PairsOfflinePerSeed.Select(s => (JsonNode)s).ToArray()),
            ["pairs_without_truth"] = r.PairsWithoutTruth,
            ["stream_windows"] = r.Methods.Count > 0 ? r.Methods[0].StreamAccuracy.Count : 0,
            ["best_single"] = best.Name,
            ["methods"] = methods,
            ["budgets"] = new JsonArray(r.Budgets.Select(b => (JsonNode?)new JsonObject
            {
                ["budget"] = b.Budget,
                ["methods"] = new JsonArray(b.Methods.Select(m => (JsonNode?)new JsonObject
                {
                    ["name"] = m.Name,
                    ["accuracy_mean"] = Round(m.Accuracy.Mean),
                    ["accuracy_std"] = Round(m.Accuracy.Std),
                    ["cost_per_pair"] = Round(m.CostPerPair),
                    ["cost_per_pair_max"] = Round(m.CostPerSeed.DefaultIfEmpty(double.NaN).Max()),
                    ["accuracy_ci95"] = m.Accuracy.HasInterval ? new JsonArray(Round(m.Accuracy.CiLow), Round(m.Accuracy.CiHigh)) : null,
                    ["accuracy_per_seed"] = new JsonArray(m.AccuracyPerSeed.Select(a => (JsonNode?)Round(a)).ToArray()),
                    ["cost_per_seed"] = new JsonArray(m.CostPerSeed.Select(a => (JsonNode?)Round(a)).ToArray()),
                    ["share"] = Object(m.Share),
                }).ToArray()),
            }).ToArray()),
        };
    }

    public static string Serialize(SimulationResult r) =>
        ToJson(r).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>{"method", "mean", "ci95": [lo, hi] or null with one seed, "seeds_higher", "seeds"}.</summary>
    private static JsonObject Difference(PairedDifference d) => new()
    {
        ["method"] = d.ReferenceMethod,
        ["mean"] = Round(d.Difference.Mean),
        ["ci95"] = d.Difference.HasInterval ? new JsonArray(Round(d.Difference.CiLow), Round(d.Difference.CiHigh)) : null,
        ["seeds_higher"] = d.SeedsHigher,
        ["seeds"] = d.Difference.N,
    };

    private static JsonObject Object(IReadOnlyDictionary<string, double> d) =>
        new(d.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Round(kv.Value))));

    private static JsonNode? Round(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;
}
