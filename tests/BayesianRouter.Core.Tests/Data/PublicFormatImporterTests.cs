using System.Text.Json;
using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Core.Tests.Data;

/// <summary>The rewardbench2, helpsteer3 and hf-preference importers on small files written in the public formats.</summary>
public class PublicFormatImporterTests : TempFolderTest
{
    private static string Json(object o) => JsonSerializer.Serialize(o);

    private static string Jsonl(params object[] rows) => string.Join("\n", rows.Select(Json)) + "\n";

    private static (string Chosen, string Rejected) Sides(PreferencePair p) =>
        p.Preferred == Preference.A ? (p.ResponseA, p.ResponseB) : (p.ResponseB, p.ResponseA);

    private static readonly object[] RewardBench2Rows =
    [
        new { id = "rb-1", prompt = "What is 2+2?", chosen = new[] { "4" }, rejected = new[] { "5", "22", "3" }, num_correct = 1, num_incorrect = 3, total_completions = 4, models = new[] { "m1", "m2", "m3", "m4" }, subset = "Math", additional_metadata = new { } },
        new { id = "rb-2", prompt = "Name a colour", chosen = new[] { "red", "blue" }, rejected = new[] { "seven" }, num_correct = 2, num_incorrect = 1, total_completions = 3, models = new[] { "m1", "m2", "m3" }, subset = "Ties", additional_metadata = new { } },
        new { id = "rb-3", prompt = "Say hi politely", chosen = new[] { "Hello!", "Hi there." }, rejected = new[] { "Go away.", "..." }, num_correct = 2, num_incorrect = 2, total_completions = 4, models = new[] { "m" }, subset = "Focus", additional_metadata = new { } },
    ];

    [Fact]
    public void RewardBench2MakesEveryChosenRejectedCombinationAndDropsTies()
    {
        var dir = NewFolder();
        var asJsonl = TestPairs.WriteFile(dir, "rb2.jsonl", Jsonl(RewardBench2Rows));
        var asArray = TestPairs.WriteFile(dir, "rb2.json", JsonSerializer.Serialize(RewardBench2Rows, new JsonSerializerOptions { WriteIndented = true }));
        var report = new ImportReport();
        var pairs = new RewardBench2Importer(1).Import(asJsonl, report).ToList();

        Assert.Equal(1 * 3 + 2 * 2, pairs.Count);
        Assert.Equal(1, report.Skipped["rows of the Ties subset"]);
        Assert.DoesNotContain(pairs, p => p.Domain == "Ties");
        Assert.Equal(["rewardbench2/rb-1/0-0", "rewardbench2/rb-1/0-1", "rewardbench2/rb-1/0-2"], pairs.Take(3).Select(p => p.Id));
        Assert.Equal(["4", "4", "4"], pairs.Take(3).Select(p => Sides(p).Chosen));
        Assert.Equal(["5", "22", "3"], pairs.Take(3).Select(p => Sides(p).Rejected));
        Assert.Equal(["Math", "Math", "Math", "Focus", "Focus", "Focus", "Focus"], pairs.Select(p => p.Domain));
        Assert.Equal(2, pairs.Select(p => p.Group).Distinct().Count());
        Assert.All(pairs.Skip(3), p => Assert.Equal("Say hi politely", p.Prompt));
        Assert.Contains(("Hi there.", "..."), pairs.Select(Sides));

        var fromArray = new RewardBench2Importer(1).Import(asArray, new ImportReport()).ToList();
        Assert.Equal(pairs.Select(PairFile.Format), fromArray.Select(PairFile.Format));
    }

    [Fact]
    public void RewardBench2RowsWithoutSubsetOrWithBadListsAreErrors()
    {
        var dir = NewFolder();
        var noSubset = TestPairs.WriteFile(dir, "a.jsonl", Jsonl(new { id = "1", prompt = "p", chosen = new[] { "x" }, rejected = new[] { "y" } }));
        var e = Assert.Throws<PairFileException>(() => new RewardBench2Importer(0).Import(noSubset, new ImportReport()).ToList());
        Assert.Equal($"{noSubset}:1: missing field \"subset\"", e.Message);
        var badList = TestPairs.WriteFile(dir, "b.jsonl", Jsonl(RewardBench2Rows[0], new { id = "2", prompt = "p", chosen = new object[] { 1 }, rejected = new[] { "y" }, subset = "Math" }));
        e = Assert.Throws<PairFileException>(() => new RewardBench2Importer(0).Import(badList, new ImportReport()).ToList());
        Assert.Equal($"{badList}:2: chosen[0] must be a string, got 1", e.Message);
    }

    [Fact]
    public void HelpSteer3UsesTheSignOfTheOverallPreference()
    {
        var context = new[] { new { role = "user", content = "Write a haiku" }, new { role = "assistant", content = "Leaves fall..." }, new { role = "user", content = "Another" } };
        var rows = new object[]
        {
            new { domain = "general", language = "english", context, response1 = "R1 better", response2 = "R2 worse", overall_preference = -2, individual_preference = Array.Empty<object>() },
            new { domain = "code", language = "python", context = new[] { new { role = "user", content = "print 1" } }, response1 = "R1 worse", response2 = "R2 better", overall_preference = 3, individual_preference = Array.Empty<object>() },
            new { domain = "stem", language = "english", context, response1 = "same", response2 = "same too", overall_preference = 0, individual_preference = Array.Empty<object>() },
        };
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "hs3.jsonl", Jsonl(rows));
        var report = new ImportReport();
        var pairs = new HelpSteer3Importer(4).Import(path, report).ToList();

