using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using BayesianRouter.Alignment.Loop;
using BayesianRouter.Alignment.Tasks;

namespace BayesianRouter.Cli.Commands;

/// <summary><c>bayesrouter bench align</c>: DPO steps per second and generated tokens per second of the default policy.</summary>
public static class BenchAlignCommand
{
    public static Command Create(CliIO io)
    {
        var steps = new Option<int>("--steps") { Description = "Loop steps to time (each: sample with and without the KV cache, form pairs, one DPO step on ground-truth labels).", DefaultValueFactory = _ => 30 };
        var policyCache = new Option<string?>("--policy-cache") { Description = "Folder of cached supervised starts (default: $BAYESROUTER_POLICY_CACHE, else ~/.cache/bayesrouter/policies); the start is trained and cached when missing." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object on the last line." };
        var cmd = new Command("align", "Speed of the DPO loop for the default policy of `align`: generated tokens per second (KV cache, and the ratio to generation without it), DPO steps per second, loop steps per second, and resident memory along the steps (it must stay flat). One libtorch thread.");
        foreach (var o in new Option[] { steps, policyCache, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(steps);
            if (n < 2) throw new CliUsageException($"--steps {n}: need at least 2");
            var options = new AlignOptions();
            var start = new SupervisedStartOptions();
            var log = new SyncProgress<string>(m => io.Err.WriteLine($"[bench align] {m}"));
            using var policy = SupervisedStart.LoadOrBuild(parse.GetValue(policyCache) ?? SupervisedStart.DefaultCacheRoot(), start, new TaskSplit(seed: start.Seed), log, out _);
            string load = ProcessStats.LoadAverage();
            var r = AlignBenchmark.Run(policy, options, n, ProcessStats.RssMegabytes);
            var inv = CultureInfo.InvariantCulture;
            io.Out.WriteLine($"policy: {policy.Model.Config} ({policy.Model.ParameterCount:N0} parameters), LoRA r {options.Lora.Rank} on {string.Join(",", options.Lora.TargetModules)}; one libtorch thread; load average {load}");
            io.Out.WriteLine(string.Create(inv, $"generated tokens/s (KV cache, batch {r.SequencesPerStep}): {r.GeneratedTokensPerSecond:F0}; without the cache: {r.GeneratedTokensPerSecondNoCache:F0} (cache speed-up x{r.GeneratedTokensPerSecond / r.GeneratedTokensPerSecondNoCache:F2})"));
            io.Out.WriteLine(string.Create(inv, $"DPO steps/s: {r.DpoStepsPerSecond:F1} ({r.PairsPerDpoStep:F1} pairs per step); whole loop steps/s (sampling, pairs, DPO): {r.LoopStepsPerSecond:F1}"));
            io.Out.WriteLine(string.Create(inv, $"resident memory (MB) after step 1 / {n / 2} / {n}: {r.RssMegabytesAlongSteps[0]:F0} / {r.RssMegabytesAlongSteps[n / 2 - 1]:F0} / {r.RssMegabytesAlongSteps[^1]:F0}"));
            // what the default `align` run costs at this speed: every default method on every default seed, side by side
            int runs = options.Seeds.Count * AlignMethods.DefaultNames(TaskRewardModels.Pool().Select(x => x.Name).ToArray(), options.OnlineModel).Count;
            double perRun = r.SecondsPerRun(options, new TaskSplit(seed: start.Seed));
            double projected = runs * perRun / options.Parallelism;
            io.Out.WriteLine(string.Create(inv, $"greedy scoring: {r.EvaluationSeconds:F2} s per 1,000 prompts; one default run ({options.Steps} steps, {options.EvaluationSteps().Length} validation scorings and the test scoring): about {perRun:F1} s; the default `align` ({runs} runs, {options.Parallelism} side by side): about {projected / 60:F1} min at this speed (plus the start, the behaviour recording and the offline routers)"));
            if (parse.GetValue(json))
                io.Out.WriteLine(new JsonObject
                {
                    ["steps"] = r.Steps, ["generated_tokens_per_second"] = r.GeneratedTokensPerSecond, ["generated_tokens_per_second_no_cache"] = r.GeneratedTokensPerSecondNoCache,
                    ["dpo_steps_per_second"] = r.DpoStepsPerSecond, ["pairs_per_dpo_step"] = r.PairsPerDpoStep, ["loop_steps_per_second"] = r.LoopStepsPerSecond,
                    ["rss_mb"] = new JsonArray(r.RssMegabytesAlongSteps.Select(x => (JsonNode?)x).ToArray()), ["load_average"] = load,
                    ["evaluation_seconds_per_1000_prompts"] = r.EvaluationSeconds, ["projected_default_run_minutes"] = projected / 60,
                }.ToJsonString());
            return 0;
        });
        return cmd;
    }
}
