using BayesianRouter.Data;
using BayesianRouter.Data.Import;
using BayesianRouter.Evaluation;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Core.Tests.Data;

/// <summary>The RewardBench math part of the RewardMATH folder: 447 pairs with response texts, checked against the files.</summary>
public class RewardBenchMathImporterTests
{
    private static readonly Lazy<(List<PreferencePair> Pairs, ImportReport Report)> All = new(() => Import(1, "all"));

    private static (List<PreferencePair>, ImportReport) Import(int seed, string scorers)
    {
        var report = new ImportReport();
        return (new RewardBenchMathImporter(seed, scorers).Import(TestPaths.RewardMath, report).ToList(), report);
    }

    [Fact]
    public void Every447ProblemJoinsWithEveryScorerAndCarriesItsTexts()
    {
        var (pairs, report) = All.Value;
        Assert.Equal(447, pairs.Count);
        Assert.Equal(447, pairs.Select(p => p.Id).Distinct().Count());
        Assert.Equal(447, pairs.Select(p => p.Prompt).Distinct().Count());
        Assert.All(pairs, p => Assert.Equal(13, p.Judgments.Count)); // 9 classifier RMs + 4 process RMs
        Assert.All(pairs, p => Assert.True(p.ResponseA.Length > 0 && p.ResponseB.Length > 0 && p.ResponseA != p.ResponseB));
        Assert.All(pairs, p => Assert.NotNull(p.Domain));
        Assert.Equal(7, pairs.Select(p => p.Domain).Distinct().Count());
        Assert.Contains("joined 447 of 447 problems of rewardbench_Easy_to_hard.json (response texts) with every selected scorer on the problem text", report.Notes);
        Assert.Empty(report.Skipped);
        Assert.InRange(pairs.Count(p => p.Preferred == Preference.B), 447 * 0.4, 447 * 0.6);

        var first = pairs[0];
        Assert.Equal("rewardbench-math/0", first.Id);
        Assert.Equal("$441+2(21)(19)+361=x$. Solve for $x$.", first.Prompt);
        var chosen = first.Preferred == Preference.A ? first.ResponseA : first.ResponseB;
        Assert.Equal("We note that $361=19^2$ and $441=21^2$, so $x=21^2+2(21)(19)+19^2$\nThis is just the binomial expansion of $(21+19)^2=40^2=\\boxed{1600}$.", chosen);
        // ArmoRM's row of that problem: score = [0.1875, 0.162109375], chosen first
        var armo = first.Judgments["ArmoRM"];
        var (chosenScore, rejectedScore) = first.Preferred == Preference.A ? (armo.ScoreA, armo.ScoreB) : (armo.ScoreB, armo.ScoreA);
        Assert.Equal((0.1875, 0.162109375), (chosenScore!.Value, rejectedScore!.Value));
        // Math-Shepherd: the minimum of the chosen solution's step scores [0.6451495885848999, 0.2109081745147705]
        var ms = first.Judgments["Math_Shepherd"];
        Assert.Equal(0.2109081745147705, first.Preferred == Preference.A ? ms.ScoreA!.Value : ms.ScoreB!.Value);
    }

    [Fact]
    public void AccuraciesEqualADirectCountOnTheFiles()
    {
        // Share of problems where the RM scores the chosen solution strictly higher, counted on the JSON files
        // with python3 (score[0] > score[1]; process RMs: min of step scores).
        var acc = PairStatistics.Compute(All.Value.Pairs).Rms.ToDictionary(r => r.Name, r => r.Accuracy!.Value);
        Assert.Equal(0.9284, acc["ArmoRM"], 0.0001);
        Assert.Equal(0.9687, acc["skywork_llama3"], 0.0001);
        Assert.Equal(0.9508, acc["internlm2_20b"], 0.0001);
        Assert.Equal(0.9306, acc["grm_gemma"], 0.0001);
        Assert.Equal(0.9150, acc["grm_llama3"], 0.0001);
        Assert.Equal(0.8300, acc["Math_Shepherd"], 0.0001);
        Assert.Equal(0.5324, acc["Easy_to_hard"], 0.0001);
    }

    [Fact]
    public void TheDefaultIsTheClassifierRmsUnderTheirRewardMathNamesAndTheSeedPlacesThem()
    {
        var (pairs, _) = Import(1, RewardMathImporter.DefaultScorers);
        Assert.Equal(["ArmoRM", "Eurus-RM", "beaver", "grm_gemma", "grm_llama3", "internlm2", "internlm2_20b", "oasst-rm", "skywork_llama3"],
            pairs[0].Judgments.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(All.Value.Pairs.Select(p => p.Preferred), pairs.Select(p => p.Preferred)); // same seed, same placement
        var (other, _) = Import(2, "ArmoRM");
        Assert.NotEqual(pairs.Select(p => p.Preferred), other.Select(p => p.Preferred));
        Assert.Throws<ArgumentException>(() => Import(1, "gpt4o"));
    }

    [Fact]
    public async Task ARecordedRmAnswersEveryPairOfTheImportAsRecorded()
    {
        var pairs = All.Value.Pairs;
        var record = RecordedJudgments.From(pairs, "internlm2_20b");
        Assert.Equal((0, 0), (record.ConflictingScores, record.ConflictingPairs));
        var judged = await new RecordedRewardModel(record).JudgeAsync(pairs.Select(PairText.Of).ToList());
        Assert.Equal(pairs.Select(p => p.Judgments["internlm2_20b"]), judged.Select(j => j.Judgment));
    }

    [Fact]
    public void AFolderWithoutTheRewardbenchPartIsAnError()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => RewardBenchMathImporter.ResultsFolder(Path.Combine(TestPaths.RewardMath, "dataset")));
        Assert.Contains("found neither results/Rewardbench/ nor rewardbench_*.json files in it", e.Message);
    }
}
