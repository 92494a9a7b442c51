using BayesianRouter.Data;
using BayesianRouter.Data.Import;
using BayesianRouter.Evaluation;

namespace BayesianRouter.Core.Tests.Data;

/// <summary>The importer on the real RewardMATH data (../shared/datasets/rewardmath) and the README's figures.</summary>
public class RewardMathImporterTests : TempFolderTest
{
    private static readonly string[] Pool = ["ArmoRM", "skywork_llama3", "internlm2_20b", "grm_gemma"];
    private static readonly Lazy<List<PreferencePair>> Classifiers = new(() => Import(0, "classifier", out _));

    private static List<PreferencePair> Import(int seed, string scorers, out ImportReport report)
    {
        report = new ImportReport();
        return new RewardMathImporter(seed, scorers).Import(TestPaths.RewardMath, report).ToList();
    }

    private static string ResultFile(string stem) => Path.Combine(TestPaths.RewardMath, "results", "RewardMATH", stem + "_reward.json");

    [Fact]
    public void ImportGives4347PairsIn483Groups()
    {
        var pairs = Classifiers.Value;
        Assert.Equal(4347, pairs.Count);
        Assert.Equal(483, pairs.Select(p => p.Group).Distinct().Count());
        Assert.Equal(4347, pairs.Select(p => p.Id).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(9, p.Judgments.Count));
        Assert.All(pairs, p => Assert.Equal(("", ""), (p.ResponseA, p.ResponseB)));
        Assert.Equal("rewardmath/0/1", pairs[0].Id);
        Assert.Equal("rewardmath/482/9", pairs[^1].Id);
        Assert.InRange(pairs.Count(p => p.Preferred == Preference.B), 4347 * 0.45, 4347 * 0.55);
    }

    [Fact]
    public void StatisticsReproduceTheReadmeFigures()
    {
        var all = PairStatistics.Compute(Classifiers.Value);
        var acc = all.Rms.ToDictionary(r => r.Name, r => r.Accuracy!.Value);
        Assert.Equal(0.760, acc["internlm2"], 0.001);
        Assert.Equal(0.731, acc["internlm2_20b"], 0.001);
        Assert.Equal(0.715, acc["skywork_llama3"], 0.001);
        Assert.Equal(0.703, acc["grm_llama3"], 0.001);
        Assert.Equal(0.673, acc["ArmoRM"], 0.001);
        Assert.Equal(0.632, acc["Eurus-RM"], 0.001);
        Assert.Equal(0.499, acc["oasst-rm"], 0.001);
        Assert.Equal(0.486, acc["beaver"], 0.001);
        Assert.Equal(0.457, acc["grm_gemma"], 0.001);

        var pool = PairStatistics.Compute(Classifiers.Value, Pool).Pool;
        Assert.Equal("internlm2_20b", pool.BestSingle);
        Assert.Equal(0.731, pool.BestSingleAccuracy!.Value, 0.001);
        Assert.Equal(0.677, pool.Majority!.Value, 0.001);
        Assert.Equal(0.906, pool.Oracle!.Value, 0.001);

        var eight = PairStatistics.Compute(Classifiers.Value, acc.Keys.Where(k => k != "beaver").ToList()).Pool;
        Assert.Equal("internlm2", eight.BestSingle);
        Assert.Equal(0.760, eight.BestSingleAccuracy!.Value, 0.001);
        Assert.Equal(0.699, eight.Majority!.Value, 0.001);
        Assert.Equal(0.959, eight.Oracle!.Value, 0.001);
    }

    [Fact]
    public void SubjectsAreJoinedFromBothSources()
    {
        var pairs = Classifiers.Value;
        var problemsWithSubject = pairs.Where(p => p.Domain != null).Select(p => p.Group).Distinct().Count();
        // 425 problems are named by the RewardBench rows (all confirmed by the MATH test file), 52 more by the MATH test file only.
        Assert.Equal(477, problemsWithSubject);
        Assert.Equal(7, pairs.Where(p => p.Domain != null).Select(p => p.Domain).Distinct().Count());
        Assert.All(pairs.GroupBy(p => p.Group), g => Assert.Single(g.Select(p => p.Domain).Distinct()));
        Assert.Equal("Algebra", pairs[0].Domain);
    }

    [Fact]
    public void SameSeedGivesTheSamePairsAndAnotherSeedMovesThem()
    {
        var again = Import(0, "classifier", out _);
        Assert.Equal(Classifiers.Value.Select(PairFile.Format), again.Select(PairFile.Format));
        var other = Import(1, "classifier", out _);
        Assert.NotEqual(Classifiers.Value.Select(p => p.Preferred), other.Select(p => p.Preferred));
        // the placement never changes who is right
        Assert.Equal(Classifiers.Value.Select(p => p.IsRight("internlm2")), other.Select(p => p.IsRight("internlm2")));
    }

    [Fact]
    public void ScorerKindsAreReadFromTheFiles()
    {
        var scorers = RewardMathImporter.ListScorers(RewardMathImporter.ResultsFolder(TestPaths.RewardMath));
        Assert.Equal(31, scorers.Count);
        var byKind = scorers.GroupBy(s => s.Kind).ToDictionary(g => g.Key, g => g.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["ArmoRM", "Eurus-RM", "beaver", "grm_gemma", "grm_llama3", "internlm2", "internlm2_20b", "oasst-rm", "skywork_llama3"], byKind[RewardMathScorerKind.Classifier]);
        Assert.Equal(["Easy_to_hard", "Math_Shepherd", "ReasonEval_34B", "ReasonEval_7B"], byKind[RewardMathScorerKind.Process]);
        Assert.Equal(9, byKind[RewardMathScorerKind.DirectJudge].Length);
        Assert.Contains("gpt4o", byKind[RewardMathScorerKind.DirectJudge]);
        Assert.Equal(byKind[RewardMathScorerKind.DirectJudge].Select(n => n + "_pairwise"), byKind[RewardMathScorerKind.PairwiseJudge]);
    }

