using System.Reflection;

namespace BayesianRouter.Encoding.Tests;

/// <summary>Where the shared real data lives, relative to the repository root (never copied into the repo).</summary>
public static class TestPaths
{
    /// <summary>The repository root, recorded at build time (Directory.Build.props).</summary>
    public static string RepoRoot { get; } = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string RewardMath => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "datasets", "rewardmath"));

    /// <summary>The 483 RewardMATH problem texts (math with LaTeX, newlines and Asymptote code).</summary>
    public static IReadOnlyList<string> RewardMathProblems()
    {
        var path = Path.Combine(RewardMath, "results", "RewardMATH", "ArmoRM_reward.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(e => e.GetProperty("problem").GetString()!).ToList();
    }
}
