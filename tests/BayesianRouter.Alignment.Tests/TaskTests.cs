using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Alignment.Tests;

public class TaskTests
{
    [Fact]
    public void EveryPromptParsesBackToItsProblemWithTheRightAnswer()
    {
        Assert.Equal(ArithmeticTask.All.Count, ArithmeticTask.All.Select(p => p.Prompt).Distinct().Count());
        Assert.All(ArithmeticTask.All, p => Assert.Same(p, ArithmeticTask.Parse(p.Prompt)));
        var add = ArithmeticTask.Parse("What is 27 plus 8?")!;
        Assert.Equal((35L, 25L), (add.Answer, add.Mistake)); // the carry is dropped
        var mul = ArithmeticTask.Parse("Multiply 7 by 8.")!;
        Assert.Equal((56L, 49L), (mul.Answer, mul.Mistake));
        var conv = ArithmeticTask.Parse("How many centimetres are in 7 metres?")!;
        Assert.Equal((700L, 7000L), (conv.Answer, conv.Mistake));
        Assert.Null(ArithmeticTask.Parse("What is the capital of France?"));
    }

    [Fact]
    public void GradedTruthPrefersTheCloserNumberAndAnyNumberOverText()
    {
        var p = ArithmeticTask.Parse("What is 27 plus 8?")!;
        Assert.Equal(1, ArithmeticTask.Compare(p, "35", "25"));
        Assert.Equal(1, ArithmeticTask.Compare(p, "34", "25")); // both wrong: the closer one is better
        Assert.Equal(-1, ArithmeticTask.Compare(p, "x5", "99"));
        Assert.Equal(0, ArithmeticTask.Compare(p, "34", "36"));
        Assert.True(ArithmeticTask.IsCorrect(p, " 35 "));
        Assert.Null(ArithmeticTask.Value("3 5"));
    }

    [Fact]
    public void SplitPartsAreDisjointBalancedAndFixedBySeed()
    {
        var s = new TaskSplit(seed: 4);
        var test = s.Test.Select(p => p.Prompt).ToHashSet();
        Assert.True(s.Test.Count >= 1000);
        Assert.DoesNotContain(s.NotTest, p => test.Contains(p.Prompt));
        Assert.Equal(s.Offline.Count + s.Validation.Count + s.Train.Count, s.NotTest.Select(p => p.Prompt).Distinct().Count());
        foreach (var d in ArithmeticTask.Domains) Assert.Equal(260, s.Test.Count(p => p.Domain == d));
        Assert.Equal(s.Test.Select(p => p.Prompt), new TaskSplit(seed: 4).Test.Select(p => p.Prompt));
        Assert.NotEqual(s.Test.Select(p => p.Prompt), new TaskSplit(seed: 5).Test.Select(p => p.Prompt));
        var stream = TaskSplit.Stream(s.Train, 50, 16, seed: 9);
        Assert.Equal(stream.SelectMany(x => x).Select(p => p.Prompt), TaskSplit.Stream(s.Train, 50, 16, seed: 9).SelectMany(x => x).Select(p => p.Prompt));
        Assert.All(ArithmeticTask.Domains, d => Assert.InRange(stream.SelectMany(x => x).Count(p => p.Domain == d), 150, 250));
    }

    [Fact]
    public void NoisyTargetsMixTheMistakeTheAnswerAndDigitNoiseAtTheConfiguredRates()
    {
        var o = new SupervisedStartOptions();
        var p = ArithmeticTask.Parse("Multiply 7 by 8.")!;
        var rng = new Random(3);
        var targets = Enumerable.Range(0, 4000).Select(_ => SupervisedStart.NoisyTarget(p, o, rng)).ToArray();
        Assert.InRange(targets.Count(t => t == "49") / 4000.0, 0.52, 0.58);
        Assert.InRange(targets.Count(t => t == "56") / 4000.0, 0.32, 0.38);
        Assert.All(targets.Where(t => t != "49" && t != "56"), t => Assert.Equal(2, t.Length));
    }

    private static RmJudgment Judge(IRewardModel rm, string prompt, string a, string b) =>
        rm.JudgeAsync([new PairText(prompt, a, b)]).Result[0];

    private static Preference Verdict(IRewardModel rm, string prompt, string a, string b) => Judge(rm, prompt, a, b).Judgment!.Prefers();

    [Fact]
    public void PoolRmsFollowTheirRulesAndTheirCoinsDoNotDependOnOrder()
    {
        var pool = TaskRewardModels.DefaultPool().ToDictionary(r => r.Name);
        const string add = "What is 27 plus 8?", conv = "How many centimetres are in 7 metres?", cmp = "Which is larger, 34 or 64?";
        Assert.Equal(Preference.A, Verdict(pool["calculator"], add, "35", "25"));
        Assert.Equal(Preference.B, Verdict(pool["calculator"], add, "25", "35"));
        Assert.Equal(Preference.A, Verdict(pool["unit-checker"], conv, "700", "7000"));
        Assert.Equal(Preference.B, Verdict(pool["unit-checker"], add, "35", "25")); // outside its field: the smaller number
        Assert.Equal(Preference.B, Verdict(pool["length-judge"], conv, "700", "7000")); // longer wins even when wrong
        Assert.Equal(Preference.B, Verdict(pool["length-judge"], add, "5", "35")); // longer wins even when wrong
        Assert.Equal(Preference.A, Verdict(pool["last-digit"], cmp, "64", "36"));
        Assert.Equal(Preference.A, Verdict(pool["last-digit"], add, "15", "34")); // right last digit, far off
        // Coins (calculator outside its domains, length and last-digit ties) flip with the order: the same response wins.
        foreach (var (rm, prompt, a, b) in new[] { ("calculator", cmp, "64", "34"), ("unit-checker", add, "35", "x"), ("length-judge", add, "35", "25"), ("last-digit", add, "35", "25") })
            Assert.NotEqual(Verdict(pool[rm], prompt, a, b), Verdict(pool[rm], prompt, b, a));
        Assert.False(Judge(pool["calculator"], "Tell me a joke.", "a", "b").Succeeded);
    }

    [Fact]
    public void TheNoisyRmIsRightAboutSeventyPercentAndSpecialistsAreCoinsOutsideTheirDomains()
    {
        var pool = TaskRewardModels.DefaultPool().ToDictionary(r => r.Name);
        var problems = ArithmeticTask.All.Where(p => p.Domain == "comparison").Take(2000).ToArray();
        double Right(string rm) => problems.Average(p => Verdict(pool[rm], p.Prompt, ArithmeticTask.Format(p.Answer), ArithmeticTask.Format(p.Mistake)) == Preference.A ? 1.0 : 0.0);
        Assert.InRange(Right("rough-70"), 0.66, 0.74);
        Assert.InRange(Right("calculator"), 0.45, 0.55);
        Assert.Equal(1.0, Right("unit-checker"));
    }
}
