using System.Reflection;

namespace BayesianRouter.RewardModels.Tests;

/// <summary>Where the shared real data lives, relative to the repository root (never copied into the repo).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string RewardMath => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "rewardmath"));
}
