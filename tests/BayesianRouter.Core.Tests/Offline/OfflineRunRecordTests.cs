using BayesianRouter.Data;
using BayesianRouter.Offline;

namespace BayesianRouter.Core.Tests.Offline;

public sealed class OfflineRunRecordTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("run-record-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WritePairs()
    {
        var path = Path.Combine(_dir, "pairs.jsonl");
        PairFile.Write(path, PairFactory.Groups(12, 2, "a", "b", "c", "d"));
        return path;
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        var run = new OfflineRunRecord("/x/pairs.jsonl", "abc123", SplitKind.Domain, 0.25, 42);
        Assert.Equal(run, OfflineRunRecord.FromMetadata(run.ToMetadata()));
        Assert.Null(OfflineRunRecord.FromMetadata(new Dictionary<string, string>()));
        var partial = new Dictionary<string, string>(run.ToMetadata());
        partial.Remove("run.seed");
        Assert.Contains("run.seed", Assert.Throws<InvalidDataException>(() => OfflineRunRecord.FromMetadata(partial)).Message);
    }

    [Fact]
    public void ReproduceGivesTheRecordedSplitAndChecksTheHeldOutFile()
    {
        var path = WritePairs();
        var run = new OfflineRunRecord(path, OfflineRunRecord.FileSha256(path), SplitKind.Group, 0.5, 3);
        var heldOut = Path.Combine(_dir, "router.bin.heldout.txt");
        var (pairs, split) = run.Reproduce(null);
        Assert.Equal(24, pairs.Count);
        Assert.Equal(6, split.TestGroups.Count);
        OfflineRunRecord.WriteHeldOut(heldOut, split.TestGroups);
        Assert.Equal(split.TestGroups, run.Reproduce(heldOut).Split.TestGroups);

        OfflineRunRecord.WriteHeldOut(heldOut, split.TestGroups.Skip(1));
        Assert.Contains("differ", Assert.Throws<InvalidDataException>(() => run.Reproduce(heldOut)).Message);
    }

    [Fact]
    public void ReproduceRefusesAChangedOrMissingPairFile()
    {
        var path = WritePairs();
        var run = new OfflineRunRecord(path, OfflineRunRecord.FileSha256(path), SplitKind.Domain, 0.5, 3);
        Assert.Equal(2, run.Reproduce(null).Split.Test.Select(i => run.Reproduce(null).Pairs[i].Domain).Distinct().Count());
        File.AppendAllText(path, "\n");
        Assert.Contains("changed since", Assert.Throws<InvalidDataException>(() => run.Reproduce(null)).Message);
        File.Delete(path);
        Assert.Throws<FileNotFoundException>(() => run.Reproduce(null));
    }
}
