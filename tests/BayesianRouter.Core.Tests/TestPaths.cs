namespace BayesianRouter.Core.Tests;

/// <summary>Where the shared real data lives, relative to the repository root (never copied into the repo).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RewardMath => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "rewardmath"));

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "BayesianRouter.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find BayesianRouter.slnx above the test folder");
    }
}