        Assert.Equal(2, pairs.Count);
        Assert.Equal(1, report.Skipped.Single().Value);
        Assert.Equal(("R1 better", "R2 worse"), Sides(pairs[0]));
        Assert.Equal(("R2 better", "R1 worse"), Sides(pairs[1]));
        Assert.Equal(["general", "code"], pairs.Select(p => p.Domain));
        Assert.Equal(["helpsteer3/0", "helpsteer3/1"], pairs.Select(p => p.Id));
        Assert.Equal("user: Write a haiku\n\nassistant: Leaves fall...\n\nuser: Another", pairs[0].Prompt);
        Assert.Equal("print 1", pairs[1].Prompt);
        Assert.Equal(PreferencePair.GroupOf(pairs[0].Prompt), pairs[0].Group);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("1.5")]
    [InlineData("\"-1\"")]
    public void HelpSteer3RefusesPreferencesOutsideMinus3To3(string value)
    {
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "hs3.jsonl",
            "{\"context\":[{\"role\":\"user\",\"content\":\"q\"}],\"response1\":\"a\",\"response2\":\"b\",\"overall_preference\":" + value + "}\n");
        var e = Assert.Throws<PairFileException>(() => new HelpSteer3Importer(0).Import(path, new ImportReport()).ToList());
        Assert.Equal($"{path}:1: \"overall_preference\" must be an integer from -3 to 3, got {value}", e.Message);
    }

    [Fact]
    public void HfPreferenceAcceptsStringsMessagesAndImplicitPrompts()
    {
        var rows = new object[]
        {
            // plain strings
            new { prompt = "Capital of France?", chosen = "Paris", rejected = "Lyon" },
            // UltraFeedback style: prompt string, chosen/rejected repeat the user turn
            new { prompt = "2+2?", chosen = new[] { new { role = "user", content = "2+2?" }, new { role = "assistant", content = "4" } }, rejected = new[] { new { role = "user", content = "2+2?" }, new { role = "assistant", content = "5" } } },
            // TRL conversational: prompt messages, responses as assistant messages only
            new { prompt = new[] { new { role = "user", content = "Hi" } }, chosen = new[] { new { role = "assistant", content = "Hello!" } }, rejected = new[] { new { role = "assistant", content = "Bye." } } },
            // implicit prompt (Anthropic HH): full conversations only
            new { chosen = new[] { new { role = "user", content = "Tell a joke" }, new { role = "assistant", content = "A funny one" } }, rejected = new[] { new { role = "user", content = "Tell a joke" }, new { role = "assistant", content = "No." } } },
        };
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "mixed.json", JsonSerializer.Serialize(rows));
        var pairs = new HfPreferenceImporter(2).Import(path, new ImportReport()).ToList();

        Assert.Equal(["Capital of France?", "2+2?", "Hi", "Tell a joke"], pairs.Select(p => p.Prompt));
        Assert.Equal([("Paris", "Lyon"), ("4", "5"), ("Hello!", "Bye."), ("A funny one", "No.")], pairs.Select(Sides));
        Assert.Equal(["mixed/0", "mixed/1", "mixed/2", "mixed/3"], pairs.Select(p => p.Id));
        Assert.All(pairs, p => Assert.Null(p.Domain));

        var named = new HfPreferenceImporter(2, "hh", "dialogue").Import(path, new ImportReport()).ToList();
        Assert.Equal("hh/0", named[0].Id);
        Assert.All(named, p => Assert.Equal("dialogue", p.Domain));
    }

    [Fact]
    public void HfPreferenceWithoutAPromptNeedsConversations()
    {
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "x.jsonl", Jsonl(new { chosen = "a", rejected = "b" }));
        var e = Assert.Throws<PairFileException>(() => new HfPreferenceImporter(0).Import(path, new ImportReport()).ToList());
        Assert.StartsWith($"{path}:1: missing field \"prompt\"", e.Message);
        var noRole = TestPairs.WriteFile(dir, "y.jsonl", Jsonl(new { prompt = "p", chosen = new[] { new { content = "a" } }, rejected = "b" }));
        e = Assert.Throws<PairFileException>(() => new HfPreferenceImporter(0).Import(noRole, new ImportReport()).ToList());
        Assert.Equal($"{noRole}:1: chosen[0] needs a string \"role\"", e.Message);
    }

    [Fact]
    public void ImportedPairsWriteAndReadBackStrictly()
    {
        var dir = NewFolder();
        var source = TestPairs.WriteFile(dir, "rb2.jsonl", Jsonl(RewardBench2Rows));
        var output = Path.Combine(dir, "out.jsonl");
        int n = PairFile.Write(output, new RewardBench2Importer(9).Import(source, new ImportReport()));
        Assert.Equal(n, PairFile.ReadAll(output).Count);
    }
}
