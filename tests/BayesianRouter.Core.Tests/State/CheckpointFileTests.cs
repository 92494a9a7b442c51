using BayesianRouter.Rewards;
using BayesianRouter.Routing;
using BayesianRouter.State;

namespace BayesianRouter.Core.Tests.State;

public sealed class CheckpointFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ckpt-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static (ThompsonSamplingRouter Router, QuantileNormaliser Normaliser) Trained()
    {
        var router = new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Seed = 1 });
        router.Update([new ArmFeedback([1, 2, 3], 0, 0.5), new ArmFeedback([0, 1, 0], 1, 0.1)]);
        var normaliser = new QuantileNormaliser();
        normaliser.Normalise([0.1, -0.3, 0.7]);
        return (router, normaliser);
    }

    [Fact]
    public void SaveAndRestoreRoundTrips()
    {
        var (router, normaliser) = Trained();
        var path = Path.Combine(_dir, "sub", "state.ckpt");
        CheckpointFile.Save(path, router, normaliser);
        var r2 = new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Seed = 1 });
        var n2 = new QuantileNormaliser();
        CheckpointFile.Restore(path, r2, n2);
        Assert.Equal(CheckpointFile.ToBytes(router, normaliser), CheckpointFile.ToBytes(r2, n2));
        Assert.Equal(File.ReadAllBytes(path), CheckpointFile.ToBytes(r2, n2));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    public static TheoryData<string> Damages => ["flip-byte", "truncate", "truncate-to-magic", "empty", "bad-magic"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void ACorruptOrTruncatedFileIsRejectedAndRestoresNothing(string damage)
    {
        var (router, normaliser) = Trained();
        var path = Path.Combine(_dir, "state.ckpt");
        CheckpointFile.Save(path, router, normaliser);
        var bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "flip-byte" => bytes.Select((b, i) => i == bytes.Length / 2 ? (byte)(b ^ 0x10) : b).ToArray(),
            "truncate" => bytes[..(bytes.Length - 40)],
            "truncate-to-magic" => bytes[..18],
            "empty" => [],
            "bad-magic" => [.. "NOT-A-CHECKPOINT!!"u8.ToArray(), .. bytes[18..]],
            _ => throw new ArgumentException(damage),
        };
        File.WriteAllBytes(path, bytes);
        var r2 = new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Seed = 9 });
        var n2 = new QuantileNormaliser();
        var before = CheckpointFile.ToBytes(r2, n2);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, r2, n2));
        Assert.StartsWith(path, e.Message);
        Assert.Matches("corrupt|truncated|magic", e.Message);
        Assert.Equal(before, CheckpointFile.ToBytes(r2, n2));
    }

    [Fact]
    public void AFailingLaterSectionLeavesEarlierLearnersUntouched()
    {
        var (router, normaliser) = Trained();
        var path = Path.Combine(_dir, "state.ckpt");
        CheckpointFile.Save(path, router, normaliser);
        var r2 = new ThompsonSamplingRouter(2, 3, new ThompsonSamplingOptions { Seed = 9 });
        var n2 = new QuantileNormaliser(new QuantileNormaliserOptions { LowerQuantile = 0.1 }); // does not fit the saved section
        var before = CheckpointFile.ToBytes(r2, n2);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, r2, n2));
        Assert.Contains("lower quantile", e.Message);
        Assert.Equal(before, CheckpointFile.ToBytes(r2, n2));
    }

    [Fact]
    public void SectionCountAndMissingFileAreReported()
    {
        var (router, normaliser) = Trained();
        var path = Path.Combine(_dir, "state.ckpt");
        CheckpointFile.Save(path, router, normaliser);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(path, new ThompsonSamplingRouter(2, 3)));
        Assert.Contains("2 learner section(s), 1 expected", e.Message);
        Assert.Throws<FileNotFoundException>(() => CheckpointFile.Restore(Path.Combine(_dir, "missing.ckpt"), router));
    }

    [Fact]
    public void AFileFromANewerFormatIsRefused()
    {
        var (router, _) = Trained();
        var bytes = CheckpointFile.ToBytes(router);
        var body = bytes[..^32];
        BitConverter.GetBytes(99).CopyTo(body, 18); // format version follows the 18-byte magic
        var rehashed = body.Concat(System.Security.Cryptography.SHA256.HashData(body)).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => CheckpointFile.Restore(rehashed, router));
        Assert.Contains("format version 99 is not supported", e.Message);
    }
}
