using System.Text.Json.Nodes;
using BayesianRouter.Data;
using BayesianRouter.TestSupport;

namespace BayesianRouter.Cli.Tests;

/// <summary><c>bayesrouter label</c> (resumable after a crash) and <c>bayesrouter ope</c> on real RM servers.</summary>
public class LabelAndOpeCommandTests : DataTempFolderTest
{
    private static string[] LabelArgs(string pool, string pairs, string output, string cache, params string[] more) =>
        ["label", "--pool", pool, "--pairs", pairs, "--out", output, "--encoder-cache", cache, "--batch-size", "16", "--seed", "2", "--feedback", "truth", "--explore", "0.2", .. more];

    /// <summary>The output without the decision ids (they carry the state's instance id).</summary>
    private static string[] Comparable(string file) => PairFile.ReadAll(file)
        .Select(p => PairFile.Format(p with { Routing = p.Routing! with { DecisionId = "-" } })).ToArray();

    [Fact]
    public async Task Label_resumes_after_a_kill_and_gives_the_output_of_an_uninterrupted_run()
    {
        var pairs = RecordedRmFarm.MakePairs(128, seed: 8);
        await using var farm = await RecordedRmFarm.StartAsync(pairs, latencyMs: 40);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        var cache = Path.Combine(dir, "cache");

        var interrupted = Path.Combine(dir, "interrupted.jsonl");
        await using (var run = CliProcess.Start(LabelArgs(pool, input, interrupted, cache)))
        {
            // Kill once at least two batches are committed (the progress lines come after each commit).
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (run.Output.Split('\n').Count(l => l.StartsWith("[label] ", StringComparison.Ordinal) && l.Contains("pairs/s")) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, run.Output);
                await Task.Delay(20);
            }
            await run.KillAsync();
        }
        Assert.False(File.Exists(interrupted), "no output before every pair is decided");
        var resumed = await CliRunner.RunAsync(LabelArgs(pool, input, interrupted, cache));
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Matches("resuming: (3[2-9]|[4-9][0-9]|1[01][0-9]) of 128 pairs already decided", resumed.Err);

