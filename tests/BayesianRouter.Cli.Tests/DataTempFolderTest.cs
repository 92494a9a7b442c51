namespace BayesianRouter.Cli.Tests;

/// <summary>Tests that write files: each gets fresh folders, removed after the test (xunit disposes the test class).</summary>
public abstract class DataTempFolderTest : IDisposable
{
    private readonly List<string> _folders = [];

    /// <summary>A fresh empty folder, deleted when the test ends.</summary>
    protected string NewFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bayesrouter-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        _folders.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        foreach (var dir in _folders)
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
