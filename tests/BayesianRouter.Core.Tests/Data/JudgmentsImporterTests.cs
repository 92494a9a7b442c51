using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Core.Tests.Data;

public class JudgmentsImporterTests : TempFolderTest
{
    private static string PairFileWithThree(string dir)
    {
        var path = Path.Combine(dir, "pairs.jsonl");
        PairFile.Write(path, [
            TestPairs.Scored("p1", Preference.A, ("old", 1, 0)),
            TestPairs.Scored("p2", Preference.B, ("old", 1, 0)),
            TestPairs.Scored("p3", Preference.A),
        ]);
        return path;
    }

    [Fact]
    public void ScoresAndVerdictsAreMergedUnderTheFileStem()
    {
        var dir = NewFolder();
        var pairs = PairFileWithThree(dir);
        var scores = TestPairs.WriteFile(dir, "my-rm.jsonl", """
            {"id": "p2", "score_a": 0.25, "score_b": 0.75, "extra": "ignored"}
            {"id": "p1", "score_a": 3, "score_b": 3}
            """);
        var verdicts = TestPairs.WriteFile(dir, "judge.json", """[{"id": "p3", "verdict": "b"}, {"id": "p1", "verdict": "a"}]""");
        var report = new ImportReport();
        var merged = new JudgmentsImporter(pairs).Merge([(scores, JudgmentsImporter.RmNameOf(scores)), (verdicts, "judge")], report).ToList();

        Assert.Equal(["p1", "p2", "p3"], merged.Select(p => p.Id));
        Assert.True(merged[0].IsTie("my-rm"));
        Assert.True(merged[1].IsRight("my-rm"));
        Assert.False(merged[2].Judgments.ContainsKey("my-rm"));
        Assert.True(merged[0].IsRight("judge"));
        Assert.False(merged[2].IsRight("judge"));
        Assert.Equal(Judgment.FromScores(1, 0), merged[0].Judgments["old"]);
        Assert.Equal(1, report.Skipped.Single(kv => kv.Key.Contains("my-rm")).Value);
    }

    [Theory]
    [InlineData("{\"id\": \"p1\", \"verdict\": \"a\"}\n{\"id\": \"p9\", \"verdict\": \"a\"}\n", 2, "id \"p9\" is not in")]
    [InlineData("{\"id\": \"p1\", \"verdict\": \"a\"}\n{\"id\": \"p1\", \"verdict\": \"b\"}\n", 2, "duplicate id \"p1\"")]
    [InlineData("{\"id\": \"p1\", \"verdict\": \"A\"}\n", 1, "\"verdict\" must be \"a\", \"b\" or \"tie\", got \"A\"")]
    [InlineData("{\"id\": \"p1\", \"score_a\": 1, \"score_b\": NaN}\n", 1, "non-finite number (NaN)")]
    [InlineData("{\"id\": \"p1\", \"score_a\": 1, \"score_b\": 1e400}\n", 1, "\"score_b\" must be a finite number")]
    [InlineData("{\"id\": \"p1\", \"score_a\": 1}\n", 1, "needs \"score_a\" and \"score_b\", or \"verdict\"")]
    [InlineData("{\"score_a\": 1, \"score_b\": 2}\n", 1, "missing field \"id\"")]
    public void BadResultRecordsNameTheFileAndLine(string content, int line, string expected)
    {
        var dir = NewFolder();
        var pairs = PairFileWithThree(dir);
        var results = TestPairs.WriteFile(dir, "rm.jsonl", content);
        var e = Assert.Throws<PairFileException>(() => new JudgmentsImporter(pairs).Import(results, new ImportReport()).ToList());
        Assert.StartsWith($"{results}:{line}: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AnExistingJudgmentOfTheSameRmIsKeptUnlessReplaced()
    {
        var dir = NewFolder();
        var pairs = PairFileWithThree(dir);
        var results = TestPairs.WriteFile(dir, "old.jsonl", "{\"id\": \"p2\", \"score_a\": 0, \"score_b\": 1}\n");
        var e = Assert.Throws<PairFileException>(() => new JudgmentsImporter(pairs).Import(results, new ImportReport()).ToList());
        Assert.Contains("already has a judgment by RM \"old\"", e.Message);
        var replaced = new JudgmentsImporter(pairs, replace: true).Import(results, new ImportReport()).ToList();
        Assert.True(replaced[1].IsRight("old"));
        Assert.Equal(Judgment.FromScores(1, 0), replaced[0].Judgments["old"]); // pairs without a record keep theirs
    }

    [Fact]
    public void TwoFilesForOneRmAreRefused()
    {
        var dir = NewFolder();
        var pairs = PairFileWithThree(dir);
        var a = TestPairs.WriteFile(dir, "a.jsonl", "{\"id\": \"p1\", \"verdict\": \"a\"}\n");
        Assert.Throws<ArgumentException>(() => new JudgmentsImporter(pairs).Merge([(a, "x"), (a, "x")], new ImportReport()).ToList());
    }
}
