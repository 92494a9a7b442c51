using BayesianRouter.Alignment.Tasks;
using BayesianRouter.Data;
using BayesianRouter.RewardModels;

namespace BayesianRouter.Alignment.Tests;

public class TaskTests
{
    [Fact]
    public void EveryPromptParsesBackToItsProblemWithTheRightAnswerAndMistake()
    {
        Assert.Equal(ArithmeticTask.All.Count, ArithmeticTask.All.Select(p => p.Prompt).Distinct().Count());
        Assert.All(ArithmeticTask.All, p => Assert.Same(p, ArithmeticTask.Parse(p.Prompt)));
        var add = ArithmeticTask.Parse("What is 27 plus 8?")!;
        Assert.Equal((35L, 25L, "addition:27,8"), (add.Answer, add.Mistake, add.Key)); // the carry is dropped
        var sub = ArithmeticTask.Parse("Compute 52 - 7.")!;
        Assert.Equal((45L, 55L, Wording.Symbolic), (sub.Answer, sub.Mistake, sub.Style)); // the borrow is forgotten
        Assert.False(ArithmeticTask.Parse("Tell me 21 plus 3.")!.HasMistake); // no carry: the mistake is the answer
        var conv = ArithmeticTask.Parse("What is 7 metres in centimetres?")!;
        Assert.Equal((700L, 7000L), (conv.Answer, conv.Mistake));
        Assert.Equal(conv.Key, ArithmeticTask.Parse("Compute 7 m in cm.")!.Key); // one key, every wording
        Assert.Null(ArithmeticTask.Parse("What is the capital of France?"));
    }

    [Fact]
    public void WordingsAreSharedAcrossDomainsSoTheTemplateDoesNotTellTheDomain()
    {
        foreach (var key in ArithmeticTask.All.GroupBy(p => p.Key))
        {
            Assert.Equal(6, key.Count()); // 3 frames x words or symbols
            Assert.Equal(3, key.Count(p => p.Style == Wording.Verbal));
        }
        foreach (var frame in new[] { "What is ", "Compute ", "Tell me " })
            Assert.All(ArithmeticTask.Domains, d => Assert.Contains(ArithmeticTask.All, p => p.Domain == d && p.Prompt.StartsWith(frame, StringComparison.Ordinal)));
    }

    [Fact]
    public void GradedTruthPrefersTheCloserNumberAndTheBareNumberOverTheSameWithAPeriod()
    {
        var p = ArithmeticTask.Parse("What is 27 plus 8?")!;
        Assert.Equal(1, ArithmeticTask.Compare(p, "35", "25"));
        Assert.Equal(1, ArithmeticTask.Compare(p, "34", "25")); // both wrong: the closer one is better
        Assert.Equal(-1, ArithmeticTask.Compare(p, "x5", "99"));
        Assert.Equal(0, ArithmeticTask.Compare(p, "34", "36"));
        Assert.Equal(-1, ArithmeticTask.Compare(p, "35.", "35")); // the period costs half a unit...
        Assert.Equal(1, ArithmeticTask.Compare(p, "35.", "36")); // ...less than a wrong digit
        Assert.True(ArithmeticTask.IsCorrect(p, " 35 "));
        Assert.False(ArithmeticTask.IsCorrect(p, "35.")); // the grader takes bare numbers only
        Assert.True(ArithmeticTask.EndsWithPeriod("35."));
        Assert.False(ArithmeticTask.EndsWithPeriod("."));
        Assert.Equal(35, ArithmeticTask.LenientValue("35."));
        Assert.Null(ArithmeticTask.Value("3 5"));
    }

