using BayesianRouter.Data;

namespace BayesianRouter.Cli.Tests;

/// <summary>
/// What a new user tripped over (issue 10, section 3): output paths checked before any work with a clear message and
/// exit 1, messages that say what is missing, refused option values, one option vocabulary, quiet progress.
/// </summary>
public class NewUserTripTests : DataTempFolderTest
{
    private static readonly string[] Pool = ["alpha", "beta", "gamma"];

    private static string WritePairs(string dir, bool withTruth = true, int groups = 8)
    {
        var rng = new Random(1);
        var pairs = new List<PreferencePair>();
        for (int g = 0; g < groups; g++)
            for (int k = 0; k < 2; k++)
            {
                var truth = rng.Next(2) == 0 ? Preference.A : Preference.B;
                Judgment Says(bool right) => right == (truth == Preference.A) ? Judgment.FromScores(2, 1) : Judgment.FromScores(1, 2);
                pairs.Add(new PreferencePair
                {
                    Id = $"p{g}-{k}", Group = $"g{g}", Prompt = $"What is {g} + {k}?", Preferred = withTruth ? truth : null,
                    Domain = g % 2 == 0 ? "sums" : "products",
                    Judgments = new Dictionary<string, Judgment>
                    {
                        ["alpha"] = Says(rng.NextDouble() < 0.7), ["beta"] = Says(rng.NextDouble() < 0.5), ["gamma"] = Says(rng.NextDouble() < 0.3),
                    },
                });
            }
        var path = Path.Combine(dir, withTruth ? "pairs.jsonl" : "no-truth.jsonl");
        PairFile.Write(path, pairs);
        return path;
    }

    private static void AssertCleanFailure(CliResult r, string expected)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);          // no stack trace
        Assert.StartsWith("error: ", r.Err.Trim().Split('\n')[^1]);
    }

    private Task<CliResult> Simulate(string dir, string pairs, string outPath, params string[] extra) =>
        CliRunner.RunAsync(["simulate", "--pairs", pairs, "--pool", string.Join(",", Pool), "--seeds", "1", "--epochs", "2",
            "--tune-embedding-scales", "none", "--tune-epochs", "none", "--encoder-cache", Path.Combine(dir, "cache"), "--out", outPath, .. extra]);

    [Fact]
    public async Task SimulateChecksItsOutputFolderBeforeAnyWork()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir);
        var file = Path.Combine(dir, "taken.txt");
        File.WriteAllText(file, "x");
        AssertCleanFailure(await Simulate(dir, pairs, file), "is a file");
        AssertCleanFailure(await Simulate(dir, pairs, Path.Combine(file, "x")), $"{file} is a file, not a folder");
        var proc = await Simulate(dir, pairs, "/proc/x");
        AssertCleanFailure(proc, "cannot write in /proc");
        Assert.DoesNotContain("could not find", proc.Err, StringComparison.OrdinalIgnoreCase);
        // nothing was embedded: the failure came before the work
        Assert.False(Directory.Exists(Path.Combine(dir, "cache")));
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public async Task DataImportRefusesAFolderAsItsOutputFile()
    {
        var dir = NewFolder();
        AssertCleanFailure(await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", dir), "is a folder");
        var file = Path.Combine(dir, "f.jsonl");
        File.WriteAllText(file, "");
        AssertCleanFailure(await CliRunner.RunAsync("data", "import", "rewardmath", DataTestPaths.RewardMath, "-o", Path.Combine(file, "x")), "is a file, not a folder");
    }

    [Fact]
    public async Task PairsWithJudgmentsButNoGroundTruthSayWhatIsMissing()
    {
        var dir = NewFolder();
        var r = await Simulate(dir, WritePairs(dir, withTruth: false), Path.Combine(dir, "out"));
        AssertCleanFailure(r, "ground truth");
        Assert.DoesNotContain("no judgment", r.Err);
        var empty = Path.Combine(dir, "empty.jsonl");
        File.WriteAllText(empty, "");
        var e = await Simulate(dir, empty, Path.Combine(dir, "out"));
        AssertCleanFailure(e, "no pair");
        Assert.DoesNotContain("no judgment", e.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public async Task RefusedValues()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir);
        AssertCleanFailure(await Simulate(dir, pairs, Path.Combine(dir, "o"), "--first-seed", "-5"), "--first-seed -5");
        AssertCleanFailure(await Simulate(dir, pairs, Path.Combine(dir, "o"), "--feedback", "agreement:3"), "only 2 other RMs");
        var split = await CliRunner.RunAsync("offline", "train", "--pairs", pairs, "--pool", "alpha,beta", "--split", "Group", "--out", Path.Combine(dir, "r.bin"));
        Assert.NotEqual(0, split.ExitCode);
        Assert.Contains("random", split.Err);
        // a RewardMATH folder, which simulate imports on the fly: the offline commands say how to make the pair file
        var folder = await CliRunner.RunAsync("offline", "train", "--pairs", DataTestPaths.RewardMath, "--pool", "ArmoRM,internlm2_20b", "--out", Path.Combine(dir, "r.bin"));
        Assert.NotEqual(0, folder.ExitCode);
        Assert.Contains("is a folder", folder.Err);
        Assert.Contains("data import rewardmath", folder.Err);
        Assert.False(File.Exists(Path.Combine(dir, "r.bin")));
    }

    [Fact]
    public async Task OneVocabularyForSplitAndBatchSizes()
    {
        var simulate = (await CliRunner.RunAsync("simulate", "--help")).Out;
        var train = (await CliRunner.RunAsync("offline", "train", "--help")).Out;
        var experiment = (await CliRunner.RunAsync("offline", "experiment", "--help")).Out;
        var routing = (await CliRunner.RunAsync("bench", "routing", "--help")).Out;
        var encoding = (await CliRunner.RunAsync("bench", "encoding", "--help")).Out;
        foreach (var help in new[] { simulate, train, experiment })
        {
            Assert.Contains("--split <domain|random>", help);
            Assert.Contains("--train-batch-size", help);
        }
        // --batch-size is the online routing batch wherever it appears
        Assert.DoesNotContain("--batch-size", train);
        Assert.DoesNotContain("--batch-size", encoding);
        Assert.Contains("--batch-size", routing);
        Assert.Contains("--encoder-batch-size", encoding);
        // each option states its default once (System.CommandLine's "[default: N]"), never a second, contradicting one
        Assert.All(encoding.Split('\n').Where(l => l.TrimStart().StartsWith("--", StringComparison.Ordinal) && l.Contains("[default:")),
            l => Assert.DoesNotContain("(default:", l));
        Assert.Contains("core count. [default: ", encoding);
    }

    [Fact]
    public async Task SimulateShowsOneProgressLinePerSeedAndNoEpochLines()
    {
        var dir = NewFolder();
        var pairs = WritePairs(dir, groups: 12);
        var r = await CliRunner.RunAsync("simulate", "--pairs", pairs, "--pool", string.Join(",", Pool), "--seeds", "2", "--epochs", "3",
            "--tune-epochs", "2,3", "--tune-embedding-scales", "none", "--encoder-cache", Path.Combine(dir, "cache"), "--out", Path.Combine(dir, "out"));
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("epoch 1/", r.Err);
        var lines = r.Err.Split('\n');
        Assert.Equal(2, lines.Count(l => l.StartsWith("[simulate] seed ", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("online pairs:", StringComparison.Ordinal));   // it embeds every pair, and says so
    }
}
