using System.Globalization;
using System.Security.Cryptography;
using BayesianRouter.Data;
using BayesianRouter.Data.Splits;
using BayesianRouter.IO;

namespace BayesianRouter.Offline;

/// <summary>How the held-out side of a training run was chosen.</summary>
public enum SplitKind
{
    /// <summary>A seeded random share of the groups (<see cref="GroupSplit.ByFraction"/>).</summary>
    Group,

    /// <summary>A seeded random share of the domains, the rest by group (<see cref="GroupSplit.ByDomain"/>).</summary>
    Domain,
}

/// <summary>
/// Where a router's training data came from and how it was split, kept in the artifact's metadata so that
/// <c>offline eval</c> can evaluate on the held-out groups of the run (and retrain the w/o-CLS ablation on the
/// same training side). The held-out groups are also written beside the artifact (<see cref="HeldOutPath"/>).
/// </summary>
public sealed record OfflineRunRecord(string PairsFile, string PairsSha256, SplitKind Split, double TestFraction, int Seed)
{
    private const string Prefix = "run.";

    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Prefix + "pairs_file"] = PairsFile,
        [Prefix + "pairs_sha256"] = PairsSha256,
        [Prefix + "split"] = Split.ToString().ToLowerInvariant(),
        [Prefix + "test_fraction"] = TestFraction.ToString("R", CultureInfo.InvariantCulture),
        [Prefix + "seed"] = Seed.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The run record of a router, or null when it has none (e.g. trained by a library caller).</summary>
    public static OfflineRunRecord? FromMetadata(IReadOnlyDictionary<string, string> m)
    {
        if (!m.TryGetValue(Prefix + "pairs_file", out var file)) return null;
        string Get(string key) => m.TryGetValue(Prefix + key, out var v) ? v
            : throw new InvalidDataException($"router metadata has {Prefix}pairs_file but lacks {Prefix}{key}");
        if (!Enum.TryParse<SplitKind>(Get("split"), ignoreCase: true, out var split))
            throw new InvalidDataException($"router metadata: unknown split \"{Get("split")}\"");
        return new OfflineRunRecord(file, Get("pairs_sha256"), split,
            double.Parse(Get("test_fraction"), CultureInfo.InvariantCulture), int.Parse(Get("seed"), CultureInfo.InvariantCulture));
    }

    /// <summary>The seeded split this record describes.</summary>
    public PairSplit SplitOf(IReadOnlyList<PreferencePair> pairs) => Split == SplitKind.Domain
        ? GroupSplit.ByDomain(pairs, TestFraction, Seed)
        : GroupSplit.ByFraction(pairs, TestFraction, Seed);

    /// <summary>SHA-256 of a file's bytes, lower-case hex.</summary>
    public static string FileSha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>The held-out groups' file written beside a router: <c>ROUTER.heldout.txt</c>.</summary>
    public static string HeldOutPath(string routerPath) => routerPath + ".heldout.txt";

    /// <summary>Writes the held-out group names, one per line, atomically.</summary>
    public static void WriteHeldOut(string path, IEnumerable<string> groups) =>
        AtomicFile.WriteText(path, w => { foreach (var g in groups) w.WriteLine(g); });

    /// <summary>Reads a held-out file (blank lines ignored).</summary>
    public static IReadOnlyList<string> ReadHeldOut(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();

    /// <summary>
    /// Reads the recorded pair file, checks it is unchanged, and returns it with the run's split; where a held-out
    /// file is given it must name the same groups as the seeded split.
    /// </summary>
    public (List<PreferencePair> Pairs, PairSplit Split) Reproduce(string? heldOutFile)
    {
        if (!File.Exists(PairsFile))
            throw new FileNotFoundException($"{PairsFile}: the router's training pair file is gone; pass --pairs to evaluate on another file", PairsFile);
        var sha = FileSha256(PairsFile);
        if (sha != PairsSha256)
            throw new InvalidDataException($"{PairsFile} changed since the router was trained (SHA-256 {sha[..12]}…, recorded {PairsSha256[..Math.Min(12, PairsSha256.Length)]}…)");
        var pairs = PairFile.ReadAll(PairsFile);
        var split = SplitOf(pairs);
        if (heldOutFile != null && File.Exists(heldOutFile))
        {
            var listed = ReadHeldOut(heldOutFile).Order(StringComparer.Ordinal).ToArray();
            if (!listed.SequenceEqual(split.TestGroups))
                throw new InvalidDataException($"{heldOutFile}: the held-out groups differ from the run's seeded split (seed {Seed}, fraction {TestFraction.ToString(CultureInfo.InvariantCulture)})");
        }
        return (pairs, split);
    }
}