    [Fact]
    public void SplitPartsAreDisjointByTheirNumbersBalancedAndFixedBySeed()
    {
        var s = new TaskSplit(seed: 4);
        var keysOf = (IReadOnlyList<Problem> part) => part.Select(p => p.Key).ToHashSet();
        var test = keysOf(s.Test);
        var held = new[] { s.Test, s.Validation, s.Offline }.Select(keysOf).ToArray();
        Assert.DoesNotContain(s.Train, p => held.Any(h => h.Contains(p.Key))); // the start and the stream never see a held-out problem
        Assert.Empty(held[0].Intersect(held[1]));
        Assert.Empty(held[0].Intersect(held[2]));
        Assert.Empty(held[1].Intersect(held[2]));
        foreach (var d in ArithmeticTask.Domains)
        {
            Assert.Equal(150, s.Test.Count(p => p.Domain == d));
            Assert.Equal(75, s.Test.Count(p => p.Domain == d && p.Style == Wording.Verbal));
            Assert.Equal(200, s.Offline.Count(p => p.Domain == d)); // two wordings of 100 keys
        }
        Assert.Equal(s.Test.Select(p => p.Prompt), new TaskSplit(seed: 4).Test.Select(p => p.Prompt));
        Assert.Equal(s.TestHash(), new TaskSplit(seed: 4).TestHash());
        Assert.NotEqual(s.TestHash(), new TaskSplit(seed: 5).TestHash());
        Assert.Equal(test.Count, s.Test.Count);
    }

    [Fact]
    public void TheStreamTakesDomainsInTurnAndEachPromptOncePerEpoch()
    {
        var s = new TaskSplit();
        var pool = s.Train.Where(p => p.A < 20).ToArray(); // a small pool, so epochs turn over
        var stream = TaskSplit.Stream(pool, 200, 16, seed: 9);
        Assert.Equal(stream.SelectMany(x => x).Select(p => p.Prompt), TaskSplit.Stream(pool, 200, 16, seed: 9).SelectMany(x => x).Select(p => p.Prompt));
        var flat = stream.SelectMany(x => x).ToArray();
        foreach (var d in ArithmeticTask.Domains)
        {
            var inDomain = flat.Where(p => p.Domain == d).ToArray();
            Assert.Equal(flat.Length / 4, inDomain.Length);
            int size = pool.Count(p => p.Domain == d);
            for (int e = 0; (e + 1) * size <= inDomain.Length; e++)
                Assert.Equal(size, inDomain.Skip(e * size).Take(size).Select(p => p.Prompt).Distinct().Count()); // every prompt once per epoch
        }
    }

    [Fact]
    public void TheTokenizerLearnsFromTheTrainingPartOnly()
    {
        var s = new TaskSplit();
        var fromTrain = SupervisedStart.Tokenizer(60, s.Train);
        var fromAll = SupervisedStart.Tokenizer(60, ArithmeticTask.All);
        Assert.Equal(fromTrain.VocabSize, SupervisedStart.Tokenizer(60, s.Train).VocabSize);
        // every held-out question still encodes and decodes exactly (bytes are the base vocabulary)
        Assert.All(s.Test.Take(50), p => Assert.Equal(p.Prompt, fromTrain.Decode(fromTrain.Encode(p.Prompt))));
        Assert.NotNull(fromAll);
    }

    [Fact]
    public void NoisyTargetsMixTheMistakeTheAnswerDigitNoiseAndPeriodsAtTheConfiguredRates()
    {
        var o = new SupervisedStartOptions();
        var p = ArithmeticTask.Parse("What is 27 plus 8?")!; // worded: the period habit at its higher rate
        var rng = new Random(3);
        var targets = Enumerable.Range(0, 8000).Select(_ => SupervisedStart.NoisyTarget(p, o, rng)).ToArray();
        Assert.InRange(targets.Count(t => t.TrimEnd('.') == "25") / 8000.0, o.MistakeRates["addition"] - 0.03, o.MistakeRates["addition"] + 0.03);
        Assert.InRange(targets.Count(ArithmeticTask.EndsWithPeriod) / 8000.0, o.PeriodNoise - 0.015, o.PeriodNoise + 0.015);
        Assert.All(targets.Where(t => t.TrimEnd('.') is not ("25" or "35")), t => Assert.Equal(2, t.TrimEnd('.').Length));
    }

    private static Preference Verdict(IRewardModel rm, string prompt, string a, string b) =>
        rm.JudgeAsync([new PairText(prompt, a, b)]).Result[0].Judgment!.Prefers();

