using System.Reflection;

namespace BayesianRouter.Cli.Tests;

/// <summary>Where the shared real data lives, relative to the repository root (never copied into the repo).</summary>
public static class DataTestPaths
{
    /// <summary>The repository root, recorded at build time (Directory.Build.props).</summary>
    public static string RepoRoot { get; } = typeof(DataTestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string RewardMath => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "rewardmath"));

    /// <summary>
    /// A fresh empty folder under the system temp folder (not removed: a test class deriving from
    /// <see cref="DataTempFolderTest"/> gets folders that are removed after each test).
    /// </summary>
    public static string NewTempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bayesrouter-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
