using System.Text.Json;
using BayesianRouter.Cli;
using BayesianRouter.Data;
using BayesianRouter.Offline;

namespace BayesianRouter.Training.Tests;

/// <summary>The <c>bayesrouter offline</c> commands, run in-process on a small pair file with real texts.</summary>
public sealed class OfflineCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("offline-cli-").FullName;
    private string PairsPath => Path.Combine(_dir, "pairs.jsonl");
    private string CacheDir => Path.Combine(_dir, "cache");

    private static readonly string[] Topics =
    [
        "Solve for x: 3x + 7 = 22.", "What is the area of a circle of radius 4?", "How many ways can 5 books be arranged on a shelf?",
        "Find the remainder when 2^20 is divided by 7.", "Simplify (x^2 - 9)/(x - 3).", "A triangle has sides 3, 4 and 5; find its area.",
        "How many subsets does a set of 6 elements have?", "What is the greatest common divisor of 84 and 126?",
        "Solve the system x + y = 10, x - y = 2.", "Find the volume of a cube with edge 3.",
    ];

    public OfflineCommandTests()
    {
        // Algebra-like prompts: rmA is right; the others: rmB is right; rmC is right on every third pair.
        var pairs = new List<PreferencePair>();
        for (int g = 0; g < Topics.Length; g++)
            for (int j = 0; j < 3; j++)
            {
                bool algebra = g % 2 == 0;
                pairs.Add(new PreferencePair
                {
                    Id = $"q{g}-{j}", Group = $"q{g}", Prompt = Topics[g], ResponseA = $"answer {j}", ResponseB = $"wrong answer {j}",
                    Preferred = Preference.A, Domain = algebra ? "algebra" : "other",
                    Judgments = new Dictionary<string, Judgment>
                    {
                        ["rmA"] = algebra ? Judgment.FromScores(2, 1) : Judgment.FromScores(1, 2),
                        ["rmB"] = algebra ? Judgment.FromScores(1, 2) : Judgment.FromScores(2, 1),
                        ["rmC"] = j == 0 ? Judgment.FromScores(2, 1) : Judgment.FromScores(1, 2),
                    },
                });
            }
        PairFile.Write(PairsPath, pairs);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = await BayesRouterCli.RunAsync(args, new CliIO(o, e, Interactive: false));
        return (code, o.ToString(), e.ToString());
    }

    private string[] TrainArgs(string router, params string[] extra) => TrainArgsWith(router, "5", extra);

    private string[] TrainArgsWith(string router, string epochs, params string[] extra) =>
    [
        "offline", "train", "--pairs", PairsPath, "--pool", "rmA,rmB,rmC", "--seed", "3", "--epochs", epochs, "--validation-fraction", "0",
        "--tune-epochs", "none", "--tune-embedding-scales", "none",
        "--encoder-cache", CacheDir, "--max-tokens", "64", "--out", router, .. extra,
    ];

    [Fact]
    public async Task By_default_a_router_its_validation_part_cannot_vouch_for_is_shrunk_to_the_best_single_RM()
    {
        var router = Path.Combine(_dir, "shrunk.bin");
        var train = await Run(TrainArgsWith(router, "150", "--use-domain", "--lr", "0.05"));
        Assert.True(train.Code == 0, train.Err);
        var loaded = OfflineRouter.Load(router);
        Assert.NotNull(loaded.ShrunkTo);
        Assert.Contains($"neither the router nor the per-domain table was credibly more accurate than {loaded.ShrunkTo} on its validation part: shrunk to the best single RM, {loaded.ShrunkTo} (--no-shrink keeps the router)", train.Out);
        Assert.Equal("best-single", loaded.Metadata["nested.incumbent"]);
        Assert.True(loaded.Metadata.ContainsKey("nested.table_advantage_lower95"));   // the table was a candidate (the router reads domains)
        Assert.Equal(loaded.ShrunkTo, loaded.Metadata["nested.single_rm"]);
        // every held-out pair goes to that RM: the router's row equals the RM's
        var eval = await Run("offline", "eval", "--router", router, "--json", "--encoder-cache", CacheDir);
        Assert.True(eval.Code == 0, eval.Err);
        using var doc = JsonDocument.Parse(eval.Out.TrimEnd().Split('\n')[^1]);
        var unfiltered = doc.RootElement.GetProperty("unfiltered");
        Assert.Equal(unfiltered.GetProperty("single").GetProperty(loaded.ShrunkTo!).GetDouble(), unfiltered.GetProperty("router").GetDouble(), 12);
    }

    [Fact]
    public async Task TrainThenEvalOnTheHeldOutGroups()
    {
        var router = Path.Combine(_dir, "router.bin");
        // Long enough, with a large step, to learn the data's rule: rmA is right on algebra, rmB on the rest. The
        // validation part of 5 training groups cannot vouch for the router: --no-shrink keeps it (see the next test).
        var train = await Run(TrainArgsWith(router, "150", "--use-domain", "--lr", "0.05", "--no-shrink"));
        Assert.True(train.Code == 0, train.Err);
        Assert.True(File.Exists(router));
        var heldOut = OfflineRunRecord.ReadHeldOut(OfflineRunRecord.HeldOutPath(router));
        Assert.Equal(5, heldOut.Count);

        var loaded = OfflineRouter.Load(router);
        Assert.Equal(new[] { "rmA", "rmB", "rmC" }, loaded.Pool);
        Assert.Equal(new[] { "algebra", "other" }, loaded.Domains);
        Assert.Equal(64, loaded.MaxTokens);
        Assert.Equal(Path.GetFullPath(PairsPath), OfflineRunRecord.FromMetadata(loaded.Metadata)!.PairsFile);

        var eval = await Run("offline", "eval", "--router", router, "--json", "--ablation-no-cls", "--encoder-cache", CacheDir);
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Contains("Filtered", eval.Out);
        Assert.Contains("Router (w/o CLS)", eval.Out);
        using var doc = JsonDocument.Parse(eval.Out.TrimEnd().Split('\n')[^1]);
        var root = doc.RootElement;
        Assert.Equal(15, root.GetProperty("pairs").GetInt32());
        var f = root.GetProperty("filtered");
        Assert.Equal(1.0, f.GetProperty("oracle").GetDouble());
        // Every held-out pair has rmA or rmB right, by domain: the router must have learned the per-domain choice,
        // which no single RM matches (each is wrong on the other domain's held-out pairs).
        Assert.Equal(1.0, f.GetProperty("router").GetDouble());
        Assert.Equal(1.0, f.GetProperty("router_no_cls").GetDouble());
        Assert.All(f.GetProperty("single").EnumerateObject(), p => Assert.True(p.Value.GetDouble() < 1.0, $"{p.Name} {p.Value}"));
        Assert.Equal(new[] { "rmA", "rmB", "rmC" }, f.GetProperty("single").EnumerateObject().Select(p => p.Name));
        // Single-RM rows are facts of the held-out pairs: the command must agree with the pair file.
        var pairs = PairFile.ReadAll(PairsPath).Where(p => heldOut.Contains(p.Group)).ToList();
        Assert.Equal(pairs.Count(p => p.IsRight("rmA")) / 15.0, root.GetProperty("unfiltered").GetProperty("single").GetProperty("rmA").GetDouble(), 6);
    }

    [Fact]
    public async Task TrainRefusesAFolderOrAPathThroughAFileAsItsOutputBeforeTraining()
    {
        var folder = await Run(TrainArgs(_dir));
        Assert.Equal(1, folder.Code);
        Assert.Contains("is a folder", folder.Err);
        Assert.DoesNotContain("   at ", folder.Err);
        Assert.DoesNotContain("embedding", folder.Err);   // no work before the check
        var through = await Run(TrainArgs(Path.Combine(PairsPath, "router.bin")));
        Assert.Equal(1, through.Code);
        Assert.Contains("is a file, not a folder", through.Err);
    }

    [Fact]
    public async Task TrainPrintsOneTrainingLineWhenRedirected()
    {
        var r = await Run(TrainArgs(Path.Combine(_dir, "quiet.bin")));
        Assert.Equal(0, r.Code);
        // one line per training run, not one per epoch: the calibration run on the training side less its validation
        // part, then the final run on the whole training side
        var lines = r.Err.Split('\n').Where(l => l.StartsWith("training: epoch", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.StartsWith("training: epoch 5/5", l));
    }

    [Fact]
    public async Task TrainChoosesItsOptionsOnAValidationPartAndRecordsTheOnlineCalibration()
    {
        var router = Path.Combine(_dir, "tuned.bin");
        var args = TrainArgs(router).ToList();
        int i = args.IndexOf("--tune-epochs");
        args[i + 1] = "3,6";
        var r = await Run(args.ToArray());
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("choosing among 2 option sets", r.Err);
        var loaded = OfflineRouter.Load(router);
        Assert.Contains(loaded.Metadata["nested.chosen_epochs"], new[] { "3", "6" });
        Assert.Equal(loaded.Metadata["nested.chosen_epochs"], loaded.Metadata["train.epochs_run"]);
        var calibration = OnlineCalibration.FromMetadata(loaded.Metadata);
        Assert.NotNull(calibration);
        // the live service's construction picks the calibration up from the artifact
        Assert.Equal(calibration, new BayesianRouter.Routing.BayesianRouterFactory(loaded).Calibration);
        // the validation part came from the training side only: never one of the held-out groups
        // (the final router trained on the whole training side: 15 of the 30 pairs; the validation part is a share of those)
        Assert.Equal("15", loaded.Metadata["train.pairs"]);
        Assert.InRange(int.Parse(loaded.Metadata["nested.validation_pairs"]), 1, 14);
    }

    [Fact]
    public async Task TrainingTwiceWritesTheSameBytes()
    {
        string a = Path.Combine(_dir, "a.bin"), b = Path.Combine(_dir, "b.bin");
        Assert.Equal(0, (await Run(TrainArgs(a))).Code);
        Assert.Equal(0, (await Run(TrainArgs(b))).Code);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public async Task EvalRefusesAPairFileChangedSinceTraining()
    {
        var router = Path.Combine(_dir, "router.bin");
        Assert.Equal(0, (await Run(TrainArgs(router))).Code);
        File.AppendAllText(PairsPath, "\n");
        var eval = await Run("offline", "eval", "--router", router, "--encoder-cache", CacheDir);
        Assert.Equal(1, eval.Code);
        Assert.Contains("changed since the router was trained", eval.Err);
    }

    [Fact]
    public async Task UserErrorsAreOneLineAndWriteNothing()
    {
        var router = Path.Combine(_dir, "bad.bin");
        var unknown = await Run("offline", "train", "--pairs", PairsPath, "--pool", "rmA,nobody", "--out", router, "--encoder-cache", CacheDir);
        Assert.Equal(1, unknown.Code);
        Assert.StartsWith("error: --pool: nobody judged no pair", unknown.Err);
        var missing = await Run("offline", "train", "--pairs", Path.Combine(_dir, "none.jsonl"), "--pool", "rmA,rmB", "--out", router);
        Assert.Equal(1, missing.Code);
        Assert.Contains("none.jsonl", missing.Err);
        var fraction = await Run(TrainArgs(router, "--test-fraction", "1"));
        Assert.Equal(1, fraction.Code);
        Assert.Contains("--test-fraction", fraction.Err);
        Assert.False(File.Exists(router));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        var notRouter = await Run("offline", "eval", "--router", PairsPath);
        Assert.Equal(1, notRouter.Code);
        Assert.Contains("not a valid offline router file", notRouter.Err);
    }

    [Fact]
    public async Task ExperimentReportsMeanAndSpreadOverSeeds()
    {
        var run = await Run("offline", "experiment", "--pairs", PairsPath, "--pool", "rmA,rmB,rmC", "--seeds", "2", "--epochs", "3",
            "--tune-epochs", "2,3", "--tune-embedding-scales", "0.01", "--validation-fraction", "0", "--encoder-cache", CacheDir,
            "--max-tokens", "64", "--json");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("seed 2:", run.Err);
        Assert.Matches(@"seed 1: .*chosen: embedding scale 0\.01, [23] epochs", run.Err);
        using var doc = JsonDocument.Parse(run.Out.TrimEnd().Split('\n')[^1]);
        Assert.Equal(2, doc.RootElement.GetProperty("seeds").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("runs").GetArrayLength());
        var oracle = doc.RootElement.GetProperty("filtered").GetProperty("oracle");
        Assert.Equal(1.0, oracle.GetProperty("mean").GetDouble());
        Assert.Equal(0.0, oracle.GetProperty("sd").GetDouble());
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    [InlineData("experiment")]
    public void EveryOptionIsDescribed(string name)
    {
        var cmd = BayesRouterCli.Build(new CliIO(TextWriter.Null, TextWriter.Null, false))
            .Subcommands.Single(c => c.Name == "offline").Subcommands.Single(c => c.Name == name);
        Assert.False(string.IsNullOrWhiteSpace(cmd.Description));
        Assert.All(cmd.Options.Where(o => o.Name is not ("--help" or "-h" or "-?")), o => Assert.False(string.IsNullOrWhiteSpace(o.Description), o.Name));
    }
}