    [Fact]
    public void ScorersOptionSelectsGroupsAndNames()
    {
        var scorers = RewardMathImporter.ListScorers(RewardMathImporter.ResultsFolder(TestPaths.RewardMath));
        Assert.Equal(31, RewardMathImporter.Select(scorers, "all").Count);
        Assert.Equal(18, RewardMathImporter.Select(scorers, "judges").Count);
        Assert.Equal(["internlm2", "Easy_to_hard", "Math_Shepherd", "ReasonEval_34B", "ReasonEval_7B"],
            RewardMathImporter.Select(scorers, "internlm2, process,Math_Shepherd").Select(s => s.Name));
        var e = Assert.Throws<ArgumentException>(() => RewardMathImporter.Select(scorers, "classifier,nope"));
        Assert.Contains("unknown scorer \"nope\"", e.Message);
        Assert.Contains("internlm2_20b", e.Message);
    }

    [Fact]
    public void ProcessJudgeAndPairwiseBehaviourIsTakenAsTheReadmeSays()
    {
        var pairs = Import(5, "Math_Shepherd,gpt4o,gpt4_pairwise,gpt4o_pairwise,chatgpt", out var report);
        var first = pairs[0]; // problem 0, incorrect solution 1
        // Math_Shepherd: min of step scores; solution 0's lowest step is 0.26695704460144043 in the file.
        var ms = first.Judgments["Math_Shepherd"];
        Assert.Equal(0.26695704460144043, first.Preferred == Preference.A ? ms.ScoreA : ms.ScoreB);
        // gpt4o direct: 10 for the correct solution, 4 for solution 1.
        var direct = first.Judgments["gpt4o"];
        Assert.Equal((10.0, 4.0), first.Preferred == Preference.A ? (direct.ScoreA, direct.ScoreB) : (direct.ScoreB, direct.ScoreA));
        // gpt4o pairwise: verdict "A" with chosen_position "A": right, whatever side the coin put the correct solution on.
        Assert.True(first.IsRight("gpt4o_pairwise"));
        Assert.NotNull(first.Judgments["gpt4o_pairwise"].Verdict);

        // Failed pairwise verdicts (null) are left out and counted: gpt4_pairwise has 35.
        Assert.Equal(4347 - 35, pairs.Count(p => p.Judgments.ContainsKey("gpt4_pairwise")));
        Assert.Equal(35, report.Skipped.Single(kv => kv.Key.Contains("gpt4_pairwise")).Value);
        // chatgpt_reward.json lists two problems twice: the first entries are kept.
        Assert.Equal(2, report.Skipped.Single(kv => kv.Key.Contains("chatgpt_reward.json")).Value);
        Assert.Equal(4347, pairs.Count);
    }

    [Fact]
    public void DirectJudgesTieOftenAndTiesAreCounted()
    {
        var pairs = Import(0, "direct", out _);
        var stats = PairStatistics.Compute(pairs);
        var gpt4o = stats.Rms.Single(r => r.Name == "gpt4o");
        Assert.True(gpt4o.Ties > 100, $"gpt4o ties: {gpt4o.Ties}");
        Assert.Equal(4347, gpt4o.Judged);
        Assert.Equal(pairs.Count(p => p.IsTie("gpt4o")), gpt4o.Ties);
    }

    [Fact]
    public void MisalignedScorerFilesAreRefused()
    {
        var dir = NewFolder();
        File.Copy(ResultFile("ArmoRM"), Path.Combine(dir, "ArmoRM_reward.json"));
        var text = File.ReadAllText(ResultFile("internlm2"));
        File.WriteAllText(Path.Combine(dir, "internlm2_reward.json"), text.Replace("\"modified_with_GPT-4\"", "\"something_else\""));
        var e = Assert.Throws<InvalidDataException>(() => new RewardMathImporter(0).Import(dir, new ImportReport()).ToList());
        Assert.Contains("internlm2_reward.json", e.Message);
        Assert.Contains("differ", e.Message);
    }

    [Fact]
    public void ABadScoreNamesTheFileAndLine()
    {
        var dir = NewFolder();
        var lines = File.ReadAllLines(ResultFile("ArmoRM"));
        int at = Array.FindIndex(lines, l => l.Contains("0.1884765625"));
        lines[at] = lines[at].Replace("0.1884765625", "\"high\"");
        File.WriteAllLines(Path.Combine(dir, "ArmoRM_reward.json"), lines);
        var e = Assert.Throws<PairFileException>(() => new RewardMathImporter(0).Import(dir, new ImportReport()).ToList());
        Assert.Contains("item 0: score[0] must be a finite number", e.Message);
        Assert.StartsWith(Path.Combine(dir, "ArmoRM_reward.json") + ":2:", e.Message);
    }

    [Fact]
    public void AFolderWithoutScorerFilesIsRefused()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new RewardMathImporter(0).Import(NewFolder(), new ImportReport()).ToList());
    }
}
