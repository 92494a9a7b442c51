using System.Reflection;

namespace BayesianRouter.Cli.Tests;

/// <summary>Where the shared real data lives, relative to the repository root (never copied into the repo).</summary>
public static class DataTestPaths
{
    /// <summary>The repository root, recorded at build time (Directory.Build.props).</summary>
    public static string RepoRoot { get; } = typeof(DataTestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string RewardMath => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "rewardmath"));
}
