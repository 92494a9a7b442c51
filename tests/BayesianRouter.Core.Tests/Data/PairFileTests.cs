using BayesianRouter.Data;

namespace BayesianRouter.Core.Tests.Data;

public class PairFileTests : TempFolderTest
{
    private const string Good = """{"id":"p1","prompt":"x","response_a":"ra","response_b":"rb","preferred":"a","judgments":{"rm":{"score_a":1,"score_b":0}}}""";

    [Fact]
    public void WriteThenReadGivesThePairsBack()
    {
        var dir = NewFolder();
        var pairs = new[]
        {
            new PreferencePair
            {
                Id = "1", Group = "g", Prompt = "Ünïcode \"quoted\" <tag>\nline", ResponseA = "a", ResponseB = "b",
                Preferred = Preference.B, Domain = "math",
                Judgments = new Dictionary<string, Judgment>
                {
                    ["s"] = Judgment.FromScores(0.1 + 0.2, -3e-9),
                    ["v"] = Judgment.FromVerdict(Preference.Tie),
                },
            },
            TestPairs.Scored("2", null),
        };
        var path = Path.Combine(dir, "pairs.jsonl");
        Assert.Equal(2, PairFile.Write(path, pairs));
        var back = PairFile.ReadAll(path);
        Assert.Equal(2, back.Count);
        Assert.Equal(pairs[0] with { Judgments = back[0].Judgments }, back[0]);
        Assert.Equal(pairs[0].Judgments, back[0].Judgments);
        Assert.Null(back[1].Preferred);
        Assert.Empty(back[1].Judgments);
        Assert.Equal(0.1 + 0.2, back[0].Judgments["s"].ScoreA); // shortest round-trip formatting keeps every bit
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void GroupDefaultsToAHashOfThePrompt()
    {
        var p = PairFile.Parse("""{"id":"x","prompt":"same prompt","response_a":"","response_b":""}""");
        var q = PairFile.Parse("""{"id":"y","prompt":"same prompt","response_a":"1","response_b":"2"}""");
        Assert.Equal(p.Group, q.Group);
        Assert.NotEqual(p.Group, PairFile.Parse("""{"id":"z","prompt":"other","response_a":"","response_b":""}""").Group);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":NaN,"score_b":0}}}""", "non-finite number (NaN)")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":1,"score_b":-Infinity}}}""", "non-finite number (-Infinity)")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":1e999,"score_b":0}}}""", "judgments.rm.score_a is not finite")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":"1","score_b":0}}}""", "judgments.rm.score_a must be a finite number")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"verdict":"A"}}}""", "judgments.rm.verdict must be \"a\", \"b\" or \"tie\", got \"A\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"verdict":"a","score_a":1,"score_b":0}}}""", "both a verdict and scores")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":1}}}""", "needs \"score_a\" and \"score_b\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":{"rm":{"score_a":1,"score_b":0,"score_c":2}}}""", "unknown field \"score_c\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","preferred":"tie"}""", "field \"preferred\" must be \"a\" or \"b\", got \"tie\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","preferred":1}""", "field \"preferred\" must be a string")]
    [InlineData("""{"prompt":"x","response_a":"","response_b":""}""", "missing field \"id\"")]
    [InlineData("""{"id":"","prompt":"x","response_a":"","response_b":""}""", "field \"id\" is empty")]
    [InlineData("""{"id":"p1","response_a":"","response_b":""}""", "missing field \"prompt\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_b":""}""", "missing field \"response_a\"")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","preffered":"a"}""", "unknown field \"preffered\"")]
    [InlineData("""{"id":"p1","id":"p2","prompt":"x","response_a":"","response_b":""}""", "not valid JSON")]
    [InlineData("""{"id":"p1","prompt":"x","response_a":"","response_b":"","judgments":[1]}""", "field \"judgments\" must be an object")]
    public void EachKindOfBadLineIsReportedWithItsLineNumber(string badLine, string expected)
    {
        var dir = NewFolder();
        // line 1 good, line 2 blank (still counted), line 3 bad
        var path = TestPairs.WriteFile(dir, "bad.jsonl", Good + "\n\n" + badLine + "\n");
        var e = Assert.Throws<PairFileException>(() => PairFile.ReadAll(path));
        Assert.Equal(3, e.Line);
        Assert.StartsWith($"{path}:3: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void DuplicateIdIsReportedOnItsSecondLine()
    {
        var dir = NewFolder();
        var other = Good.Replace("\"p1\"", "\"p2\"");
        var path = TestPairs.WriteFile(dir, "dup.jsonl", Good + "\n" + other + "\n" + Good + "\n");
        var e = Assert.Throws<PairFileException>(() => PairFile.ReadAll(path));
        Assert.Equal($"{path}:3: duplicate id \"p1\"", e.Message);
    }

    [Fact]
    public void ReadingStreamsUpToTheBadLine()
    {
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "late.jsonl", Good + "\n{oops\n");
        using var e = PairFile.Read(path).GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal("p1", e.Current.Id);
        Assert.Throws<PairFileException>(() => e.MoveNext());
    }

    [Fact]
    public void MissingFileIsAnError()
    {
        var e = Assert.Throws<PairFileException>(() => PairFile.Read(Path.Combine(NewFolder(), "none.jsonl")));
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void AFailedWriteLeavesNoFileBehind()
    {
        var dir = NewFolder();
        var path = Path.Combine(dir, "out.jsonl");
        IEnumerable<PreferencePair> Failing()
        {
            yield return TestPairs.Scored("1", Preference.A);
            throw new PairFileException("source.json", 7, "broken");
        }
        Assert.Throws<PairFileException>(() => PairFile.Write(path, Failing()));
        Assert.Empty(Directory.GetFiles(dir));

        Assert.Throws<InvalidOperationException>(() => PairFile.Write(path, [TestPairs.Scored("1", Preference.A), TestPairs.Scored("1", Preference.B)]));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFile()
    {
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "out.jsonl", "old\n");
        Assert.Throws<InvalidOperationException>(() => PairFile.Write(path, [TestPairs.Scored("1", Preference.Tie)]));
        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }
}