        var straight = Path.Combine(dir, "straight.jsonl");
        var uninterrupted = await CliRunner.RunAsync(LabelArgs(pool, input, straight, cache));
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Err);
        Assert.Equal(Comparable(straight), Comparable(interrupted));

        // Resuming with a pair whose texts changed under the same id is refused, naming the pair; the output stays.
        var edited = Path.Combine(dir, "edited.jsonl");
        PairFile.Write(edited, pairs.Select((p, i) => i == 5 ? p with { ResponseA = p.ResponseA + " (edited)" } : p).ToList());
        var before = File.ReadAllText(straight);
        var changed = await CliRunner.RunAsync(LabelArgs(pool, edited, straight, cache));
        Assert.NotEqual(0, changed.ExitCode);
        Assert.Contains($"pair \"{pairs[5].Id}\" is not the pair the decision log", changed.Err);
        Assert.Equal(before, File.ReadAllText(straight));

        // The output: every pair once, the labelling RM's recorded judgment added, the decision fields filled.
        var output = PairFile.ReadAll(interrupted);
        Assert.Equal(pairs.Select(p => p.Id), output.Select(p => p.Id));
        foreach (var p in output)
        {
            var r = p.Routing!;
            Assert.Equal(p.Judgments[r.Rm!].Prefers(), r.Label);
            Assert.Equal(pairs.Single(x => x.Id == p.Id).Judgments[r.Rm!], p.Judgments[r.Rm!]);
            Assert.Equal(r.Chosen, r.Rm);
            Assert.InRange(r.Probability, 0.05, 1);
        }
        int right = output.Count(p => p.Routing!.Label == p.Preferred);
        Assert.Contains($"label accuracy against \"preferred\": {(double)right / 128:F4} ({right}/128)", uninterrupted.Out);

        // ope on the label run's log: one row per single RM, uniform, with intervals; JSON on the last line.
        var ope = await CliRunner.RunAsync("ope", "--state", straight + ".state", "--json");
        Assert.True(ope.ExitCode == 0, ope.Err);
        var json = JsonNode.Parse(ope.LastLine)!;
        Assert.Equal(128, (int)json["usable"]!);
        var policies = json["policies"]!.AsArray();
        Assert.Equal(["single:armo", "single:sky", "single:judge", "single:intern", "uniform"], policies.Select(p => (string)p!["policy"]!));
        foreach (var p in policies)
        {
            double lo = (double)p!["ips_ci95"]![0]!, hi = (double)p["ips_ci95"]![1]!, ips = (double)p["ips"]!;
            Assert.True(lo <= ips && ips <= hi && lo >= 0 && hi <= 1, p.ToJsonString());
        }
        Assert.Equal((double)right / 128, (double)json["logged_mean_reward"]!, 12);
        Assert.Contains("single:judge", ope.Out);
    }

    /// <summary>An offline router whose BT head puts "judge" far ahead of the others on every pair (through the constant feature), saved in <paramref name="dir"/>.</summary>
    private static string JudgeFavouringRouter(string dir)
    {
        string encoderId;
        using (var e = BayesianRouter.Encoding.CachedPairEmbedder.CreateMiniLm(new BayesianRouter.Encoding.EncoderOptions { MaxTokens = 128 }, useCache: false))
            encoderId = e.EncoderId;
        string[] rms = ["sky", "judge", "armo", "intern"];
        int d = 4, feat = d + 1, input2 = 2 * 384;
        var rng = new Random(1);
        var ebt = new double[rms.Length * feat];
        ebt[1 * feat + d] = 3.0;
        var router = new BayesianRouter.Offline.OfflineRouter(rms, encoderId, 384, 128, [], BayesianRouter.Offline.FusionActivation.Tanh, d,
            Enumerable.Range(0, d * input2).Select(_ => rng.NextDouble() * 0.02 - 0.01).ToArray(), new double[d], ebt, new double[rms.Length * feat]);
        var routerFile = Path.Combine(dir, "router.bin");
        router.Save(routerFile);
        return routerFile;
    }

    [Fact]
    public async Task With_an_offline_router_label_follows_its_prior_and_ope_evaluates_the_offline_router_alone()
    {
        var pairs = RecordedRmFarm.MakePairs(32, seed: 9);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        var routerFile = JudgeFavouringRouter(dir);
        var output = Path.Combine(dir, "out.jsonl");
        var label = await CliRunner.RunAsync(LabelArgs(pool, input, output, Path.Combine(dir, "cache"), "--router", routerFile));
        Assert.True(label.ExitCode == 0, label.Err);
        var routed = PairFile.ReadAll(output).Select(p => p.Routing!).ToArray();
        Assert.InRange(routed.Count(r => r.Chosen == "judge"), 22, 32); // the prior's choice, but for the 0.2 exploration
        Assert.All(routed.Where(r => r.Chosen != "judge"), r => Assert.InRange(r.Probability, 0.05, 0.06));
        Assert.True(File.Exists(Path.Combine(output + ".state", "router.bin")));

        var ope = await CliRunner.RunAsync("ope", "--state", output + ".state", "--json");
        Assert.True(ope.ExitCode == 0, ope.Err);
        var policies = JsonNode.Parse(ope.LastLine)!["policies"]!.AsArray().ToDictionary(p => (string)p!["policy"]!);
        Assert.Equal((double)policies["single:judge"]!["ips"]!, (double)policies["offline-only"]!["ips"]!, 12);

        var wrongPool = Path.Combine(dir, "pool3.json");
        farm.WritePoolFile(wrongPool, farm.Specs.Take(3).ToArray());
        var refused = await CliRunner.RunAsync(LabelArgs(wrongPool, input, Path.Combine(dir, "x.jsonl"), Path.Combine(dir, "cache"), "--router", routerFile));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("intern", refused.Err);
    }

    [Fact]
    public async Task The_pool_files_budget_limits_what_label_spends_on_the_expensive_judge()
    {
        var pairs = RecordedRmFarm.MakePairs(64, seed: 4);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        // the judge costs 20, the classifiers 1; the budget is 2 per pair
        farm.WritePoolFile(pool, farm.Specs.Select(s => s with { Cost = s.Name == "judge" ? 20 : 1 }).ToArray(), budget: 2);
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        // a prior that puts the judge far ahead on every pair: without a budget it would take nearly every pair
        var routerFile = JudgeFavouringRouter(dir);
        var output = Path.Combine(dir, "out.jsonl");
        var label = await CliRunner.RunAsync(LabelArgs(pool, input, output, Path.Combine(dir, "cache"), "--router", routerFile));
        Assert.True(label.ExitCode == 0, label.Err);
        var routed = PairFile.ReadAll(output).Select(p => p.Routing!).ToArray();
        double spend = 0;
        for (int t = 0; t < routed.Length; t++)
        {
            spend += routed[t].Chosen == "judge" ? 20 : 1;
            Assert.True(spend <= 2 * (t + 1), $"pair {t + 1}: spent {spend}");
        }
        int judged = routed.Count(r => r.Chosen == "judge");
        Assert.InRange(judged, 1, 64 / 19);
        Assert.Contains($"spend: {spend} over 64 pairs", label.Out);
        Assert.Contains("budget 2 per pair", label.Out);

        File.WriteAllText(pool, File.ReadAllText(pool).Replace("\"budget\":2", "\"budget\":0.5", StringComparison.Ordinal));
        var refused = await CliRunner.RunAsync(LabelArgs(pool, input, Path.Combine(dir, "x.jsonl"), Path.Combine(dir, "cache"), "--router", routerFile));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("budget: 0.5 is below the cheapest RM's cost", refused.Err);
    }

    [Fact]
    public async Task Without_exploration_ope_says_which_policies_it_cannot_estimate()
    {
        // A prior far ahead for the judge and no exploration floor: the other RMs are almost never chosen, so their
        // policies have no decision to estimate from ("no data", not an estimate of 0), and the warnings say why.
        var pairs = RecordedRmFarm.MakePairs(32, seed: 5);
        await using var farm = await RecordedRmFarm.StartAsync(pairs);
        var dir = NewFolder();
        var pool = Path.Combine(dir, "pool.json");
        farm.WritePoolFile(pool);
        var input = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(input, pairs);
        var output = Path.Combine(dir, "out.jsonl");
        var label = await CliRunner.RunAsync([.. LabelArgs(pool, input, output, Path.Combine(dir, "cache"), "--router", JudgeFavouringRouter(dir))
            .Select(a => a == "0.2" ? "0" : a)]);
        Assert.True(label.ExitCode == 0, label.Err);
        var routed = PairFile.ReadAll(output).Select(p => p.Routing!).ToArray();
        Assert.All(routed, r => Assert.Equal("judge", r.Chosen));

        var ope = await CliRunner.RunAsync("ope", "--state", output + ".state", "--json");
        Assert.True(ope.ExitCode == 0, ope.Err);
        var policies = JsonNode.Parse(ope.LastLine)!["policies"]!.AsArray().ToDictionary(p => (string)p!["policy"]!);
        foreach (var rm in new[] { "sky", "armo", "intern" })
        {
            Assert.False((bool)policies[$"single:{rm}"]!["has_data"]!);
            Assert.Null(policies[$"single:{rm}"]!["ips"]);
            Assert.Matches($@"single:{rm}\s*│\s*no data", ope.Out);
        }
        Assert.True((bool)policies["single:judge"]!["has_data"]!);
        // the live default keeps the offline router's pick until another RM is credibly better: with no exploration
        // floor every decision was certain, and ope says the log holds nothing about other policies
        Assert.Equal(32, (int)JsonNode.Parse(ope.LastLine)!["certain"]!);
        Assert.Contains("every usable decision was made with probability 1", ope.Err);
    }

    [Fact]
    public async Task Ope_explains_what_is_missing()
    {
        var missing = await CliRunner.RunAsync("ope", "--state", NewFolder());
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no decision log", missing.Err);
    }
}