    [Fact]
    public void PoolRmsAreScalarScorersWhoseVerdictsDoNotDependOnOrderAndWhoseBeliefsFollowTheirRegions()
    {
        var pool = TaskRewardModels.Pool().ToDictionary(r => r.Name);
        Assert.Equal(["calculator", "parser", "reader", "magnitude", "generalist"], pool.Keys);
        var problems = ArithmeticTask.All.Where(p => p.HasMistake).ToArray();
        foreach (var rm in pool.Values)
            foreach (var p in problems.Where((_, i) => i % 97 == 0))
            {
                string right = ArithmeticTask.Format(p.Answer), wrong = ArithmeticTask.Format(p.Mistake);
                Assert.NotEqual(Verdict(rm, p.Prompt, right, wrong), Verdict(rm, p.Prompt, wrong, right)); // the same response wins either way
                // an RM that believes the mistake prefers it (far from the noise): a systematic error, not a coin
                if (rm.Perception == Perception.Linear && rm.Belief(p) == p.Mistake && Math.Abs(p.Answer - p.Mistake) / Math.Max(2.0, 0.2 * p.Answer) >= 2)
                    Assert.Equal(Preference.B, Verdict(rm, p.Prompt, right, wrong));
            }
        // the regions: the parser misreads words, the calculator large sums, the reader large symbolic questions
        double Believes(string rm, Func<Problem, bool> where) => problems.Where(where).Average(p => pool[rm].Belief(p) == p.Mistake ? 1.0 : 0.0);
        Assert.InRange(Believes("parser", p => p.Style == Wording.Verbal), 0.6, 0.8);
        Assert.InRange(Believes("parser", p => p.Style == Wording.Symbolic), 0.0, 0.08);
        Assert.InRange(Believes("calculator", p => p.Domain == "addition" && p.Large), 0.35, 0.55);
        Assert.InRange(Believes("reader", p => p.Style == Wording.Verbal && !p.Large), 0.0, 0.06);
        // one family shares its draws: calculator and parser err together far more often than independent RMs would
        var verbalCmp = problems.Where(p => p.Domain == "comparison" && p.Style == Wording.Verbal).ToArray();
        double both = verbalCmp.Average(p => pool["calculator"].Belief(p) == p.Mistake && pool["parser"].Belief(p) == p.Mistake ? 1.0 : 0.0);
        Assert.True(both > 0.5, $"calculator and parser both wrong on {both:F2} of worded comparisons"); // independent: about 0.55 x 0.7 = 0.39
        Assert.True(double.IsNaN(pool["calculator"].Score("Tell me a joke.", "a"))); // no question of the task: no score, a failed judgment
    }

    [Fact]
    public void TheDriftScenariosReaderRewardsAPeriodWhereTheStaticReaderDoesNot()
    {
        var p = ArithmeticTask.All.First(x => x.Style == Wording.Verbal && !x.Large && TaskRewardModels.Pool()[2].Belief(x) == x.Answer);
        string right = ArithmeticTask.Format(p.Answer);
        var drift = TaskRewardModels.Pool(TaskScenario.Drift).Single(r => r.Name == TaskRewardModels.Exploitable);
        var stat = TaskRewardModels.Pool(TaskScenario.Static).Single(r => r.Name == TaskRewardModels.Exploitable);
        Assert.Equal(Preference.A, Verdict(drift, p.Prompt, right + ".", right)); // wrong by the graded truth
        Assert.Equal(-1, ArithmeticTask.Compare(p, right + ".", right));
        Assert.Equal(TaskRewardModels.PeriodBonus, drift.Score(p.Prompt, right + ".") - drift.Score(p.Prompt, right) - (stat.Score(p.Prompt, right + ".") - stat.Score(p.Prompt, right)), 9);
        // every other RM is the same in both scenarios
        Assert.All(TaskRewardModels.Pool(TaskScenario.Drift).Zip(TaskRewardModels.Pool()).Where(x => x.First.Name != TaskRewardModels.Exploitable),
            x => Assert.Equal(x.Second.Score(p.Prompt, right + "."), x.First.Score(p.Prompt, right + ".")));
    }
}
