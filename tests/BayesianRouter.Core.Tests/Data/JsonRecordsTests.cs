using BayesianRouter.Data;
using BayesianRouter.Data.Import;

namespace BayesianRouter.Core.Tests.Data;

public class JsonRecordsTests : TempFolderTest
{
    [Fact]
    public void ArraysAndJsonLinesGiveTheSameRecordsWithTheirLines()
    {
        var dir = NewFolder();
        var array = TestPairs.WriteFile(dir, "a.json", "[\n  {\"x\": 1},\n\n  {\"x\": [2,\n 3]},\n  {\"x\": 4}\n]\n");
        var lines = TestPairs.WriteFile(dir, "b.jsonl", "{\"x\": 1}\n\n{\"x\": [2, 3]}\n{\"x\": 4}\n");
        var fromArray = JsonRecords.Read(array).ToList();
        var fromLines = JsonRecords.Read(lines).ToList();
        Assert.Equal(fromArray.Select(r => r.Value.GetProperty("x").GetRawText().Replace("\n", "").Replace(" ", "")),
            fromLines.Select(r => r.Value.GetProperty("x").GetRawText().Replace(" ", "")));
        Assert.Equal([2L, 4L, 6L], fromArray.Select(r => r.Line));
        Assert.Equal([1L, 3L, 4L], fromLines.Select(r => r.Line));
        Assert.Equal([0, 1, 2], fromArray.Select(r => r.Index));
        Assert.Equal($"{array}:4: item 1: broken", fromArray[1].Error("broken").Message);
        Assert.Equal($"{lines}:3: broken", fromLines[1].Error("broken").Message);
    }

    [Fact]
    public void InvalidJsonNamesTheLine()
    {
        var dir = NewFolder();
        var array = TestPairs.WriteFile(dir, "a.json", "[\n {\"x\": 1},\n {\"x\": }\n]");
        Assert.Equal(3, Assert.Throws<PairFileException>(() => JsonRecords.Read(array).ToList()).Line);
        var lines = TestPairs.WriteFile(dir, "b.jsonl", "{\"x\": 1}\n{\"x\": 1,}\n");
        Assert.Equal(2, Assert.Throws<PairFileException>(() => JsonRecords.Read(lines).ToList()).Line);
    }

    [Fact]
    public void FieldAccessorsExplainWhatIsWrong()
    {
        var dir = NewFolder();
        var path = TestPairs.WriteFile(dir, "r.jsonl", "{\"s\": 5}\n");
        var r = JsonRecords.Read(path).Single();
        Assert.Contains("field \"s\" must be a string, got 5", Assert.Throws<PairFileException>(() => r.String("s")).Message);
        Assert.Contains("missing field \"t\"", Assert.Throws<PairFileException>(() => r.Field("t")).Message);
        Assert.Null(r.OptionalString("t"));
    }
}
